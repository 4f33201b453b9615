//! Messages the devices sent and received, and the receipts reported for them. Every change is
//! written in one transaction with the events it produces, so a message is never known without
//! its event (nor the other way round).

use crate::events::append_event;
use crate::{Store, StoreResult};
use sqlx::Row;

/// A message row.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub device_id: String,
    pub message_id: String,
    pub chat_jid: String,
    pub sender_jid: Option<String>,
    pub from_me: bool,
    pub is_group: bool,
    pub message_type: String,
    pub content: Option<String>,
    /// Unix milliseconds.
    pub sent_at: i64,
    pub status: String,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub played_at: Option<i64>,
}

pub use crate::events::NewEvent;

/// One participant's receipts for a message sent to a group (unix milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantReceipt {
    pub participant: String,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
    pub played_at: Option<i64>,
}

/// What a receipt reports, in the order a message goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReceiptKind {
    Delivered,
    Read,
    Played,
}

impl ReceiptKind {
    fn status(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Played => "played",
        }
    }
}

const INSERT_MESSAGE: &str = "INSERT INTO messages (device_id, message_id, chat_jid, sender_jid, \
     from_me, is_group, message_type, content, sent_at, status) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (device_id, message_id) DO NOTHING";

/// The insert of a message row, bound.
pub(crate) fn insert_message(
    m: &MessageRow,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(INSERT_MESSAGE)
        .bind(&m.device_id)
        .bind(&m.message_id)
        .bind(&m.chat_jid)
        .bind(&m.sender_jid)
        .bind(i64::from(m.from_me))
        .bind(i64::from(m.is_group))
        .bind(&m.message_type)
        .bind(&m.content)
        .bind(m.sent_at)
        .bind(&m.status)
}

/// Ranks statuses so a late or repeated receipt never moves a message backwards.
const RANK: &str = "CASE status WHEN 'delivered' THEN 1 WHEN 'read' THEN 2 WHEN 'played' THEN 3 \
     ELSE 0 END";

