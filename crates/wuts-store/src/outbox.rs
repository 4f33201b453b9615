//! The outbox: messages accepted for sending and not sent yet. A message and its outbox entry
//! are written in one transaction; the entry goes when the send is done (or given up).

use crate::messages::MessageRow;
use crate::{Store, StoreResult};
use sqlx::Row;

/// A queued message.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub device_id: String,
    pub message_id: String,
    pub chat_jid: String,
    /// The encoded WhatsApp message.
    pub payload: Vec<u8>,
    /// The disappearing timer to send it with (seconds; 0 = none).
    pub timer: i64,
    /// Unix milliseconds.
    pub queued_at: i64,
    /// The message's type (from its row).
    pub message_type: String,
    /// The media job that sends it, when one does.
    pub job_id: Option<String>,
}

impl Store {
    /// Records an outgoing message (status `queued`) and its outbox entry, in one transaction;
    /// a job's message also moves its job to `sending`.
    pub async fn queue_message(&self, m: &MessageRow, q: &Queued) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        crate::messages::insert_message(m).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO outbox (device_id, message_id, chat_jid, payload, timer, queued_at, \
                job_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&q.device_id)
        .bind(&q.message_id)
        .bind(&q.chat_jid)
        .bind(&q.payload)
        .bind(q.timer)
        .bind(q.queued_at)
        .bind(&q.job_id)
        .execute(&mut *tx)
        .await?;
        if let Some(job_id) = &q.job_id {
            sqlx::query(
                "UPDATE media_jobs SET status = 'sending', message_id = $2 WHERE job_id = $1",
            )
            .bind(job_id)
            .bind(&q.message_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The message was handed to WhatsApp: out of the outbox, status `pending` (until receipts).
    pub async fn mark_sent(&self, device_id: &str, message_id: &str) -> StoreResult<()> {
        self.settle(
            device_id,
            message_id,
            "UPDATE messages SET status = 'pending' \
             WHERE device_id = $1 AND message_id = $2 AND status = 'queued'",
        )
        .await
    }

    /// The send failed: the entry and its message row go (the caller was told).
    pub async fn drop_queued(&self, device_id: &str, message_id: &str) -> StoreResult<()> {
        self.settle(
            device_id,
            message_id,
            "DELETE FROM messages WHERE device_id = $1 AND message_id = $2",
        )
        .await
    }

    /// A queued message given up: out of the outbox, its row marked `failed`.
    pub async fn fail_queued(&self, device_id: &str, message_id: &str) -> StoreResult<()> {
        self.settle(
            device_id,
            message_id,
            "UPDATE messages SET status = 'failed' WHERE device_id = $1 AND message_id = $2",
        )
        .await
    }

    /// Takes a message out of the outbox and applies `then` (bound to the device and message
    /// ids) to its row, in one transaction.
    async fn settle(&self, device_id: &str, message_id: &str, then: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for sql in [
            "DELETE FROM outbox WHERE device_id = $1 AND message_id = $2",
            then,
        ] {
            sqlx::query(sql)
                .bind(device_id)
                .bind(message_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The device's queued messages, oldest first.
    pub async fn queued(&self, device_id: &str) -> StoreResult<Vec<Queued>> {
        let rows = sqlx::query(
            "SELECT o.device_id, o.message_id, o.chat_jid, o.payload, o.timer, o.queued_at, \
                    COALESCE(m.message_type, 'unknown'), o.job_id \
             FROM outbox o LEFT JOIN messages m \
               ON m.device_id = o.device_id AND m.message_id = o.message_id \
             WHERE o.device_id = $1 ORDER BY o.queued_at, o.message_id",
        )
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Queued {
                device_id: r.get(0),
                message_id: r.get(1),
                chat_jid: r.get(2),
                payload: r.get(3),
                timer: r.get(4),
                queued_at: r.get(5),
                message_type: r.get(6),
                job_id: r.get(7),
            })
            .collect())
    }

    /// Devices with queued messages.
    pub async fn devices_with_queue(&self) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT device_id FROM outbox")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }
}
