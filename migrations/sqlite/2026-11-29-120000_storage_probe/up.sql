-- A scratch row /readyz writes and deletes to learn whether writes succeed
-- again after they failed (a full disk); always empty between probes.
CREATE TABLE storage_probe (
    id   INTEGER PRIMARY KEY NOT NULL,
    pad  TEXT NOT NULL
);
