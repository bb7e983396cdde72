-- 0005_outbox_lease_owner: who holds a lease. A relay may claim rows of a
-- subject queued behind rows it holds itself (it publishes them after those,
-- in order); another relay's lease or a pending retry still holds the subject
-- back. Before, every lease did: with a few busy aggregates each had a row in
-- flight, every later row was held back, and each claim read the whole
-- backlog to find nothing (100 aggregates: 2.7k events/s end to end). In no
-- index, so a claim stays a HOT update.
ALTER TABLE weft_outbox ADD COLUMN locked_by text;
