//! The push-provisioning job queue and its Tasks.
//!
//! A job is one idempotent step for one (app, user). Workers claim the oldest due job with a
//! lease: PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several servers share one queue without
//! running a job twice; SQLite inside a `BEGIN IMMEDIATE` transaction, so the one writer claims
//! it. A job whose lease expired (its worker died) becomes claimable again. Finished jobs are
//! deleted; a job that failed for good stays FAILED and is referenced by one Task, which an
//! administrator retries (the job is queued again) or dismisses (the job is deleted).
//!
//! Nothing here reads a clock: the caller passes `now`, due times and lease ends.

use roster_core::{LogEvent, Timestamp};
use serde_json::Value;

use crate::error::StoreError;
use crate::model::{clamp_limit, Document, Page};
use crate::sql::{DbRow, Dialect, SqlParam, Tx};
use crate::store::{into_page, parse_ts, Store};

/// A job to put on the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub id: String,
    pub app_id: String,
    pub user_id: String,
    /// What the step does, e.g. `user.push`.
    pub operation: String,
    /// Step parameters as JSON; never a secret.
    pub payload: Value,
    pub max_attempts: i64,
    pub due: Timestamp,
}

/// The PostgreSQL notification channel of new jobs.
const JOBS_CHANNEL: &str = "roster_jobs";

/// Top-level fields to set on an existing document when a job is queued.
#[derive(Debug, Clone)]
pub struct DocMark<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub fields: serde_json::Map<String, Value>,
    pub updated: Timestamp,
}

/// A job as stored. `attempts` counts claims, the current one included.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub app_id: String,
    pub user_id: String,
    pub operation: String,
    pub payload: Value,
    /// `QUEUED`, `RUNNING` or `FAILED`.
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub due: Timestamp,
    pub last_error: Option<Value>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// A Task: a job that failed for good, as an administrator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRecord {
    pub id: String,
    pub job_id: String,
    pub app_id: String,
    pub user_id: String,
    pub operation: String,
    /// `OPEN`, `RETRYING`, `DONE` or `DISMISSED`.
    pub status: String,
    pub attempts: i64,
    /// The last error as JSON (code, summary, target status, redacted body, cause, remediation).
    pub last_error: Option<Value>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// `list_tasks`: tasks ordered by id, after the `after` id.
#[derive(Debug, Clone, Default)]
pub struct TaskQuery {
    pub app_id: Option<String>,
    pub user_id: Option<String>,
    pub status: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

const JOB_COLUMNS: &str = "id, app_id, user_id, operation, payload, status, attempts, \
     max_attempts, due, last_error, created, updated";
const TASK_COLUMNS: &str =
    "id, job_id, app_id, user_id, operation, status, attempts, last_error, created, updated";

fn json_text(value: &Value, what: &str) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::corrupt(what.to_string()))
}

fn opt_json(row: &DbRow, column: &str) -> Result<Option<Value>, StoreError> {
    row.opt_text(column)?
        .map(|t| serde_json::from_str(&t).map_err(|_| StoreError::corrupt(column.to_string())))
        .transpose()
}

fn decode_job(row: &DbRow) -> Result<Job, StoreError> {
    Ok(Job {
        id: row.text("id")?,
        app_id: row.text("app_id")?,
        user_id: row.text("user_id")?,
        operation: row.text("operation")?,
        payload: serde_json::from_str(&row.text("payload")?)
            .map_err(|_| StoreError::corrupt("job payload"))?,
        status: row.text("status")?,
        attempts: row.int("attempts")?,
        max_attempts: row.int("max_attempts")?,
        due: parse_ts(&row.text("due")?, "due")?,
        last_error: opt_json(row, "last_error")?,
        created: parse_ts(&row.text("created")?, "created")?,
        updated: parse_ts(&row.text("updated")?, "updated")?,
    })
}

