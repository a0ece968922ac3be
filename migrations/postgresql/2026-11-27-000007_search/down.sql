DROP INDEX tips_message_trgm;
