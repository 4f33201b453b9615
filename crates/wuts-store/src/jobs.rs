//! Media jobs: sends that convert or upload in the background. A job's row and input are
//! written before the request answers 202; a restart resumes every job that has not ended, and
//! each job ends exactly once (`done` with its message, or `failed` with its `message.failed`
//! event, written in one transaction).

use crate::events::{append_event, NewEvent};
use crate::{Store, StoreResult};
use sqlx::Row;

/// A job to record.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub job_id: String,
    pub tenant_id: String,
    pub device_id: String,
    pub user_id: String,
    /// `audio` or `video`.
    pub kind: String,
    pub chat_jid: String,
    /// The send's options, JSON.
    pub request: String,
    pub input: Vec<u8>,
    pub input_mime: String,
    pub created_at: i64,
}

/// A job as recorded (without its input).
#[derive(Debug, Clone, PartialEq)]
pub struct JobRow {
    pub job_id: String,
    pub tenant_id: String,
    pub device_id: String,
    pub user_id: String,
    pub kind: String,
    pub chat_jid: String,
    /// `queued`, `processing`, `sending`, `done` or `failed`.
    pub status: String,
    pub request: String,
    pub input_mime: String,
    pub input_bytes: i64,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub attempts: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub converted_ms: Option<i64>,
    pub finished_at: Option<i64>,
}

const COLUMNS: &str = "job_id, tenant_id, device_id, user_id, kind, chat_jid, status, request, \
     input_mime, input_bytes, message_id, error, attempts, created_at, started_at, converted_ms, \
     finished_at";

fn job_of(r: &sqlx::any::AnyRow) -> JobRow {
    JobRow {
        job_id: r.get(0),
        tenant_id: r.get(1),
        device_id: r.get(2),
        user_id: r.get(3),
        kind: r.get(4),
        chat_jid: r.get(5),
        status: r.get(6),
        request: r.get(7),
        input_mime: r.get(8),
        input_bytes: r.get(9),
        message_id: r.get(10),
        error: r.get(11),
        attempts: r.get(12),
        created_at: r.get(13),
        started_at: r.get(14),
        converted_ms: r.get(15),
        finished_at: r.get(16),
    }
}

impl Store {
    /// Records a job (status `queued`) with its input.
    pub async fn insert_job(&self, j: &NewJob) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO media_jobs (job_id, tenant_id, device_id, user_id, kind, chat_jid, \
                status, request, input, input_mime, input_bytes, attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, 0, $11)",
        )
        .bind(&j.job_id)
        .bind(&j.tenant_id)
        .bind(&j.device_id)
        .bind(&j.user_id)
        .bind(&j.kind)
        .bind(&j.chat_jid)
        .bind(&j.request)
        .bind(&j.input)
        .bind(&j.input_mime)
        .bind(j.input.len() as i64)
        .bind(j.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A job of a tenant.
    pub async fn job(&self, tenant_id: &str, job_id: &str) -> StoreResult<Option<JobRow>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media_jobs WHERE tenant_id = $1 AND job_id = $2"
        ))
        .bind(tenant_id)
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(job_of))
    }

    /// Every job that has not ended, oldest first.
    pub async fn open_jobs(&self) -> StoreResult<Vec<JobRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media_jobs \
             WHERE status IN ('queued', 'processing', 'sending') ORDER BY created_at, job_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(job_of).collect())
    }

    /// Starts an attempt at a job that is queued or was interrupted while processing: status
    /// `processing`, one more attempt. Answers the job as it is now, or None when it is
    /// sending or has ended.
    pub async fn start_job(&self, job_id: &str, now: i64) -> StoreResult<Option<JobRow>> {
        let done = sqlx::query(
            "UPDATE media_jobs SET status = 'processing', attempts = attempts + 1, \
                started_at = $2 \
             WHERE job_id = $1 AND status IN ('queued', 'processing')",
        )
        .bind(job_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM media_jobs WHERE job_id = $1"
        ))
        .bind(job_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(job_of))
    }

    /// A job's input.
    pub async fn job_input(&self, job_id: &str) -> StoreResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT input FROM media_jobs WHERE job_id = $1")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|r| r.get::<Option<Vec<u8>>, _>(0)))
    }

    /// How long the conversion took.
    pub async fn set_job_converted(&self, job_id: &str, converted_ms: i64) -> StoreResult<()> {
        sqlx::query("UPDATE media_jobs SET converted_ms = $2 WHERE job_id = $1")
            .bind(job_id)
            .bind(converted_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The job's message was sent and its `message.sent` recorded: `done`, the input dropped.
    /// Only a job still open is changed.
    pub async fn finish_job(&self, job_id: &str, message_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE media_jobs SET status = 'done', message_id = $2, finished_at = $3, \
                input = NULL, error = NULL \
             WHERE job_id = $1 AND status IN ('queued', 'processing', 'sending')",
        )
        .bind(job_id)
        .bind(message_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The job failed: `failed` with the reason and its event (`message.failed`), in one
    /// transaction; nothing happens to a job that has ended already. Answers whether this call
    /// ended it.
    pub async fn fail_job(
        &self,
        job_id: &str,
        device_id: &str,
        error: &str,
        event: &NewEvent,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE media_jobs SET status = 'failed', error = $2, finished_at = $3, input = NULL \
             WHERE job_id = $1 AND status IN ('queued', 'processing', 'sending')",
        )
        .bind(job_id)
        .bind(error)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        append_event(
            &mut tx,
            device_id,
            &event.id,
            event.name,
            &event.data,
            now,
            false,
        )
        .await?;
        tx.commit().await?;
        self.signal_events();
        Ok(true)
    }
}