impl Store {
    /// Records messages with their events, in one transaction; a message or event already
    /// recorded (a redelivery) is left as it is.
    pub async fn record_messages(
        &self,
        rows: &[(MessageRow, NewEvent)],
        senders: &[(String, crate::chats::ContactChange)],
        timers: &[(String, u32)],
        media: &[crate::media::MediaRow],
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // Chats whose disappearing timer these messages changed.
        if let Some((m, _)) = rows.first() {
            for (jid, secs) in timers {
                crate::chats::set_timer(&mut tx, &m.device_id, jid, *secs, now).await?;
            }
        }
        // What the messages told of their senders (push names, LIDs), into their contacts.
        if let Some((m, _)) = rows.first() {
            for (jid, change) in senders {
                crate::chats::upsert_contact(&mut tx, &m.device_id, jid, change, now).await?;
            }
        }
        for (m, e) in rows {
            insert_message(m).execute(&mut *tx).await?;
            append_event(&mut tx, &m.device_id, &e.id, e.name, &e.data, now, true).await?;
        }
        for m in media {
            crate::media::insert_media(m).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        self.signal_events();
        Ok(())
    }

    /// Records the messages of a history sync (those not known yet) with the sync's one event,
    /// in one transaction.
    pub async fn record_history(
        &self,
        device_id: &str,
        rows: &[MessageRow],
        event: &NewEvent,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for m in rows {
            insert_message(m).execute(&mut *tx).await?;
        }
        // The history's chats become known chats (their settings come from app state).
        let mut chats: Vec<(&str, i64)> = Vec::new();
        for m in rows {
            match chats.iter_mut().find(|(j, _)| *j == m.chat_jid) {
                Some(c) => c.1 = c.1.max(m.sent_at),
                None => chats.push((&m.chat_jid, m.sent_at)),
            }
        }
        for (jid, last) in chats {
            sqlx::query(
                "INSERT INTO chats (device_id, jid, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (device_id, jid) DO NOTHING",
            )
            .bind(device_id)
            .bind(jid)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        }
        append_event(
            &mut tx,
            device_id,
            &event.id,
            event.name,
            &event.data,
            now,
            true,
        )
        .await?;
        tx.commit().await?;
        self.signal_events();
        Ok(())
    }

    /// Replaces a message's text (an edit).
    pub async fn set_message_content(
        &self,
        device_id: &str,
        message_id: &str,
        content: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE messages SET content = $1 WHERE device_id = $2 AND message_id = $3")
            .bind(content)
            .bind(device_id)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets a message (one whose send failed, or deleted).
    pub async fn delete_message(&self, device_id: &str, message_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM messages WHERE device_id = $1 AND message_id = $2")
            .bind(device_id)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Applies a receipt to the device's own messages among `message_ids` (status only moves
    /// forward, each time is set once) and appends its event, in one transaction. In a group,
    /// `participant` (who sent the receipt) gets its own times for each message too.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_receipt(
        &self,
        device_id: &str,
        message_ids: &[String],
        kind: ReceiptKind,
        participant: Option<&str>,
        at: i64,
        event: &NewEvent,
        now: i64,
    ) -> StoreResult<()> {
        let rank = kind as i64 + 1;
        let mut tx = self.pool.begin().await?;
        for id in message_ids {
            sqlx::query(&format!(
                "UPDATE messages SET \
                   status = CASE WHEN {RANK} < $3 THEN $4 ELSE status END, \
                   delivered_at = COALESCE(delivered_at, $5), \
                   read_at = CASE WHEN $3 >= 2 THEN COALESCE(read_at, $5) ELSE read_at END, \
                   played_at = CASE WHEN $3 >= 3 THEN COALESCE(played_at, $5) ELSE played_at END \
                 WHERE device_id = $1 AND message_id = $2 AND from_me = 1"
            ))
            .bind(device_id)
            .bind(id)
            .bind(rank)
            .bind(kind.status())
            .bind(at)
            .execute(&mut *tx)
            .await?;
            if let Some(who) = participant {
                sqlx::query(
                    "INSERT INTO message_receipts \
                       (device_id, message_id, participant, delivered_at, read_at, played_at) \
                     SELECT $1, $2, $3, $4, \
                       CASE WHEN $5 >= 2 THEN $4 END, CASE WHEN $5 >= 3 THEN $4 END \
                     WHERE EXISTS (SELECT 1 FROM messages \
                       WHERE device_id = $1 AND message_id = $2 AND from_me = 1) \
                     ON CONFLICT (device_id, message_id, participant) DO UPDATE SET \
                       delivered_at = COALESCE(message_receipts.delivered_at, excluded.delivered_at), \
                       read_at = COALESCE(message_receipts.read_at, excluded.read_at), \
                       played_at = COALESCE(message_receipts.played_at, excluded.played_at)",
                )
                .bind(device_id)
                .bind(id)
                .bind(who)
                .bind(at)
                .bind(rank)
                .execute(&mut *tx)
                .await?;
            }
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
        Ok(())
    }

    /// The receipts each participant sent for one of the device's group messages, first
    /// delivered first.
    pub async fn message_receipts(
        &self,
        device_id: &str,
        message_id: &str,
    ) -> StoreResult<Vec<ParticipantReceipt>> {
        let rows = sqlx::query(
            "SELECT participant, delivered_at, read_at, played_at FROM message_receipts \
             WHERE device_id = $1 AND message_id = $2 ORDER BY delivered_at, participant",
        )
        .bind(device_id)
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ParticipantReceipt {
                participant: r.get(0),
                delivered_at: r.get(1),
                read_at: r.get(2),
                played_at: r.get(3),
            })
            .collect())
    }

    /// One of the device's messages.
    pub async fn message(
        &self,
        device_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<MessageRow>> {
        let row = sqlx::query(
            "SELECT device_id, message_id, chat_jid, sender_jid, from_me, is_group, message_type, \
                    content, sent_at, status, delivered_at, read_at, played_at \
             FROM messages WHERE device_id = $1 AND message_id = $2",
        )
        .bind(device_id)
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| MessageRow {
            device_id: r.get(0),
            message_id: r.get(1),
            chat_jid: r.get(2),
            sender_jid: r.get(3),
            from_me: r.get::<i64, _>(4) != 0,
            is_group: r.get::<i64, _>(5) != 0,
            message_type: r.get(6),
            content: r.get(7),
            sent_at: r.get(8),
            status: r.get(9),
            delivered_at: r.get(10),
            read_at: r.get(11),
            played_at: r.get(12),
        }))
    }
}
