-- The desk's text filter compares folded text (src/domain/folding.rs:
-- normalization, full case folding, Persian/Arabic letter variants...).
-- tipdesk folds each tip's message once, in Rust, into `search_text`, and
-- the filter and its pg_trgm index read only that (lower() depended on the
-- database's collation and missed text it should find). NULL means "not
-- folded yet": rows from before this migration are folded at start-up,
-- right after migrating (src/db/search_text.rs).
ALTER TABLE tips ADD COLUMN search_text TEXT;

-- Which folding rules the stored copies follow; when tipdesk's differ, it
-- folds every tip again at start-up. 0: none yet.
CREATE TABLE search_folding (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO search_folding (id, version) VALUES (1, 0);

DROP INDEX tips_message_trgm;
CREATE INDEX tips_search_text_trgm ON tips USING gin (search_text gin_trgm_ops);
