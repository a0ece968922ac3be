DROP INDEX tips_fingerprint;
ALTER TABLE tips DROP COLUMN fingerprint;
