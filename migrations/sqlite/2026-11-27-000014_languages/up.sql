-- Languages (issue 14). An article's own language, from the CMS: the
-- language of its form unless the reader picks another (NULL: the
-- browser's, or i18n.default_locale). A staff account's language for the
-- desk (NULL: i18n.default_locale).
ALTER TABLE articles ADD COLUMN language TEXT;
ALTER TABLE users ADD COLUMN locale TEXT;
