DROP TRIGGER tips_search_update;
DROP TRIGGER tips_search_delete;
DROP TABLE tips_search_progress;
DROP TABLE tips_search;
