-- 0001_initial: the schema of the auth and audit services, the outbox, the
-- inbox and idempotency keys. Applied once, in one transaction, recorded in
-- weft_schema_migrations. Never edit this file once released: add 0002_*.sql.

-- auth ------------------------------------------------------------------------

CREATE TABLE weft_users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL UNIQUE,
  password_hash text NOT NULL,
  roles         text[] NOT NULL,
  created_at    timestamptz NOT NULL
);

-- Refresh tokens are stored hashed; a rotated token is marked used, and the
-- reuse of a used one revokes its whole family.
CREATE TABLE weft_refresh_tokens (
  token_hash text PRIMARY KEY,
  user_id    uuid NOT NULL REFERENCES weft_users ON DELETE CASCADE,
  family_id  uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  used       boolean NOT NULL DEFAULT false
);
CREATE INDEX weft_refresh_tokens_family_idx ON weft_refresh_tokens (family_id);
-- ON DELETE CASCADE from weft_users looks rows up by user_id.
CREATE INDEX weft_refresh_tokens_user_idx ON weft_refresh_tokens (user_id);

CREATE TABLE weft_api_keys (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  role       text NOT NULL,
  key_hash   text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);

-- audit -----------------------------------------------------------------------

-- position orders the trail (pages are keyset: WHERE position > $last).
CREATE TABLE weft_audit_trail (
  position    bigserial PRIMARY KEY,
  event_id    uuid NOT NULL UNIQUE,
  type        text NOT NULL,
  subject     text NOT NULL,
  time        timestamptz NOT NULL,
  envelope    jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX weft_audit_trail_type_idx ON weft_audit_trail (type, position);
CREATE INDEX weft_audit_trail_subject_idx ON weft_audit_trail (subject, position);
CREATE INDEX weft_audit_trail_time_idx ON weft_audit_trail (time);

-- outbox ----------------------------------------------------------------------

-- Written in the same transaction as the domain change; the relay publishes
-- pending rows in id order (commit order per subject) and marks them
-- published; published rows are kept for a retention, then deleted.
--
-- No NOTIFY trigger: NOTIFY takes a global lock at commit, which
-- serialises every committing writer. The relay is woken in-process after a
-- local commit and polls; a writer that wants other processes' relays woken
-- at once calls pg_notify('weft_outbox', '') in its transaction (identical
-- notifications in one transaction are folded into one).
CREATE TABLE weft_outbox (
  id              bigserial PRIMARY KEY,
  event_id        uuid NOT NULL UNIQUE,
  type            text NOT NULL,
  subject         text NOT NULL,
  payload         text NOT NULL, -- the encoded CloudEvent (structured JSON)
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  published_at    timestamptz,
  locked_until    timestamptz
);
CREATE INDEX weft_outbox_pending_idx ON weft_outbox (id) WHERE published_at IS NULL;
-- Retention cleanup and `weft outbox republish --since`.
CREATE INDEX weft_outbox_published_idx ON weft_outbox (published_at)
  WHERE published_at IS NOT NULL;

-- inbox -----------------------------------------------------------------------

-- One row per (consumer, event) handled: inserted in the handler's
-- transaction, so a redelivered duplicate finds it and is acked unhandled.
CREATE TABLE weft_inbox (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- idempotent HTTP commands ------------------------------------------------------

CREATE TABLE weft_idempotency_keys (
  key          text NOT NULL,
  operation    text NOT NULL,
  request_hash text NOT NULL,
  status       int NOT NULL,
  response     text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  PRIMARY KEY (key, operation)
);
CREATE INDEX weft_idempotency_keys_expires_idx ON weft_idempotency_keys (expires_at);
