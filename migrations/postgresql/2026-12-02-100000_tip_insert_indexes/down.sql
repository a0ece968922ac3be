DROP INDEX tips_fingerprint;
CREATE INDEX tips_fingerprint ON tips (fingerprint, created_at);
CREATE INDEX tips_article ON tips (article_id);
