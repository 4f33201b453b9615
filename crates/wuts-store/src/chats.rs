//! A device's chats (pin, archive, mute) and contacts (names, LID), kept current from its
//! events: each change is written in one transaction with the event that reports it.

use crate::events::{append_event, NewEvent};
use crate::{Store, StoreResult};
use sqlx::Row;

/// One change to a chat: a setting app state reports, or what a group's notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatChange {
    Pinned(bool),
    Archived(bool),
    /// 0 not muted, -1 for good, else until this unix time in milliseconds.
    MutedUntil(i64),
    /// The disappearing-message timer, seconds (0: off).
    Ephemeral(u32),
    /// A group's name and participant count; `None` keeps what was known.
    Group {
        name: Option<String>,
        participants: Option<i64>,
    },
    /// Participants added (positive) or removed (negative), when the count is known.
    GroupMembers(i64),
}

/// What is known of a contact; `None` fields keep what was known before.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactChange {
    pub lid: Option<String>,
    pub first_name: Option<String>,
    pub full_name: Option<String>,
    pub push_name: Option<String>,
    pub business_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRow {
    pub jid: String,
    pub pinned: bool,
    pub archived: bool,
    pub muted_until: i64,
    pub name: Option<String>,
    /// Groups: how many participants, when known.
    pub participant_count: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    pub jid: String,
    pub lid: Option<String>,
    pub first_name: Option<String>,
    pub full_name: Option<String>,
    pub push_name: Option<String>,
    pub business_name: Option<String>,
}

impl Store {
    /// Applies a chat setting and appends its event, in one transaction.
    pub async fn apply_chat_change(
        &self,
        device_id: &str,
        jid: &str,
        change: ChatChange,
        event: &NewEvent,
        now: i64,
    ) -> StoreResult<()> {
        let (column, value) = match change {
            ChatChange::Pinned(b) => ("pinned", i64::from(b)),
            ChatChange::Archived(b) => ("archived", i64::from(b)),
            ChatChange::MutedUntil(t) => ("muted_until", t),
            ChatChange::Ephemeral(secs) => ("ephemeral", i64::from(secs)),
            ChatChange::Group { name, participants } => {
                let mut tx = self.pool.begin().await?;
                upsert_group(&mut tx, device_id, jid, name.as_deref(), participants, now).await?;
                insert_event(&mut tx, device_id, event, now).await?;
                tx.commit().await?;
                self.signal_events();
                return Ok(());
            }
            ChatChange::GroupMembers(delta) => {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO chats (device_id, jid, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (device_id, jid) DO UPDATE SET \
                     participant_count = chats.participant_count + $4, \
                     updated_at = excluded.updated_at",
                )
                .bind(device_id)
                .bind(jid)
                .bind(now)
                .bind(delta)
                .execute(&mut *tx)
                .await?;
                insert_event(&mut tx, device_id, event, now).await?;
                tx.commit().await?;
                self.signal_events();
                return Ok(());
            }
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO chats (device_id, jid, {column}, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (device_id, jid) DO UPDATE SET {column} = excluded.{column}, \
             updated_at = excluded.updated_at"
        ))
        .bind(device_id)
        .bind(jid)
        .bind(value)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, device_id, event, now).await?;
        tx.commit().await?;
        self.signal_events();
        Ok(())
    }

    /// Merges what an event says about a contact and appends the event, in one transaction.
    pub async fn apply_contact_change(
        &self,
        device_id: &str,
        jid: &str,
        change: &ContactChange,
        event: &NewEvent,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        upsert_contact(&mut tx, device_id, jid, change, now).await?;
        insert_event(&mut tx, device_id, event, now).await?;
        tx.commit().await?;
        self.signal_events();
        Ok(())
    }

    /// Records what the device read of a group (its name and participant count) in its chat
    /// (no event: nothing changed on WhatsApp).
    pub async fn record_group_chat(
        &self,
        device_id: &str,
        jid: &str,
        name: &str,
        participants: i64,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        upsert_group(&mut tx, device_id, jid, Some(name), Some(participants), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a chat's disappearing timer (as this device set it: no event of its own).
    pub async fn set_chat_timer(
        &self,
        device_id: &str,
        jid: &str,
        seconds: u32,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        set_timer(&mut tx, device_id, jid, seconds, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A chat's disappearing timer in seconds (0: off or unknown).
    pub async fn chat_timer(&self, device_id: &str, jid: &str) -> StoreResult<u32> {
        let row = sqlx::query("SELECT ephemeral FROM chats WHERE device_id = $1 AND jid = $2")
            .bind(device_id)
            .bind(jid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.get::<i64, _>(0))
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0))
    }

    /// The device's chats with their settings and the contact's name when known.
    pub async fn list_chats(&self, device_id: &str) -> StoreResult<Vec<ChatRow>> {
        let rows = sqlx::query(
            "SELECT c.jid, c.pinned, c.archived, c.muted_until, \
                    COALESCE(c.name, k.full_name, k.push_name, k.business_name), \
                    c.participant_count \
             FROM chats c LEFT JOIN contacts k ON k.device_id = c.device_id AND k.jid = c.jid \
             WHERE c.device_id = $1 ORDER BY c.pinned DESC, c.updated_at DESC, c.jid",
        )
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ChatRow {
                jid: r.get(0),
                pinned: r.get::<i64, _>(1) != 0,
                archived: r.get::<i64, _>(2) != 0,
                muted_until: r.get(3),
                name: r.get(4),
                participant_count: r.get(5),
            })
            .collect())
    }

    /// The device's contacts.
    pub async fn list_contacts(&self, device_id: &str) -> StoreResult<Vec<ContactRow>> {
        let rows = sqlx::query(
            "SELECT jid, lid, first_name, full_name, push_name, business_name FROM contacts \
             WHERE device_id = $1 ORDER BY jid",
        )
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ContactRow {
                jid: r.get(0),
                lid: r.get(1),
                first_name: r.get(2),
                full_name: r.get(3),
                push_name: r.get(4),
                business_name: r.get(5),
            })
            .collect())
    }
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    device_id: &str,
    e: &NewEvent,
    now: i64,
) -> StoreResult<()> {
    append_event(tx, device_id, &e.id, e.name, &e.data, now, false).await?;
    Ok(())
}

