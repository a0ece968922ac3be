-- Every delivery attempt of an outbox job, with the server's answer.
CREATE TABLE outbox_attempts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id        BIGINT NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempted_at  TIMESTAMP NOT NULL,
    -- sent, transient, permanent
    outcome       TEXT NOT NULL,
    error         TEXT
);
CREATE INDEX outbox_attempts_job ON outbox_attempts (job_id);

-- When each address was last mailed: the digest window is reserved here,
-- atomically, so instances racing on a flood still send one email a window.
CREATE TABLE mailboxes (
    recipient       TEXT PRIMARY KEY NOT NULL,
    last_mailed_at  TIMESTAMP NOT NULL
);

-- Workers report in; readiness checks that one has done so recently.
CREATE TABLE worker_heartbeats (
    worker_id  TEXT PRIMARY KEY NOT NULL,
    seen_at    TIMESTAMP NOT NULL
);

-- Which worker holds a claimed job: ops can see it, and a crash's
-- in-flight jobs can be told apart.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;

CREATE INDEX outbox_recipient_due ON outbox (recipient, state, next_attempt_at);
