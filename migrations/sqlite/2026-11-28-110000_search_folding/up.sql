-- The desk's text filter compares folded text (src/domain/folding.rs:
-- normalization, full case folding, Persian/Arabic letter variants...).
-- tipdesk folds each tip's message once, in Rust, into `search_text`, and
-- the filter and its trigram index read only that. NULL means "not folded
-- yet": rows from before this migration are folded at start-up, right
-- after migrating (src/db/search_text.rs).
ALTER TABLE tips ADD COLUMN search_text TEXT;

-- Which folding rules the stored copies follow; when tipdesk's differ, it
-- folds every tip again at start-up. 0: none yet.
CREATE TABLE search_folding (
    id       INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO search_folding (id, version) VALUES (1, 0);

-- The trigram index now reads the folded copy, and is rebuilt from it by
-- the tip writer as before (everything is "not indexed yet" again).
DROP TRIGGER tips_search_update;
DROP TRIGGER tips_search_delete;
DROP TABLE tips_search;
CREATE VIRTUAL TABLE tips_search USING fts5(
    search_text,
    content = 'tips',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO tips_search (tips_search, rank) VALUES ('secure-delete', 1);
UPDATE tips_search_progress SET indexed_up_to = 0;

CREATE TRIGGER tips_search_delete AFTER DELETE ON tips
WHEN old.id <= (SELECT indexed_up_to FROM tips_search_progress) BEGIN
    INSERT INTO tips_search (tips_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER tips_search_update AFTER UPDATE OF search_text ON tips
WHEN old.id <= (SELECT indexed_up_to FROM tips_search_progress) BEGIN
    INSERT INTO tips_search (tips_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO tips_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
