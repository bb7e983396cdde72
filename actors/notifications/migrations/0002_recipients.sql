-- notifications/0002: who has which email, learnt from auth.user.created,
-- so that a notification requested for an email (a schema's
-- notifications.inapp binding) reaches that user. A notification for an
-- email nobody has yet is kept under 'email:<address>' and moves to the user
-- when they register.
CREATE TABLE weft_notification_recipients (
  email   text PRIMARY KEY,
  user_id text NOT NULL
);
