-- The queue's per-status counts under the overdue and language filters
-- (issue 18; BENCHMARKS.md rows 4d, 4e). Each count is one query that
-- stops at 1,001 tips of one status (src/triage/mod.rs, status_counts);
-- these indexes let it find them by status instead of walking every tip
-- the other filter selects.
--
-- overdue=1: the unread tips by status. Partial, like tips_unread: only
-- unread tips are in it (a tip enters when stored, leaves when first
-- opened), so it stays as small as a desk's backlog. id is in it so that
-- PostgreSQL answers from the index alone.
CREATE INDEX tips_unread_status ON tips (status, desk, created_at, id)
    WHERE first_read_at IS NULL;
-- language=: each language's tips by status, newest first.
CREATE INDEX tips_language_status ON tips (language, status, id DESC);
