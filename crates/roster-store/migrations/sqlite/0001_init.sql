-- Roster's schema for SQLite. Timestamps are TEXT in Roster's fixed-width UTC format
-- (2026-11-22T22:37:46.123Z), so they order correctly as text. Columns named *_lower hold
-- Unicode-lowercased copies of profile attributes for case-insensitive filters; the JSON
-- profile stays the source of truth.

CREATE TABLE users (
    id               TEXT PRIMARY KEY NOT NULL,
    status           TEXT NOT NULL,
    created          TEXT NOT NULL,
    activated        TEXT,
    status_changed   TEXT,
    last_login       TEXT,
    last_updated     TEXT NOT NULL,
    password_changed TEXT,
    login            TEXT NOT NULL,
    login_lower      TEXT NOT NULL,
    email_lower      TEXT,
    first_name_lower TEXT,
    last_name_lower  TEXT,
    provider_type    TEXT NOT NULL,
    provider_name    TEXT NOT NULL,
    password_hash    TEXT,
    password_history TEXT NOT NULL DEFAULT '[]',
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL,
    profile          TEXT NOT NULL
);
CREATE UNIQUE INDEX users_login_lower_key ON users (login_lower);
CREATE INDEX users_status_idx ON users (status, id);
CREATE INDEX users_last_updated_idx ON users (last_updated);
CREATE INDEX users_email_lower_idx ON users (email_lower);
CREATE INDEX users_last_name_lower_idx ON users (last_name_lower);

CREATE TABLE groups (
    id                      TEXT PRIMARY KEY NOT NULL,
    kind                    TEXT NOT NULL,
    name                    TEXT NOT NULL,
    name_lower              TEXT NOT NULL,
    description             TEXT,
    description_lower       TEXT,
    app_id                  TEXT,
    created                 TEXT NOT NULL,
    last_updated            TEXT NOT NULL,
    last_membership_updated TEXT NOT NULL,
    version                 INTEGER NOT NULL
);
CREATE UNIQUE INDEX groups_name_lower_key ON groups (name_lower);

CREATE TABLE memberships (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user_idx ON memberships (user_id, group_id);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    token_prefix TEXT NOT NULL,
    created      TEXT NOT NULL,
    last_used    TEXT,
    revoked      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);

CREATE TABLE documents (
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    priority INTEGER NOT NULL,
    body     TEXT NOT NULL,
    version  INTEGER NOT NULL,
    updated  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX documents_kind_priority_idx ON documents (kind, priority, id);

CREATE TABLE log_events (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid           TEXT NOT NULL,
    published      TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    severity       TEXT NOT NULL,
    outcome_result TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    body           TEXT NOT NULL
);
CREATE UNIQUE INDEX log_events_uuid_key ON log_events (uuid);
CREATE INDEX log_events_type_idx ON log_events (event_type, seq);
CREATE INDEX log_events_published_idx ON log_events (published, seq);
