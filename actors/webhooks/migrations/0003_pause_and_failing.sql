-- webhooks/0003: a subscription can be paused (its rows are recorded, none
-- is claimed), and the node disables one that fails without a success for
-- webhooks.disable_after_s: failing_since is when its failures began,
-- disabled_reason why the node disabled it.
ALTER TABLE weft_webhook_subscriptions
  ADD COLUMN paused boolean NOT NULL DEFAULT false,
  ADD COLUMN failing_since timestamptz,
  ADD COLUMN disabled_reason text NOT NULL DEFAULT '';