fn decode_task(row: &DbRow) -> Result<TaskRecord, StoreError> {
    Ok(TaskRecord {
        id: row.text("id")?,
        job_id: row.text("job_id")?,
        app_id: row.text("app_id")?,
        user_id: row.text("user_id")?,
        operation: row.text("operation")?,
        status: row.text("status")?,
        attempts: row.int("attempts")?,
        last_error: opt_json(row, "last_error")?,
        created: parse_ts(&row.text("created")?, "created")?,
        updated: parse_ts(&row.text("updated")?, "updated")?,
    })
}

/// How a step's outcome writes its document.
#[derive(Clone, Copy)]
enum DocWrite {
    /// Create or replace (a job being queued, a task being retried).
    Upsert,
    /// Replace only if it still exists: a step's outcome (the app user or mapping it pushed)
    /// never brings back a document deleted while the step ran (an unassignment racing a
    /// running push).
    IfPresent,
}

impl Store {
    /// Put a job on the queue, with an optional document (the app user it is for) and its
    /// events, in one transaction.
    pub async fn enqueue_job(
        &self,
        job: &NewJob,
        now: Timestamp,
        doc: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.insert_job_in(&mut tx, job, now).await?;
        self.finish(tx, doc, DocWrite::Upsert, events).await
    }

    /// Put a job on the queue and set `mark`'s fields on its document (the app user it is for)
    /// if that still exists, with events, in one transaction. Unlike a whole document written
    /// with [`Store::enqueue_job`], the mark cannot undo what a step recorded on the document
    /// since the caller read it. Returns whether the document was there.
    pub async fn enqueue_job_marking(
        &self,
        job: &NewJob,
        now: Timestamp,
        mark: &DocMark<'_>,
        events: &[LogEvent],
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        self.insert_job_in(&mut tx, job, now).await?;
        let mut read = self.sql();
        read.push(if self.dialect() == Dialect::Postgres {
            "SELECT body::text AS body FROM documents WHERE kind = "
        } else {
            "SELECT body FROM documents WHERE kind = "
        });
        read.bind(mark.kind);
        read.push(" AND id = ");
        read.bind(mark.id);
        if self.dialect() == Dialect::Postgres {
            read.push(" FOR UPDATE");
        }
        let marked = match tx.fetch_optional(&read, "read a document to mark").await? {
            Some(row) => {
                let mut body: Value = serde_json::from_str(&row.text("body")?)
                    .map_err(|_| StoreError::corrupt("document body"))?;
                if let Some(object) = body.as_object_mut() {
                    for (k, v) in &mark.fields {
                        object.insert(k.clone(), v.clone());
                    }
                }
                let doc = Document {
                    kind: mark.kind.to_owned(),
                    id: mark.id.to_owned(),
                    priority: 0,
                    body,
                    version: 0,
                    updated: mark.updated,
                };
                self.replace_document_in(&mut tx, &doc).await?
            }
            None => false,
        };
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(marked)
    }

    async fn insert_job_in(
        &self,
        tx: &mut Tx,
        job: &NewJob,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO provisioning_jobs (id, app_id, user_id, operation, payload, status, \
             attempts, max_attempts, due, created, updated) VALUES (",
        );
        sql.bind_list([
            SqlParam::Text(job.id.clone()),
            SqlParam::Text(job.app_id.clone()),
            SqlParam::Text(job.user_id.clone()),
            SqlParam::Text(job.operation.clone()),
            SqlParam::Text(json_text(&job.payload, "job payload")?),
            SqlParam::Text("QUEUED".into()),
            SqlParam::Int(0),
            SqlParam::Int(job.max_attempts),
            SqlParam::Text(job.due.to_string()),
            SqlParam::Text(now.to_string()),
            SqlParam::Text(now.to_string()),
        ]);
        sql.push(")");
        tx.execute(&sql, "enqueue a provisioning job").await?;
        if self.dialect() == Dialect::Postgres {
            // Delivered when the transaction commits (once per transaction): the idle workers of
            // every server on this database wake up (see `Store::listen_for_jobs`).
            let mut notify = self.sql();
            notify.push("SELECT pg_notify('");
            notify.push(JOBS_CHANNEL);
            notify.push("', '')");
            tx.fetch_optional(&notify, "wake the workers").await?;
        }
        Ok(())
    }

