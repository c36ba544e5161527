-- The change outbox (issue #13): what a directory change sets off in push provisioning, written
-- in the change's own transaction, so a crash after the commit cannot lose it.
--
-- A row is written leased to the request that made the change (`lease_until`); that request
-- acts on it right after the commit and deletes it. A row whose lease ran out (its server died,
-- or acting on it failed) is claimed by a server's outbox sweeper, acted on and deleted.
-- `body` is JSON: ids, statuses and, for a password to sync, the password sealed with the master
-- key (never clear).
CREATE TABLE change_outbox (
    id          TEXT PRIMARY KEY,
    body        TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_until TEXT NOT NULL,
    last_error  TEXT,
    created     TEXT NOT NULL
);
CREATE INDEX change_outbox_lease_idx ON change_outbox (lease_until, id);
