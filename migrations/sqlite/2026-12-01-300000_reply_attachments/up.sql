-- Files a reader sends with a follow-up message (issue 17): stored as the
-- tip's files are, numbered on after them (so a download is still
-- /desk/tips/{id}/attachments/{n}, under the same permissions and audit),
-- and tied to the message they came with by its place in the
-- conversation (tip_messages.seq). NULL: a file sent with the tip itself.
ALTER TABLE attachments ADD COLUMN message_seq INTEGER;
