-- 0002_outbox_claim: what the outbox relay's claim needs (adapters/postgres/
-- outbox_table.cpp). For each candidate row the claim looks for an earlier
-- unpublished row of the same subject that is leased or waiting for a retry
-- (per-subject order); this index makes that one short range scan.
CREATE INDEX weft_outbox_subject_pending_idx ON weft_outbox (subject, id)
  WHERE published_at IS NULL;
