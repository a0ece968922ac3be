-- A keyed hash of a tip's content and sender: an identical resubmission
-- (double click, browser retry) within minutes finds the first tip by it.
ALTER TABLE tips ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
CREATE INDEX tips_fingerprint ON tips (fingerprint, created_at);
