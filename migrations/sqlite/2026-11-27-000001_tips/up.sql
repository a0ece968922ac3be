-- Articles readers can send tips about; `section` decides the desk.
CREATE TABLE articles (
    id          TEXT PRIMARY KEY NOT NULL,
    title       TEXT NOT NULL,
    url         TEXT NOT NULL,
    section     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE tips (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    reference     TEXT NOT NULL UNIQUE,
    article_id    TEXT NOT NULL REFERENCES articles (id),
    desk          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    message       TEXT NOT NULL,
    quote         TEXT,
    reader_name   TEXT,
    contact       TEXT,
    contact_kind  TEXT,
    consent       BOOLEAN NOT NULL,
    status        TEXT NOT NULL,
    -- keyed hash of the client address with a daily salt; never the address
    client_hash   TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX tips_desk_newest ON tips (desk, id DESC);
CREATE INDEX tips_article ON tips (article_id);

-- Desk notifications waiting to be mailed: one job per recipient, written in
-- the same transaction as the tip.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    tip_id           BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    desk             TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    message_id       TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP NOT NULL,
    lease_until      TIMESTAMP,
    claim_token      TEXT,
    last_error       TEXT,
    sent_at          TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_tip ON outbox (tip_id);
