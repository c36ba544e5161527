-- Imports: what each source application holds, one row per source record (Okta's "app user"
-- of an import source). `external_id` is the source's stable id (LDAP entryUUID, AD objectGUID,
-- the CSV externalId column, SCIM id); `user_id` the Roster user it is linked to, once matched.
-- `profile` is the app user profile (JSON) as last read; `digest` a hash of it, so an unchanged
-- record is skipped without comparing profiles. `seen_job` is the last import that read the
-- record: a FULL import that read everything removes what it did not see.

CREATE TABLE import_records (
    app_id      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id     TEXT,
    user_name   TEXT NOT NULL,
    status      TEXT NOT NULL,
    match_state TEXT NOT NULL,
    pending_job TEXT,
    pending     TEXT,
    profile     TEXT NOT NULL,
    digest      TEXT NOT NULL,
    modified    TEXT,
    seen_job    TEXT NOT NULL,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    PRIMARY KEY (app_id, external_id)
);
CREATE INDEX import_records_user_idx ON import_records (user_id, app_id);
-- Only the records waiting for confirmation are in it (most records never are).
CREATE INDEX import_records_pending_idx ON import_records (pending_job, external_id)
    WHERE pending_job IS NOT NULL;
