DROP INDEX tips_language_status;
DROP INDEX tips_unread_status;
