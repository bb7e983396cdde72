-- entities/0001: the sessions of the schema's sign-in services
-- (auth.password, auth.cookies): one row per refresh token, stored only as
-- its SHA-256. A login starts a family; each refresh marks its token used
-- and adds the next one; a used token presented again revokes the family.
-- The accounts themselves are the entity's rows (weft_e_<entity>).
CREATE TABLE weft_sign_in_sessions (
  token_hash text PRIMARY KEY,
  realm      text NOT NULL,          -- <plural>/<name>
  subject    text NOT NULL,          -- the entity row's id
  family_id  uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  used       boolean NOT NULL DEFAULT false
);
CREATE INDEX weft_sign_in_sessions_family ON weft_sign_in_sessions (family_id);
CREATE INDEX weft_sign_in_sessions_expiry ON weft_sign_in_sessions (expires_at);
