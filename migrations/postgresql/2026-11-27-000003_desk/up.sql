-- Staff accounts. There is no default account: `tipdesk user add`.
CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    -- admin, editor, viewer, ops
    role           TEXT NOT NULL,
    -- argon2id PHC string
    password_hash  TEXT NOT NULL,
    disabled       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

-- Which desks an editor or viewer works for (admins see every desk).
CREATE TABLE user_desks (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    desk     TEXT NOT NULL,
    PRIMARY KEY (user_id, desk)
);

-- Server-side sessions: the cookie holds a random token, the table only
-- its SHA-256, so a database copy cannot be used to log in.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    expires_at    TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Failed logins per account and per client, for growing delays; shared by
-- every instance through the database.
CREATE TABLE login_failures (
    throttle_key     TEXT PRIMARY KEY NOT NULL,
    failures         INTEGER NOT NULL,
    last_failure_at  TIMESTAMP NOT NULL
);

ALTER TABLE tips ADD COLUMN assignee_id BIGINT REFERENCES users (id);
CREATE INDEX tips_status_newest ON tips (status, id DESC);
CREATE INDEX tips_assignee_newest ON tips (assignee_id, id DESC);
CREATE INDEX tips_article_newest ON tips (article_id, id DESC);

-- What happened to a tip, shown on its page: status changes, assignments,
-- notes, label changes.
CREATE TABLE tip_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tip_id      BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    user_id     BIGINT REFERENCES users (id),
    -- status, assign, note, labels
    kind        TEXT NOT NULL,
    from_value  TEXT,
    to_value    TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX tip_events_tip ON tip_events (tip_id, id);

CREATE TABLE tip_labels (
    tip_id  BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    label   TEXT NOT NULL,
    PRIMARY KEY (tip_id, label)
);

-- Who has opened which tip, for the unread-by-me marker.
CREATE TABLE tip_reads (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tip_id   BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    read_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, tip_id)
);

-- The audit trail. Each entry carries a hash over its content and the
-- previous entry's hash, so a changed or removed entry breaks the chain.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    actor_id    BIGINT,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
