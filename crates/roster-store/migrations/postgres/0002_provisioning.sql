-- Push provisioning (PostgreSQL): the durable job queue and the Tasks an administrator sees.
--
-- A job is one step for one (app, user): QUEUED until `due`, RUNNING while a worker holds its
-- lease (`locked_until`; claimed with FOR UPDATE SKIP LOCKED, so several servers share the
-- queue; an expired lease makes it claimable again, so a crashed worker's job
-- is not lost), FAILED once it opened a task. Finished jobs are deleted. `payload` and
-- `last_error` are JSON text and never hold a secret.

CREATE TABLE provisioning_jobs (
    id           TEXT COLLATE "C" PRIMARY KEY,
    app_id       TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL,
    operation    TEXT COLLATE "C" NOT NULL,
    payload      TEXT COLLATE "C" NOT NULL,
    status       TEXT COLLATE "C" NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    due          TEXT COLLATE "C" NOT NULL,
    locked_until TEXT COLLATE "C",
    last_error   TEXT COLLATE "C",
    created      TEXT COLLATE "C" NOT NULL,
    updated      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX provisioning_jobs_due_idx ON provisioning_jobs (status, due, id);
CREATE INDEX provisioning_jobs_user_idx ON provisioning_jobs (user_id, app_id);

-- One task per failed job (OPEN, RETRYING, DONE, DISMISSED).
CREATE TABLE provisioning_tasks (
    id         TEXT COLLATE "C" PRIMARY KEY,
    job_id     TEXT COLLATE "C" NOT NULL,
    app_id     TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    operation  TEXT COLLATE "C" NOT NULL,
    status     TEXT COLLATE "C" NOT NULL,
    attempts   BIGINT NOT NULL,
    last_error TEXT COLLATE "C",
    created    TEXT COLLATE "C" NOT NULL,
    updated    TEXT COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX provisioning_tasks_job_key ON provisioning_tasks (job_id);
CREATE INDEX provisioning_tasks_app_idx ON provisioning_tasks (app_id, id);
CREATE INDEX provisioning_tasks_user_idx ON provisioning_tasks (user_id, id);
