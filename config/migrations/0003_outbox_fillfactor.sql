-- 0003_outbox_fillfactor: room on each page of weft_outbox for the relay's
-- lease (a claim sets locked_until, which no index covers), so that update
-- stays on the row's page as a HOT update: no new entries in the four
-- indexes, and weft_outbox_pending_idx keeps one entry per pending row. With
-- full pages nearly every lease was a new row version indexed four times.
-- Applies to pages written from now on.
ALTER TABLE weft_outbox SET (fillfactor = 50);
