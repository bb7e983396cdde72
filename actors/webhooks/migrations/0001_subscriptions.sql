-- webhooks/0001: subscriptions of HTTP endpoints to the event stream.
-- Applied once, recorded in weft_schema_migrations under module 'webhooks'.
-- Never edit this file once released: add 0002_*.sql.

-- id is a UUIDv7: pages walk it oldest first. The secret signs deliveries;
-- after a rotation the previous one signs too until previous_until.
CREATE TABLE weft_webhook_subscriptions (
  id              uuid PRIMARY KEY,
  sink            text NOT NULL,
  types           jsonb NOT NULL,
  filters         jsonb NOT NULL,
  ordered         boolean NOT NULL,
  enabled         boolean NOT NULL,
  secret          text NOT NULL,
  previous_secret text NOT NULL DEFAULT '',
  previous_until  timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
