DROP INDEX tips_unread;
DROP INDEX tips_language_newest;
ALTER TABLE tips DROP COLUMN first_read_at;
ALTER TABLE tips DROP COLUMN language;
