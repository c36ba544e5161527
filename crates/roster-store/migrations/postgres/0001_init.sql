-- Roster's schema for PostgreSQL. Timestamps are TEXT in Roster's fixed-width UTC format
-- (2026-11-22T22:37:46.123Z), so they order correctly as text. Every text column uses the
-- "C" collation so ordering, range scans and lower() behave byte for byte like SQLite,
-- whatever the database's default collation. Columns named *_lower hold Unicode-lowercased
-- copies of profile attributes for case-insensitive filters; the JSON profile stays the
-- source of truth.

CREATE TABLE users (
    id               TEXT COLLATE "C" PRIMARY KEY,
    status           TEXT COLLATE "C" NOT NULL,
    created          TEXT COLLATE "C" NOT NULL,
    activated        TEXT COLLATE "C",
    status_changed   TEXT COLLATE "C",
    last_login       TEXT COLLATE "C",
    last_updated     TEXT COLLATE "C" NOT NULL,
    password_changed TEXT COLLATE "C",
    login            TEXT COLLATE "C" NOT NULL,
    login_lower      TEXT COLLATE "C" NOT NULL,
    email_lower      TEXT COLLATE "C",
    first_name_lower TEXT COLLATE "C",
    last_name_lower  TEXT COLLATE "C",
    provider_type    TEXT COLLATE "C" NOT NULL,
    provider_name    TEXT COLLATE "C" NOT NULL,
    password_hash    TEXT COLLATE "C",
    password_history TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    failed_logins    BIGINT NOT NULL DEFAULT 0,
    version          BIGINT NOT NULL,
    profile          JSONB NOT NULL
);
CREATE UNIQUE INDEX users_login_lower_key ON users (login_lower);
CREATE INDEX users_status_idx ON users (status, id);
CREATE INDEX users_last_updated_idx ON users (last_updated);
CREATE INDEX users_email_lower_idx ON users (email_lower);
CREATE INDEX users_last_name_lower_idx ON users (last_name_lower);

CREATE TABLE groups (
    id                      TEXT COLLATE "C" PRIMARY KEY,
    kind                    TEXT COLLATE "C" NOT NULL,
    name                    TEXT COLLATE "C" NOT NULL,
    name_lower              TEXT COLLATE "C" NOT NULL,
    description             TEXT COLLATE "C",
    description_lower       TEXT COLLATE "C",
    app_id                  TEXT COLLATE "C",
    created                 TEXT COLLATE "C" NOT NULL,
    last_updated            TEXT COLLATE "C" NOT NULL,
    last_membership_updated TEXT COLLATE "C" NOT NULL,
    version                 BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_name_lower_key ON groups (name_lower);

CREATE TABLE memberships (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id, group_id);

CREATE TABLE api_tokens (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT COLLATE "C" NOT NULL,
    role         TEXT COLLATE "C" NOT NULL,
    token_hash   TEXT COLLATE "C" NOT NULL,
    token_prefix TEXT COLLATE "C" NOT NULL,
    created      TEXT COLLATE "C" NOT NULL,
    last_used    TEXT COLLATE "C",
    revoked      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);

CREATE TABLE documents (
    kind     TEXT COLLATE "C" NOT NULL,
    id       TEXT COLLATE "C" NOT NULL,
    priority BIGINT NOT NULL,
    body     JSONB NOT NULL,
    version  BIGINT NOT NULL,
    updated  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX documents_kind_priority_idx ON documents (kind, priority, id);

CREATE TABLE log_events (
    seq            BIGSERIAL PRIMARY KEY,
    uuid           TEXT COLLATE "C" NOT NULL,
    published      TEXT COLLATE "C" NOT NULL,
    event_type     TEXT COLLATE "C" NOT NULL,
    severity       TEXT COLLATE "C" NOT NULL,
    outcome_result TEXT COLLATE "C" NOT NULL,
    actor_id       TEXT COLLATE "C" NOT NULL,
    body           JSONB NOT NULL
);
CREATE UNIQUE INDEX log_events_uuid_key ON log_events (uuid);
CREATE INDEX log_events_type_idx ON log_events (event_type, seq);
CREATE INDEX log_events_published_idx ON log_events (published, seq);
