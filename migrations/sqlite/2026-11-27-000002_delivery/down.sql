DROP INDEX outbox_recipient_due;
ALTER TABLE outbox DROP COLUMN claimed_by;
DROP TABLE worker_heartbeats;
DROP TABLE mailboxes;
DROP TABLE outbox_attempts;
