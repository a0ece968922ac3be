-- Duplicates as one case (issue 18; src/triage/cases.rs says how cases are
-- kept and read).

-- The case a tip belongs to, named by the id of its first tip (the
-- smallest id in it). NULL on a tip alone; the first tip of a case holds
-- NULL or its own id. Set when the tip is stored, changed only by the desk
-- (a tip taken out of its case, two cases merged). No foreign key:
-- retention may remove a case's first tip and the rest stays one case.
ALTER TABLE tips ADD COLUMN case_id BIGINT;
-- The sketch of the tip's folded text that new tips of the same article
-- are compared with (src/triage/similarity.rs): up to 64 big-endian
-- 32-bit hashes. NULL on tips stored before cases existed, which no new
-- tip joins.
ALTER TABLE tips ADD COLUMN case_sketch BLOB;

-- The members of a case, oldest first: the queue asks of each tip whether
-- a newer one of its case exists (one probe), the case page lists them.
-- Partial: tips alone, most of them, are not in it.
CREATE INDEX tips_case ON tips (case_id, id) WHERE case_id IS NOT NULL;
