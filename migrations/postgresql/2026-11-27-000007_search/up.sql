-- The dashboard's "text in the message" filter over a million tips:
-- pg_trgm's trigram index answers lower(message) LIKE '%phrase%' without
-- reading every message. pg_trgm ships with PostgreSQL and is a trusted
-- extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX tips_message_trgm ON tips USING gin (lower(message) gin_trgm_ops);
