-- A `reply` job names the reader's message it is about (its
-- tip_messages.seq), so the desk's email can say how many files came with
-- that message (issue 17). NULL for `tip` and `reminder` jobs, and for
-- reply jobs queued before this column (their email names no files).
ALTER TABLE outbox ADD COLUMN message_seq INTEGER;
