DROP TRIGGER tips_search_update;
DROP TRIGGER tips_search_delete;
DROP TABLE tips_search;
CREATE VIRTUAL TABLE tips_search USING fts5(
    message,
    content = 'tips',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO tips_search (tips_search, rank) VALUES ('secure-delete', 1);
UPDATE tips_search_progress SET indexed_up_to = 0;
CREATE TRIGGER tips_search_delete AFTER DELETE ON tips
WHEN old.id <= (SELECT indexed_up_to FROM tips_search_progress) BEGIN
    INSERT INTO tips_search (tips_search, rowid, message) VALUES ('delete', old.id, old.message);
END;
CREATE TRIGGER tips_search_update AFTER UPDATE OF message ON tips
WHEN old.id <= (SELECT indexed_up_to FROM tips_search_progress) BEGIN
    INSERT INTO tips_search (tips_search, rowid, message) VALUES ('delete', old.id, old.message);
    INSERT INTO tips_search (rowid, message) VALUES (new.id, new.message);
END;
DROP TABLE search_folding;
ALTER TABLE tips DROP COLUMN search_text;
