-- Reminders of overdue tips (issue 18, "never stale"): one row per desk per
-- UTC day that a reminder was queued. Every instance checks; the one whose
-- INSERT takes (desk, day) queues the reminder's email in the same
-- transaction (src/triage/reminder.rs), so N instances send one.
-- day is the UTC midnight that starts the day (a TIMESTAMP: DATE has no
-- portable type in schema.rs). overdue and unread are the counts the
-- email reports; cutoff is when a tip must have arrived to be overdue at
-- created_at (so the email lists the tips that were overdue then and are
-- still unread when it is sent).
CREATE TABLE desk_reminders (
    desk        TEXT NOT NULL,
    day         TIMESTAMP NOT NULL,
    overdue     BIGINT NOT NULL,
    unread      BIGINT NOT NULL,
    cutoff      TIMESTAMP NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (desk, day)
);
