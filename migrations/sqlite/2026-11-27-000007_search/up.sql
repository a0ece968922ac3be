-- The dashboard's "text in the message" filter over a million tips: a
-- trigram index finds the rows containing a phrase (LIKE '%phrase%', any
-- case) without reading every message. External content: the text itself
-- stays only in `tips`.
CREATE VIRTUAL TABLE tips_search USING fts5(
    message,
    content = 'tips',
    content_rowid = 'id',
    tokenize = 'trigram'
);
-- A purged tip's words leave the index at once instead of lingering in old
-- segments, as `secure_delete` does for the table itself.
INSERT INTO tips_search (tips_search, rank) VALUES ('secure-delete', 1);

-- New tips are indexed in batches, off the path of the reader's submission
-- (indexing one tip per transaction costs more than storing it); tips with
-- an id above `indexed_up_to` are not in the index yet, and searches read
-- them directly.
CREATE TABLE tips_search_progress (
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    indexed_up_to  BIGINT NOT NULL
);
INSERT INTO tips_search_progress (id, indexed_up_to) VALUES (1, 0);

CREATE TRIGGER tips_search_delete AFTER DELETE ON tips
WHEN old.id <= (SELECT indexed_up_to FROM tips_search_progress) BEGIN
    INSERT INTO tips_search (tips_search, rowid, message) VALUES ('delete', old.id, old.message);
END;
CREATE TRIGGER tips_search_update AFTER UPDATE OF message ON tips
WHEN old.id <= (SELECT indexed_up_to FROM tips_search_progress) BEGIN
    INSERT INTO tips_search (tips_search, rowid, message) VALUES ('delete', old.id, old.message);
    INSERT INTO tips_search (rowid, message) VALUES (new.id, new.message);
END;
