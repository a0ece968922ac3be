DROP INDEX tips_search_text_trgm;
CREATE INDEX tips_message_trgm ON tips USING gin (lower(message) gin_trgm_ops);
DROP TABLE search_folding;
ALTER TABLE tips DROP COLUMN search_text;
