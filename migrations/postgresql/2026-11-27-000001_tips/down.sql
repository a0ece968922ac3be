DROP TABLE outbox;
DROP TABLE tips;
DROP TABLE articles;
