DROP TABLE feeds;
ALTER TABLE articles DROP COLUMN retired_at;
