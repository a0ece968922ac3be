-- Triage at a glance (issue 18).

-- The language of the tip's message, detected once when it is stored
-- (src/domain/language.rs): a BCP 47 language subtag ("fa", "ru"), or NULL
-- when the text is too short or mixed to tell. Tips stored before this
-- column existed stay NULL.
ALTER TABLE tips ADD COLUMN language TEXT;
-- When anyone at the desk first opened the tip: time to first look, and
-- "overdue" (unread past the desk's first_look_hours). tip_reads keeps
-- each person's own reading; this is the desk's.
ALTER TABLE tips ADD COLUMN first_read_at TIMESTAMP;
UPDATE tips SET first_read_at =
    (SELECT min(read_at) FROM tip_reads WHERE tip_reads.tip_id = tips.id);

-- The queue's language= filter, newest first like its other filters.
CREATE INDEX tips_language_newest ON tips (language, id DESC);
-- Unread tips only, newest first, with what the overdue filter, the status
-- counts and the per-desk figures read of them: a desk that keeps up has
-- few, so walking them all is cheap, and the queue's overdue=1 page stops
-- after its first 50 (src/triage/mod.rs says how the query keeps SQLite
-- on this index). first_read_at, NULL in every entry, is there so that
-- PostgreSQL reads the index alone (an index-only scan: 1 ms instead of
-- 45 ms over 9,000 unread tips).
CREATE INDEX tips_unread ON tips (id DESC, desk, created_at, status, first_read_at)
    WHERE first_read_at IS NULL;
