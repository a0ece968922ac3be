-- Every index on tips is written by every reader's tip, inside the tip
-- writer's group transaction (src/submission/writer.rs); these two cost
-- the most for nothing (issue 19, measured with a model of the group's
-- statements: server CPU per tip 0.35 -> 0.30 ms with both).
--
-- tips_article (article_id) repeats the leading column of
-- tips_article_newest (article_id, id DESC) and tips_article_recent
-- (article_id, created_at): any query it served, they serve.
DROP INDEX tips_article;

-- Only a resend (a submission carrying a served form's nonce or an
-- Idempotency-Key) is ever looked up by fingerprint; every other tip is
-- stored with '' (src/submission/mod.rs). Indexing those too put a random
-- 64-character key on a random page of the index for each tip. Tips
-- stored before this migration keep their random fingerprints, which no
-- lookup can match, and stay in the index.
DROP INDEX tips_fingerprint;
CREATE INDEX tips_fingerprint ON tips (fingerprint, created_at) WHERE fingerprint <> '';
