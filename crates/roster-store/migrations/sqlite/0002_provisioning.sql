-- Push provisioning: the durable job queue and the Tasks an administrator sees.
--
-- A job is one step for one (app, user): QUEUED until `due`, RUNNING while a worker holds its
-- lease (`locked_until`; an expired lease makes it claimable again, so a crashed worker's job
-- is not lost), FAILED once it opened a task. Finished jobs are deleted. `payload` and
-- `last_error` are JSON text and never hold a secret.

CREATE TABLE provisioning_jobs (
    id           TEXT PRIMARY KEY NOT NULL,
    app_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    operation    TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    due          TEXT NOT NULL,
    locked_until TEXT,
    last_error   TEXT,
    created      TEXT NOT NULL,
    updated      TEXT NOT NULL
);
CREATE INDEX provisioning_jobs_due_idx ON provisioning_jobs (status, due, id);
CREATE INDEX provisioning_jobs_user_idx ON provisioning_jobs (user_id, app_id);

-- One task per failed job (OPEN, RETRYING, DONE, DISMISSED).
CREATE TABLE provisioning_tasks (
    id         TEXT PRIMARY KEY NOT NULL,
    job_id     TEXT NOT NULL,
    app_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    operation  TEXT NOT NULL,
    status     TEXT NOT NULL,
    attempts   INTEGER NOT NULL,
    last_error TEXT,
    created    TEXT NOT NULL,
    updated    TEXT NOT NULL
);
CREATE UNIQUE INDEX provisioning_tasks_job_key ON provisioning_tasks (job_id);
CREATE INDEX provisioning_tasks_app_idx ON provisioning_tasks (app_id, id);
CREATE INDEX provisioning_tasks_user_idx ON provisioning_tasks (user_id, id);
