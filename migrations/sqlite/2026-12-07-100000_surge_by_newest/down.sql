CREATE INDEX tips_article_recent ON tips (article_id, created_at);
