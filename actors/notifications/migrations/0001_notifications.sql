-- notifications/0001: in-app notifications and each user's unread counter.
-- Applied once, recorded in weft_schema_migrations under module
-- 'notifications'. Never edit this file once released: add 0002_*.sql.

-- id is a UUIDv7: pages walk (user_id, id) newest first. event_id is the
-- event that caused the row and deliberately not unique: the inbox applies
-- each event once, and a double application must show, not be hidden.
CREATE TABLE weft_notifications (
  id         uuid PRIMARY KEY,
  user_id    text NOT NULL,
  kind       text NOT NULL,
  title      text NOT NULL,
  body       text NOT NULL,
  subject    text NOT NULL,
  event_id   text NOT NULL,
  created_at timestamptz NOT NULL,
  read_at    timestamptz
);
CREATE INDEX weft_notifications_user_idx ON weft_notifications (user_id, id);

-- Incremented by the inbox for each notification it writes, decremented when
-- notifications are marked read: not idempotent by itself.
CREATE TABLE weft_notification_counters (
  user_id text PRIMARY KEY,
  unread  bigint NOT NULL
);