/// Merges what is known of a contact (`None` fields keep the old values).
pub(crate) async fn upsert_contact(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    device_id: &str,
    jid: &str,
    change: &ContactChange,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO contacts (device_id, jid, lid, first_name, full_name, push_name, \
            business_name, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (device_id, jid) DO UPDATE SET \
            lid = COALESCE(excluded.lid, contacts.lid), \
            first_name = COALESCE(excluded.first_name, contacts.first_name), \
            full_name = COALESCE(excluded.full_name, contacts.full_name), \
            push_name = COALESCE(excluded.push_name, contacts.push_name), \
            business_name = COALESCE(excluded.business_name, contacts.business_name), \
            updated_at = excluded.updated_at",
    )
    .bind(device_id)
    .bind(jid)
    .bind(&change.lid)
    .bind(&change.first_name)
    .bind(&change.full_name)
    .bind(&change.push_name)
    .bind(&change.business_name)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a group chat's name and participant count (`None` keeps what was known).
async fn upsert_group(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    device_id: &str,
    jid: &str,
    name: Option<&str>,
    participants: Option<i64>,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO chats (device_id, jid, name, participant_count, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (device_id, jid) DO UPDATE SET \
         name = COALESCE(excluded.name, chats.name), \
         participant_count = COALESCE(excluded.participant_count, chats.participant_count), \
         updated_at = excluded.updated_at",
    )
    .bind(device_id)
    .bind(jid)
    .bind(name)
    .bind(participants)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Sets a chat's disappearing timer inside a transaction.
pub(crate) async fn set_timer(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    device_id: &str,
    jid: &str,
    seconds: u32,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO chats (device_id, jid, ephemeral, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id, jid) DO UPDATE SET ephemeral = excluded.ephemeral, \
         updated_at = excluded.updated_at",
    )
    .bind(device_id)
    .bind(jid)
    .bind(i64::from(seconds))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
