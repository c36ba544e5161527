-- Imports (PostgreSQL): what each source application holds, one row per source record (Okta's
-- "app user" of an import source). `external_id` is the source's stable id; `user_id` the Roster
-- user it is linked to, once matched. `profile` is the app user profile as last read; `digest` a
-- hash of it, so an unchanged record is skipped without comparing profiles. `seen_job` is the
-- last import that read the record: a FULL import that read everything removes what it did not
-- see.

CREATE TABLE import_records (
    app_id      TEXT COLLATE "C" NOT NULL,
    external_id TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C",
    user_name   TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    match_state TEXT COLLATE "C" NOT NULL,
    pending_job TEXT COLLATE "C",
    pending     TEXT COLLATE "C",
    profile     TEXT COLLATE "C" NOT NULL,
    digest      TEXT COLLATE "C" NOT NULL,
    modified    TEXT COLLATE "C",
    seen_job    TEXT COLLATE "C" NOT NULL,
    created     TEXT COLLATE "C" NOT NULL,
    updated     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (app_id, external_id)
);
CREATE INDEX import_records_user_idx ON import_records (user_id, app_id);
-- Only the records waiting for confirmation are in it (most records never are).
CREATE INDEX import_records_pending_idx ON import_records (pending_job, external_id)
    WHERE pending_job IS NOT NULL;
