DROP INDEX tips_case;
ALTER TABLE tips DROP COLUMN case_sketch;
ALTER TABLE tips DROP COLUMN case_id;
