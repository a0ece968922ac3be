-- The queue's "files attached" badge (issue 18): how many files the reader
-- sent with the tip, set with the tip's own row in its write transaction
-- (files are stored only there, src/submission/mod.rs), so the queue reads
-- it from the row like its other badges instead of looking at attachments.
ALTER TABLE tips ADD COLUMN attachment_count INTEGER NOT NULL DEFAULT 0;
UPDATE tips SET attachment_count =
    (SELECT count(*) FROM attachments WHERE attachments.tip_id = tips.id)
    WHERE id IN (SELECT tip_id FROM attachments);
