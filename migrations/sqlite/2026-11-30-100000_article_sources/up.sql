-- Articles arriving by themselves (issue 20): the CMS API, signed embeds
-- and the newsroom's feeds.

-- Set when the CMS retires an article (DELETE /api/v1/articles/{id}): its
-- form answers 410 and takes no new tips; its tips stay. Only the CMS
-- bringing it back (PUT) clears it: a feed or an old embed still carrying
-- the article does not.
ALTER TABLE articles ADD COLUMN retired_at TIMESTAMP;

-- One row per configured feed URL: what the last poll learned, and the
-- lease that lets one instance at a time poll it (claimed like an outbox
-- job: `lease_until` in the future means someone holds it; `next_poll_at`
-- spaces the polls across every instance).
CREATE TABLE feeds (
    url              TEXT PRIMARY KEY NOT NULL,
    etag             TEXT,
    last_modified    TEXT,
    next_poll_at     TIMESTAMP NOT NULL,
    lease_until      TIMESTAMP,
    claimed_by       TEXT,
    last_attempt_at  TIMESTAMP,
    last_success_at  TIMESTAMP,
    last_error       TEXT
);
