ALTER TABLE outbox DROP COLUMN digest;
DROP INDEX tips_article_recent;
