ALTER TABLE outbox DROP COLUMN reason;
DROP TABLE receipt_failures;
ALTER TABLE tips DROP COLUMN published_url;
ALTER TABLE tips DROP COLUMN reader_replied_at;
DROP TABLE tip_messages;
DROP TABLE tip_receipts;
