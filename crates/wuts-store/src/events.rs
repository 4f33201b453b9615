//! The events a device produced, in order per device.

use crate::{Store, StoreResult};
use sqlx::Row;

/// An event to append with a change: id, catalogue name, `data` JSON.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub name: &'static str,
    pub data: String,
}

impl NewEvent {
    /// A catalogue event with a fresh id.
    pub fn new(event: &wuts_core::events::Event) -> Self {
        Self::with_id(uuid::Uuid::new_v4().to_string(), event)
    }

    /// A catalogue event with the given id.
    pub fn with_id(id: String, event: &wuts_core::events::Event) -> Self {
        Self {
            id,
            name: event.name(),
            data: event.data().to_string(),
        }
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: String,
    pub device_id: String,
    pub event: String,
    pub data: String,
    pub created_at: i64,
}

/// Appends an event to a device's outbox inside `tx`: the next number of the device's counter
/// (its row is locked until the transaction ends, so one device's events are numbered one at a
/// time), tenant and user from the device row. With `once`, an event whose id is already
/// recorded is left as it is. Answers whether the device exists.
pub(crate) async fn append_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    device_id: &str,
    id: &str,
    name: &str,
    data: &str,
    now: i64,
    once: bool,
) -> StoreResult<bool> {
    if tx.backend_name() == "PostgreSQL" {
        // One round trip: take the number and insert in one statement.
        let conflict = if once {
            " ON CONFLICT (id) DO NOTHING"
        } else {
            ""
        };
        let done = sqlx::query(&format!(
            "WITH d AS (UPDATE devices SET event_seq = event_seq + 1 WHERE id = $2 \
                RETURNING event_seq, tenant_id, user_id) \
             INSERT INTO events (id, seq, tenant_id, device_id, user_id, event, data, created_at) \
             SELECT $1, d.event_seq, d.tenant_id, $2, d.user_id, $3, $4, $5 FROM d{conflict}"
        ))
        .bind(id)
        .bind(device_id)
        .bind(name)
        .bind(data)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        return Ok(done.rows_affected() > 0 || once);
    }
    let Some(row) = sqlx::query(
        "UPDATE devices SET event_seq = event_seq + 1 WHERE id = $1 \
         RETURNING event_seq, tenant_id, user_id",
    )
    .bind(device_id)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(false);
    };
    let (seq, tenant_id, user_id): (i64, String, String) = (row.get(0), row.get(1), row.get(2));
    let sql = if once {
        "INSERT INTO events (id, seq, tenant_id, device_id, user_id, event, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING"
    } else {
        "INSERT INTO events (id, seq, tenant_id, device_id, user_id, event, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    };
    sqlx::query(sql)
        .bind(id)
        .bind(seq)
        .bind(tenant_id)
        .bind(device_id)
        .bind(user_id)
        .bind(name)
        .bind(data)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

impl Store {
    /// Appends an event for a device (its tenant and user are taken from the device row).
    pub async fn record_event(
        &self,
        device_id: &str,
        event: &NewEvent,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
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

    /// Appends events for a device in one transaction; an event whose id is already recorded is
    /// left as it is (redelivered inbound messages keep their first record and id).
    pub async fn record_events_once(
        &self,
        device_id: &str,
        events: &[(String, &str, String)],
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for (id, event, data) in events {
            append_event(&mut tx, device_id, id, event, data, now, true).await?;
        }
        tx.commit().await?;
        self.signal_events();
        Ok(())
    }

    /// A device's events in order.
    pub async fn device_events(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT id, device_id, event, data, created_at FROM events \
             WHERE tenant_id = $1 AND device_id = $2 ORDER BY seq",
        )
        .bind(tenant_id)
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| EventRow {
                id: r.get(0),
                device_id: r.get(1),
                event: r.get(2),
                data: r.get(3),
                created_at: r.get(4),
            })
            .collect())
    }

    /// Records the live connection fields of a device, with the event that reports the change
    /// (one transaction).
    pub async fn set_device_connection(
        &self,
        device_id: &str,
        connected: bool,
        jid: Option<&str>,
        phone_number: Option<&str>,
        now: i64,
        event: Option<&NewEvent>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE devices SET connected = $1, jid = COALESCE($2, jid), phone_number = COALESCE($3, phone_number), \
             last_seen = $4, updated_at = $4 WHERE id = $5",
        )
        .bind(connected as i64)
        .bind(jid)
        .bind(phone_number)
        .bind(now)
        .bind(device_id)
        .execute(&mut *tx)
        .await?;
        self.finish_with_event(tx, device_id, event, now).await
    }

    /// Forgets the WhatsApp identity of a device after logout, with the event that reports it
    /// (one transaction).
    pub async fn clear_device_identity(
        &self,
        device_id: &str,
        now: i64,
        event: Option<&NewEvent>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE devices SET connected = 0, jid = NULL, phone_number = NULL, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(device_id)
            .execute(&mut *tx)
            .await?;
        self.finish_with_event(tx, device_id, event, now).await
    }

    /// Appends `event` (when there is one) and commits.
    async fn finish_with_event(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
        device_id: &str,
        event: Option<&NewEvent>,
        now: i64,
    ) -> StoreResult<()> {
        if let Some(e) = event {
            append_event(&mut tx, device_id, &e.id, e.name, &e.data, now, false).await?;
        }
        tx.commit().await?;
        if event.is_some() {
            self.signal_events();
        }
        Ok(())
    }

    /// Devices whose stored WhatsApp session is logged in (they reconnect at start-up).
    pub async fn devices_with_session(&self) -> StoreResult<Vec<wuts_core::Device>> {
        let rows = sqlx::query("SELECT DISTINCT device_id FROM wa_state WHERE ns = 'device'")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.get(0);
            let row = sqlx::query("SELECT tenant_id FROM devices WHERE id = $1")
                .bind(&id)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(t) = row {
                let tenant: String = t.get(0);
                if let Some(d) = self.get_device(&tenant, &id).await? {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }
}

/// An event waiting for delivery, with what its envelope needs.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub id: String,
    pub seq: i64,
    pub tenant_id: String,
    pub device_id: String,
    pub user_id: String,
    pub event: String,
    pub data: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

pub(crate) fn pending(r: &sqlx::any::AnyRow) -> PendingEvent {
    PendingEvent {
        id: r.get(0),
        seq: r.get(1),
        tenant_id: r.get(2),
        device_id: r.get(3),
        user_id: r.get(4),
        event: r.get(5),
        data: r.get(6),
        created_at: r.get(7),
        attempts: r.get(8),
        next_attempt_at: r.get(9),
    }
}

impl Store {
    /// Devices that have an event due for delivery.
    pub async fn devices_with_due_events(&self, now: i64, limit: i64) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT device_id FROM events WHERE delivery = 'pending' AND next_attempt_at <= $1 \
             GROUP BY device_id ORDER BY MIN(seq) LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The device's oldest undelivered event (delivery is in order per device).
    pub async fn next_pending_event(&self, device_id: &str) -> StoreResult<Option<PendingEvent>> {
        let row = sqlx::query(
            "SELECT id, seq, tenant_id, device_id, user_id, event, data, created_at, attempts, next_attempt_at \
             FROM events WHERE device_id = $1 AND delivery = 'pending' ORDER BY seq LIMIT 1",
        )
        .bind(device_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(pending))
    }

    /// The device's oldest undelivered events, up to `limit`, in order.
    pub async fn pending_events(
        &self,
        device_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<PendingEvent>> {
        let rows = sqlx::query(
            "SELECT id, seq, tenant_id, device_id, user_id, event, data, created_at, attempts, next_attempt_at \
             FROM events WHERE device_id = $1 AND delivery = 'pending' ORDER BY seq LIMIT $2",
        )
        .bind(device_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(pending).collect())
    }

    /// Marks events `delivered` (one more attempt each) or `skipped`, in one statement.
    pub async fn mark_events(&self, ids: &[String], delivery: &str) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let attempt = i64::from(delivery == "delivered");
        let list = (0..ids.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE events SET delivery = $1, attempts = attempts + $2, next_attempt_at = 0, \
             last_error = NULL WHERE id IN ({list})"
        );
        let mut q = sqlx::query(&sql).bind(delivery).bind(attempt);
        for id in ids {
            q = q.bind(id);
        }
        q.execute(&self.pool).await?;
        Ok(())
    }

    /// Records the outcome of a delivery attempt: `delivered`, `skipped`, `dead`, or `pending`
    /// again at `next_attempt_at`.
    pub async fn set_event_delivery(
        &self,
        id: &str,
        delivery: &str,
        attempts: i64,
        next_attempt_at: i64,
        last_error: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE events SET delivery = $1, attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $5")
            .bind(delivery)
            .bind(attempts)
            .bind(next_attempt_at)
            .bind(last_error)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The webhook configuration of a device, whoever asks (the dispatcher).
    pub async fn device_webhook(
        &self,
        device_id: &str,
    ) -> StoreResult<Option<wuts_core::WebhookConfig>> {
        let row = sqlx::query("SELECT tenant_id FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => self.get_webhook(&r.get::<String, _>(0), device_id).await,
            None => Ok(None),
        }
    }
}

/// An event that exhausted its delivery attempts.
#[derive(Debug, Clone)]
pub struct DeadEvent {
    pub id: String,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
}

impl Store {
    pub async fn dead_events(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<DeadEvent>> {
        let rows = sqlx::query(
            "SELECT id, event, created_at, attempts, last_error FROM events \
             WHERE tenant_id = $1 AND device_id = $2 AND delivery = 'dead' ORDER BY seq",
        )
        .bind(tenant_id)
        .bind(device_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| DeadEvent {
                id: r.get(0),
                event: r.get(1),
                created_at: r.get(2),
                attempts: r.get(3),
                last_error: r.get(4),
            })
            .collect())
    }

    /// Puts a dead event back in the queue; answers whether there was one.
    pub async fn requeue_dead_event(
        &self,
        tenant_id: &str,
        device_id: &str,
        id: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE events SET delivery = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL \
             WHERE tenant_id = $1 AND device_id = $2 AND id = $3 AND delivery = 'dead'",
        )
        .bind(tenant_id)
        .bind(device_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            self.signal_events();
        }
        Ok(done.rows_affected() == 1)
    }
}

impl Store {
    /// The device's events after `after_seq` (the sequence of an event id, 0 for all), in order.
    pub async fn events_after(
        &self,
        tenant_id: &str,
        device_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<PendingEvent>> {
        let rows = sqlx::query(
            "SELECT id, seq, tenant_id, device_id, user_id, event, data, created_at, attempts, next_attempt_at \
             FROM events WHERE tenant_id = $1 AND device_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
        )
        .bind(tenant_id)
        .bind(device_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(pending).collect())
    }

    /// The sequence number of one of the device's events.
    pub async fn event_seq(
        &self,
        tenant_id: &str,
        device_id: &str,
        id: &str,
    ) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT seq FROM events WHERE tenant_id = $1 AND device_id = $2 AND id = $3",
        )
        .bind(tenant_id)
        .bind(device_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.get(0)))
    }
}
