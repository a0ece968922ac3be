-- The reader's follow-up (issue 16).

-- A receipt lets a reader come back to their tip. Only its keyed hash
-- (HMAC-SHA256 under a key derived from security.secret_key) is kept:
-- never the receipt. The primary key keeps receipts of different tips
-- apart; a tip has one receipt, or more when the reader's browser sent it
-- twice (each answer carried one, and each works).
CREATE TABLE tip_receipts (
    receipt_hash  TEXT PRIMARY KEY NOT NULL,
    tip_id        BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX tip_receipts_tip ON tip_receipts (tip_id);

-- The conversation between the desk and the reader, oldest first by
-- `seq`. `body` is sealed with the privacy key ring, bound to the tip, its
-- place in the conversation and who wrote it. `user_id`: the staff member
-- who wrote (desk messages only; never shown to the reader).
CREATE TABLE tip_messages (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tip_id      BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    author      TEXT NOT NULL,
    user_id     BIGINT REFERENCES users (id),
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (tip_id, seq)
);

-- When the reader last wrote while the desk had not yet answered: the
-- queue's "reader replied" badge. Cleared by the desk's next message.
ALTER TABLE tips ADD COLUMN reader_replied_at TIMESTAMP;
-- The published correction, given when an editor closes a correction as
-- published; the reader's view links to it.
ALTER TABLE tips ADD COLUMN published_url TEXT;

-- Wrong receipts, per client (the daily-salted keyed hash, never the
-- address): the throttle counts a client's rows of the last hour, and
-- /ops/queue all clients' rows of the last minutes. Kept a day.
CREATE TABLE receipt_failures (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_hash  TEXT NOT NULL,
    at           TIMESTAMP NOT NULL
);
CREATE INDEX receipt_failures_client ON receipt_failures (client_hash, at);
CREATE INDEX receipt_failures_at ON receipt_failures (at);

-- What a notification job is about: a new tip, or a reader's reply to one.
ALTER TABLE outbox ADD COLUMN reason TEXT NOT NULL DEFAULT 'tip';
