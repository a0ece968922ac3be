ALTER TABLE outbox DROP COLUMN message_seq;
