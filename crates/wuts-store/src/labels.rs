//! WhatsApp Business labels and what they are on, per device, each change written with its
//! event in one transaction.

use crate::events::{append_event, NewEvent};
use crate::{Store, StoreResult};
use sqlx::Row;

/// One change to the labels.
#[derive(Debug, Clone, PartialEq)]
pub enum LabelChange {
    /// Created, renamed, recoloured (`None` keeps what was known) or deleted.
    Edit {
        label_id: String,
        name: Option<String>,
        color: Option<i64>,
        deleted: bool,
    },
    Chat {
        label_id: String,
        chat_jid: String,
        labeled: bool,
    },
    Message {
        label_id: String,
        chat_jid: String,
        message_id: String,
        labeled: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct LabelRow {
    pub label_id: String,
    pub name: Option<String>,
    pub color: Option<i64>,
    /// Chats it is on.
    pub chats: i64,
    /// Messages it is on.
    pub messages: i64,
}

impl Store {
    /// Applies a label change and records its event (when given) in one transaction. A deleted
    /// label leaves every chat and message.
    pub async fn apply_label_change(
        &self,
        device_id: &str,
        change: &LabelChange,
        event: Option<&NewEvent>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        match change {
            LabelChange::Edit {
                label_id,
                name,
                color,
                deleted,
            } => {
                sqlx::query(
                    "INSERT INTO labels (device_id, label_id, name, color, deleted, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (device_id, label_id) DO UPDATE SET \
                     name = COALESCE(excluded.name, labels.name), \
                     color = COALESCE(excluded.color, labels.color), \
                     deleted = excluded.deleted, updated_at = excluded.updated_at",
                )
                .bind(device_id)
                .bind(label_id)
                .bind(name.clone())
                .bind(*color)
                .bind(i64::from(*deleted))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if *deleted {
                    for table in ["label_chats", "label_messages"] {
                        sqlx::query(&format!(
                            "DELETE FROM {table} WHERE device_id = $1 AND label_id = $2"
                        ))
                        .bind(device_id)
                        .bind(label_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            LabelChange::Chat {
                label_id,
                chat_jid,
                labeled,
            } => {
                let sql = if *labeled {
                    "INSERT INTO label_chats (device_id, label_id, chat_jid) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM label_chats WHERE device_id = $1 AND label_id = $2 AND chat_jid = $3"
                };
                sqlx::query(sql)
                    .bind(device_id)
                    .bind(label_id)
                    .bind(chat_jid)
                    .execute(&mut *tx)
                    .await?;
            }
            LabelChange::Message {
                label_id,
                chat_jid,
                message_id,
                labeled,
            } => {
                let sql = if *labeled {
                    "INSERT INTO label_messages (device_id, label_id, chat_jid, message_id) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
                } else {
                    "DELETE FROM label_messages WHERE device_id = $1 AND label_id = $2 \
                     AND chat_jid = $3 AND message_id = $4"
                };
                sqlx::query(sql)
                    .bind(device_id)
                    .bind(label_id)
                    .bind(chat_jid)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if let Some(e) = event {
            append_event(&mut tx, device_id, &e.id, e.name, &e.data, now, false).await?;
        }
        tx.commit().await?;
        if event.is_some() {
            self.signal_events();
        }
        Ok(())
    }

    /// The device's labels (not deleted), with how many chats and messages each is on.
    pub async fn list_labels(&self, device_id: &str) -> StoreResult<Vec<LabelRow>> {
        let rows = sqlx::query(
            "SELECT l.label_id, l.name, l.color, \
             (SELECT COUNT(*) FROM label_chats c WHERE c.device_id = l.device_id AND c.label_id = l.label_id), \
             (SELECT COUNT(*) FROM label_messages m WHERE m.device_id = l.device_id AND m.label_id = l.label_id) \
             FROM labels l WHERE l.device_id = $1 AND l.deleted = 0 ORDER BY l.label_id",
        )
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| LabelRow {
                label_id: r.get(0),
                name: r.get(1),
                color: r.get(2),
                chats: r.get(3),
                messages: r.get(4),
            })
            .collect())
    }

    /// One label: (name, colour, deleted).
    pub async fn label(
        &self,
        device_id: &str,
        label_id: &str,
    ) -> StoreResult<Option<(Option<String>, Option<i64>, bool)>> {
        let row = sqlx::query(
            "SELECT name, color, deleted FROM labels WHERE device_id = $1 AND label_id = $2",
        )
        .bind(device_id)
        .bind(label_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get(0), r.get(1), r.get::<i64, _>(2) != 0)))
    }

    /// Each chat's labels: (chat JID, label id), ordered.
    pub async fn chat_labels(&self, device_id: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT chat_jid, label_id FROM label_chats WHERE device_id = $1 ORDER BY chat_jid, label_id",
        )
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