    /// PostgreSQL: call `wake` whenever any server on this database commits a new job, so idle
    /// workers start at once instead of at their next poll (`LISTEN roster_jobs`; the listener
    /// reconnects by itself after a lost connection). `false` on SQLite, where every writer is
    /// in this process and wakes its workers directly.
    pub async fn listen_for_jobs(
        &self,
        wake: impl Fn() + Send + 'static,
    ) -> Result<bool, StoreError> {
        let crate::sql::Pool::Postgres(pool) = &self.pool else {
            return Ok(false);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(StoreError::db("listen for new jobs"))?;
        listener
            .listen(JOBS_CHANNEL)
            .await
            .map_err(StoreError::db("listen for new jobs"))?;
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(_) => wake(),
                    Err(e) => {
                        // Notifications sent meanwhile are lost: wake once, the workers look.
                        tracing::warn!(error = %e, "lost the job notifications; reconnecting");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        wake();
                    }
                }
            }
        });
        Ok(true)
    }

    /// Claim the oldest due job (or one whose lease expired), leasing it until `lease_until`
    /// and counting the attempt. `None` when nothing is due.
    pub async fn claim_job(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Option<Job>, StoreError> {
        let mut tx = self.begin().await?;
        // Two indexed probes rather than one `OR`: a job whose lease expired (its worker died;
        // RUNNING rows are few) first, then the oldest due QUEUED job along the
        // (status, due, id) index. One query with `OR` made SQLite sort every due job, which
        // cost 76 ms a claim on an 80,000-job queue.
        let mut row = None;
        for (status, column) in [("RUNNING", "locked_until"), ("QUEUED", "due")] {
            let mut sql = self.sql();
            sql.push("SELECT ")
                .push(JOB_COLUMNS)
                .push(" FROM provisioning_jobs j WHERE status = '")
                .push(status)
                .push("' AND ")
                .push(column)
                .push(" <= ");
            sql.bind(now.to_string());
            // One job at a time per (app, user): a job whose subject has a job running elsewhere
            // waits, so a reactivation and a profile push never race on the target.
            sql.push(
                " AND NOT EXISTS (SELECT 1 FROM provisioning_jobs r WHERE r.app_id = j.app_id \
                 AND r.user_id = j.user_id AND r.id <> j.id AND r.status = 'RUNNING' \
                 AND r.locked_until > ",
            );
            sql.bind(now.to_string());
            sql.push(") ORDER BY ").push(column).push(", id LIMIT 1");
            if self.dialect() == Dialect::Postgres {
                sql.push(" FOR UPDATE OF j SKIP LOCKED");
            }
            row = tx.fetch_optional(&sql, "claim a provisioning job").await?;
            if row.is_some() {
                break;
            }
        }
        let Some(row) = row else {
            return Ok(None);
        };
        let mut job = decode_job(&row)?;
        if self.dialect() == Dialect::Postgres && !self.claim_subject(&mut tx, &job, now).await? {
            // Another server is claiming a job of the same subject right now: leave this one.
            return Ok(None);
        }
        let mut update = self.sql();
        update.push(
            "UPDATE provisioning_jobs SET status = 'RUNNING', attempts = attempts + 1, \
             locked_until = ",
        );
        update.bind(lease_until.to_string());
        update.push(", updated = ");
        update.bind(now.to_string());
        update.push(" WHERE id = ");
        update.bind(job.id.as_str());
        tx.execute(&update, "lease a provisioning job").await?;
        tx.commit().await?;
        job.status = "RUNNING".into();
        job.attempts += 1;
        job.updated = now;
        Ok(Some(job))
    }

    /// PostgreSQL: two servers may each pick a different job of one subject in the same instant
    /// (neither sees the other's claim before it commits). The subject's transaction-scoped
    /// advisory lock serialises those claims, and a fresh re-check (READ COMMITTED takes a new
    /// snapshot per statement) then sees a claim committed meanwhile.
    async fn claim_subject(
        &self,
        tx: &mut Tx,
        job: &Job,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let subject = format!("{}/{}", job.app_id, job.user_id);
        let mut lock = self.sql();
        lock.push("SELECT CAST(CASE WHEN pg_try_advisory_xact_lock(hashtext(");
        lock.bind(subject.as_str());
        lock.push(")) THEN 1 ELSE 0 END AS BIGINT) AS ok");
        let locked = match tx.fetch_optional(&lock, "lock a job's subject").await? {
            Some(row) => row.int("ok")? == 1,
            None => false,
        };
        if !locked {
            return Ok(false);
        }
        let mut check = self.sql();
        check.push("SELECT COUNT(*) AS n FROM provisioning_jobs WHERE app_id = ");
        check.bind(job.app_id.as_str());
        check.push(" AND user_id = ");
        check.bind(job.user_id.as_str());
        check.push(" AND id <> ");
        check.bind(job.id.as_str());
        check.push(" AND status = 'RUNNING' AND locked_until > ");
        check.bind(now.to_string());
        let running = match tx.fetch_optional(&check, "check a job's subject").await? {
            Some(row) => row.int("n")?,
            None => 0,
        };
        Ok(running == 0)
    }

    /// The job succeeded: delete it, close its task (DONE), write `doc` and `events`.
    pub async fn complete_job(
        &self,
        job_id: &str,
        now: Timestamp,
        doc: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM provisioning_jobs WHERE id = ");
        sql.bind(job_id);
        tx.execute(&sql, "complete a provisioning job").await?;
        let mut task = self.sql();
        task.push("UPDATE provisioning_tasks SET status = 'DONE', updated = ");
        task.bind(now.to_string());
        task.push(" WHERE job_id = ");
        task.bind(job_id);
        task.push(" AND status IN ('OPEN', 'RETRYING')");
        tx.execute(&task, "close a provisioning task").await?;
        self.finish(tx, doc, DocWrite::IfPresent, events).await
    }

    /// Give a running job's lease back (its server is shutting down before the step ended):
    /// QUEUED and due at `now`, the interrupted claim not counted. Returns whether it was still
    /// running.
    pub async fn release_job(&self, job_id: &str, now: Timestamp) -> Result<bool, StoreError> {
        let mut sql = self.sql();
        sql.push(
            "UPDATE provisioning_jobs SET status = 'QUEUED', locked_until = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, due = ",
        );
        sql.bind(now.to_string());
        sql.push(", updated = ");
        sql.bind(now.to_string());
        sql.push(" WHERE id = ");
        sql.bind(job_id);
        sql.push(" AND status = 'RUNNING'");
        Ok(self.pool.execute(&sql, "give back a job's lease").await? > 0)
    }

    /// The job failed but may succeed later: queue it again for `due`.
    pub async fn reschedule_job(
        &self,
        job_id: &str,
        due: Timestamp,
        now: Timestamp,
        last_error: &Value,
        doc: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let mut sql = self.sql();
        sql.push("UPDATE provisioning_jobs SET status = 'QUEUED', locked_until = NULL, due = ");
        sql.bind(due.to_string());
        sql.push(", last_error = ");
        sql.bind(json_text(last_error, "job error")?);
        sql.push(", updated = ");
        sql.bind(now.to_string());
        sql.push(" WHERE id = ");
        sql.bind(job_id);
        tx.execute(&sql, "reschedule a provisioning job").await?;
        self.finish(tx, doc, DocWrite::IfPresent, events).await
    }

    /// The job failed for good: mark it FAILED and open (or reopen) its task. Returns the
    /// task's id (an existing task of the job keeps its id).
    pub async fn fail_job(
        &self,
        task: &TaskRecord,
        doc: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<String, StoreError> {
        let mut tx = self.begin().await?;
        let error = task
            .last_error
            .as_ref()
            .map(|e| json_text(e, "task error"))
            .transpose()?;
        let mut sql = self.sql();
        sql.push(
            "UPDATE provisioning_jobs SET status = 'FAILED', locked_until = NULL, last_error = ",
        );
        sql.bind(error.clone());
        sql.push(", updated = ");
        sql.bind(task.updated.to_string());
        sql.push(" WHERE id = ");
        sql.bind(task.job_id.as_str());
        tx.execute(&sql, "fail a provisioning job").await?;
        let mut insert = self.sql();
        insert.push(
            "INSERT INTO provisioning_tasks (id, job_id, app_id, user_id, operation, status, \
             attempts, last_error, created, updated) VALUES (",
        );
        insert.bind_list([
            SqlParam::Text(task.id.clone()),
            SqlParam::Text(task.job_id.clone()),
            SqlParam::Text(task.app_id.clone()),
            SqlParam::Text(task.user_id.clone()),
            SqlParam::Text(task.operation.clone()),
            SqlParam::Text("OPEN".into()),
            SqlParam::Int(task.attempts),
            SqlParam::from(error),
            SqlParam::Text(task.created.to_string()),
            SqlParam::Text(task.updated.to_string()),
        ]);
        insert.push(
            ") ON CONFLICT (job_id) DO UPDATE SET status = 'OPEN', \
             attempts = provisioning_tasks.attempts + excluded.attempts, \
             last_error = excluded.last_error, updated = excluded.updated RETURNING id",
        );
        let id = match tx
            .fetch_optional(&insert, "open a provisioning task")
            .await?
        {
            Some(row) => row.text("id")?,
            None => return Err(StoreError::corrupt("task id")),
        };
        self.finish(tx, doc, DocWrite::IfPresent, events).await?;
        Ok(id)
    }

    /// An administrator retries a task: it becomes RETRYING and its job is queued for `now`
    /// with a fresh attempt budget; `doc` (the app user, back to SYNCING) is written with it.
    pub async fn retry_task(
        &self,
        task_id: &str,
        now: Timestamp,
        doc: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<TaskRecord, StoreError> {
        let mut tx = self.begin().await?;
        let task = self.task_in(&mut tx, task_id).await?;
        let mut sql = self.sql();
        sql.push("UPDATE provisioning_tasks SET status = 'RETRYING', updated = ");
        sql.bind(now.to_string());
        sql.push(" WHERE id = ");
        sql.bind(task_id);
        tx.execute(&sql, "retry a provisioning task").await?;
        let mut job = self.sql();
        job.push(
            "UPDATE provisioning_jobs SET status = 'QUEUED', attempts = 0, locked_until = NULL, \
             due = ",
        );
        job.bind(now.to_string());
        job.push(", updated = ");
        job.bind(now.to_string());
        job.push(" WHERE id = ");
        job.bind(task.job_id.as_str());
        // Only a job that failed for good is requeued: one queued or running already is.
        job.push(" AND status = 'FAILED'");
        if tx.execute(&job, "requeue a provisioning job").await? == 0 {
            return Err(StoreError::NotFound {
                kind: "failed provisioning job",
                id: task.job_id,
            });
        }
        self.finish(tx, doc, DocWrite::Upsert, events).await?;
        Ok(TaskRecord {
            status: "RETRYING".into(),
            updated: now,
            ..task
        })
    }

    /// An administrator dismisses a task: it becomes DISMISSED and its job is dropped.
    pub async fn dismiss_task(
        &self,
        task_id: &str,
        now: Timestamp,
        events: &[LogEvent],
    ) -> Result<TaskRecord, StoreError> {
        let mut tx = self.begin().await?;
        let task = self.task_in(&mut tx, task_id).await?;
        let mut sql = self.sql();
        sql.push("UPDATE provisioning_tasks SET status = 'DISMISSED', updated = ");
        sql.bind(now.to_string());
        sql.push(" WHERE id = ");
        sql.bind(task_id);
        tx.execute(&sql, "dismiss a provisioning task").await?;
        let mut job = self.sql();
        job.push("DELETE FROM provisioning_jobs WHERE id = ");
        job.bind(task.job_id.as_str());
        job.push(" AND status <> 'RUNNING'");
        tx.execute(&job, "drop a provisioning job").await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(TaskRecord {
            status: "DISMISSED".into(),
            updated: now,
            ..task
        })
    }

    /// An assignment was removed: drop its jobs that are not running and dismiss its open
    /// tasks. Returns how many jobs were dropped.
    pub async fn cancel_jobs_for(
        &self,
        app_id: &str,
        user_id: &str,
        now: Timestamp,
        events: &[LogEvent],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM provisioning_jobs WHERE app_id = ");
        sql.bind(app_id);
        sql.push(" AND user_id = ");
        sql.bind(user_id);
        sql.push(" AND status <> 'RUNNING'");
        let dropped = tx.execute(&sql, "drop provisioning jobs").await?;
        let mut tasks = self.sql();
        tasks.push("UPDATE provisioning_tasks SET status = 'DISMISSED', updated = ");
        tasks.bind(now.to_string());
        tasks.push(" WHERE app_id = ");
        tasks.bind(app_id);
        tasks.push(" AND user_id = ");
        tasks.bind(user_id);
        tasks.push(" AND status IN ('OPEN', 'RETRYING')");
        tx.execute(&tasks, "dismiss provisioning tasks").await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(dropped)
    }

    pub async fn get_task(&self, task_id: &str) -> Result<Option<TaskRecord>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(TASK_COLUMNS)
            .push(" FROM provisioning_tasks WHERE id = ");
        sql.bind(task_id);
        self.pool
            .fetch_optional(&sql, "read a provisioning task")
            .await?
            .as_ref()
            .map(decode_task)
            .transpose()
    }

    pub async fn get_job(&self, job_id: &str) -> Result<Option<Job>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(JOB_COLUMNS)
            .push(" FROM provisioning_jobs WHERE id = ");
        sql.bind(job_id);
        self.pool
            .fetch_optional(&sql, "read a provisioning job")
            .await?
            .as_ref()
            .map(decode_job)
            .transpose()
    }

    /// Tasks ordered by id, filtered by app, user and status.
    pub async fn list_tasks(&self, query: &TaskQuery) -> Result<Page<TaskRecord>, StoreError> {
        let limit = clamp_limit(query.limit);
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(TASK_COLUMNS)
            .push(" FROM provisioning_tasks WHERE TRUE");
        for (condition, value) in [
            (" AND app_id = ", &query.app_id),
            (" AND user_id = ", &query.user_id),
            (" AND status = ", &query.status),
            (" AND id > ", &query.after),
        ] {
            if let Some(value) = value {
                sql.push(condition);
                sql.bind(value.as_str());
            }
        }
        sql.push(" ORDER BY id LIMIT ");
        sql.bind(limit + 1);
        let rows = self.pool.fetch_all(&sql, "list provisioning tasks").await?;
        let tasks = rows
            .iter()
            .map(decode_task)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(tasks, limit, |t| t.id.clone()))
    }

    /// Jobs (queued, running or failed) that still concern `user_id`.
    pub async fn count_jobs_for_user(&self, user_id: &str) -> Result<i64, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) AS n FROM provisioning_jobs WHERE user_id = ");
        sql.bind(user_id);
        match self
            .pool
            .fetch_optional(&sql, "count provisioning jobs")
            .await?
        {
            Some(row) => row.int("n"),
            None => Ok(0),
        }
    }

    async fn task_in(&self, tx: &mut Tx, task_id: &str) -> Result<TaskRecord, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(TASK_COLUMNS)
            .push(" FROM provisioning_tasks WHERE id = ");
        sql.bind(task_id);
        match tx.fetch_optional(&sql, "read a provisioning task").await? {
            Some(row) => decode_task(&row),
            None => Err(StoreError::NotFound {
                kind: "task",
                id: task_id.to_string(),
            }),
        }
    }

    /// Write the optional document and the events, then commit.
    async fn finish(
        &self,
        mut tx: Tx,
        doc: Option<&Document>,
        write: DocWrite,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        if let Some(doc) = doc {
            match write {
                DocWrite::Upsert => {
                    self.put_document_in(&mut tx, doc, None).await?;
                }
                DocWrite::IfPresent => {
                    self.replace_document_in(&mut tx, doc).await?;
                }
            }
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }
}
