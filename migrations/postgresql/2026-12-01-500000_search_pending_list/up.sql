-- The trigram index takes new tips into its pending list (GIN fastupdate,
-- on by default; said here because tipdesk depends on it), and tipdesk
-- merges the list into the index every second off the readers' path
-- (src/triage/search.rs, index_pending). The limit is where a reader's
-- insert has to merge it instead: 32 MB holds some 16,000 tips (~2 KB
-- each), several seconds at full load, so only a stalled cleaner lets a
-- reader pay. The default, 4 MB, was crossed about once a second.
ALTER INDEX tips_search_text_trgm SET (fastupdate = on, gin_pending_list_limit = 32768);
