-- A System Log reader following `after` in order must never skip an event (issue #13). On
-- PostgreSQL a BIGSERIAL is taken when the row is inserted, not when its transaction commits:
-- a transaction that took seq 10 and commits after one that took seq 11 would be skipped by a
-- reader that had already read 11. Each event now records its transaction id; an ascending read
-- returns only events of transactions older than every write transaction of this database still
-- running (`pg_stat_activity.backend_xid`; see `OLDEST_RUNNING_XID` in roster-store's events.rs),
-- so what it returns never gains a predecessor later. Rows written before this migration read
-- the migration's own transaction id, older than any transaction running later.
ALTER TABLE log_events ADD COLUMN txid xid8 DEFAULT pg_current_xact_id();
