-- webhooks/0004: the retention sweeper deletes settled deliveries by age;
-- a BRIN on created_at finds them at next to no cost per insert (rows are
-- appended in creation order).
CREATE INDEX weft_webhook_deliveries_created_brin ON weft_webhook_deliveries
  USING brin (created_at);
