-- Surge detection counts an article's recent tips.
CREATE INDEX tips_article_recent ON tips (article_id, created_at);
-- A job held back to be mailed as part of a digest (an article in surge).
ALTER TABLE outbox ADD COLUMN digest BOOLEAN NOT NULL DEFAULT FALSE;
