-- 0004_outbox_claim_indexes: the two indexes of pending rows again, shaped so
-- that each statement of adapters/postgres/outbox_table.cpp can use only the
-- index meant for it, whatever the statistics say. They mostly say that
-- nothing is pending (taken while the outbox was drained), and then the
-- planner took any partial index as free: the claim's per-row subject check
-- and the marks scanned every pending row, and a node drained a backlog at
-- 2-3.5k events/s. Now:
-- - the claim scans weft_outbox_pending_idx in (id, subject) order (no other
--   index gives that order) and names its predicate `id > 0`;
-- - its subject check says `subject <> ''`, which only
--   weft_outbox_subject_pending_idx asks for, and does not say `id > 0`;
-- - marks name rows by id and say neither: the primary key.
-- Both predicates are always true of the rows they describe (ids are
-- positive; a row without a subject has no order to check).
DROP INDEX weft_outbox_pending_idx;
DROP INDEX weft_outbox_subject_pending_idx;
CREATE INDEX weft_outbox_pending_idx ON weft_outbox (id, subject)
  WHERE published_at IS NULL AND id > 0;
CREATE INDEX weft_outbox_subject_pending_idx ON weft_outbox (subject, id)
  WHERE published_at IS NULL AND subject <> '';
