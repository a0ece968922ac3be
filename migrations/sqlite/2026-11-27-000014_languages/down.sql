ALTER TABLE users DROP COLUMN locale;
ALTER TABLE articles DROP COLUMN language;
