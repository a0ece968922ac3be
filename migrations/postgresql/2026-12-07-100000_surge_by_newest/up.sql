-- The surge count reads an article's newest tips by id, as the case
-- candidates do (tips_article_newest), and counts those of the last ten
-- minutes (src/submission/mod.rs, surge_count). Issue 19: with this
-- second index on the article, PostgreSQL's plan for a group's read of
-- the article (src/submission/pg.rs) sometimes scanned it for every tip of
-- the article and sorted them by id: 488 of 5,596 reads in one benchmark
-- run with three instances, 6,418 index entries each instead of ~40
-- (pg_stat_user_indexes). Every reader's tip also wrote it for nothing
-- else.
DROP INDEX tips_article_recent;
