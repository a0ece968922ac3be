ALTER TABLE tips DROP COLUMN attachment_count;
