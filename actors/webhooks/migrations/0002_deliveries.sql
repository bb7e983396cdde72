-- webhooks/0002: one row per (subscription, event) to deliver, claimed by
-- the nodes' dispatchers with a lease (SKIP LOCKED), as the outbox's rows.
CREATE TABLE weft_webhook_deliveries (
  id              bigserial PRIMARY KEY,
  subscription_id uuid NOT NULL,
  event_id        text NOT NULL,
  type            text NOT NULL,
  subject         text NOT NULL,
  body            text NOT NULL,
  status          text NOT NULL,           -- pending, delivered, gone, exhausted
  attempts        integer NOT NULL DEFAULT 0,
  next_at         timestamptz NOT NULL,
  locked_by       text,
  locked_until    timestamptz,
  last_code       integer NOT NULL DEFAULT 0,
  last_error      text NOT NULL DEFAULT '',
  last_latency_ms integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX weft_webhook_deliveries_due_idx ON weft_webhook_deliveries (next_at)
  WHERE status = 'pending';
CREATE INDEX weft_webhook_deliveries_sub_idx ON weft_webhook_deliveries (subscription_id, id);
