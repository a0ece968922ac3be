-- Attachments (issue 17): files a reader sends with a tip.
--
-- Kept in the database, not in a directory: every instance behind the
-- load balancer reads every file, a file is written in the tip's own
-- transaction (no tip without its files, no file without its tip,
-- whatever crashes when), and backups, retention and `purge` need
-- nothing new. Content is encrypted (XChaCha20-Poly1305 STREAM) under a
-- key of its own; that key, the file's name and its SHA-256 are sealed
-- with the privacy key ring and bound to the tip and the file's place, so
-- neither a name nor a byte of content is on disk in clear, and rotating
-- the ring re-seals keys without rewriting the files.
CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    tip_id        BIGINT NOT NULL REFERENCES tips (id) ON DELETE CASCADE,
    -- 1, 2, ... in the order the reader attached them.
    n             INTEGER NOT NULL,
    -- Sealed: the sanitized file name, the file key, the SHA-256 (hex).
    name          TEXT NOT NULL,
    file_key      TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    -- The type told by the content (allowed_types' names, e.g. "jpeg").
    file_type     TEXT NOT NULL,
    -- Bytes as sent (before encryption).
    size          BIGINT NOT NULL,
    -- What was done to metadata: "removed", "kept" or "as_sent".
    metadata      TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (tip_id, n)
);

-- The encrypted content, one STREAM segment a row, in order.
CREATE TABLE attachment_chunks (
    attachment_id  BIGINT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    data           BLOB NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
