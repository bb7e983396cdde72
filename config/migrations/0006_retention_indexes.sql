-- 0006_retention_indexes: what the retention sweeper deletes by age is found
-- by an index, not a scan. The inbox is append-mostly and hot, so its index
-- is BRIN (a few pages, next to no cost per insert); refresh tokens get a
-- b-tree on expires_at (they expire out of insertion order).
CREATE INDEX weft_inbox_processed_brin ON weft_inbox USING brin (processed_at);
CREATE INDEX weft_refresh_tokens_expires_idx ON weft_refresh_tokens (expires_at);
