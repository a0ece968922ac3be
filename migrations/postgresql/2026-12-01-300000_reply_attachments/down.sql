ALTER TABLE attachments DROP COLUMN message_seq;
