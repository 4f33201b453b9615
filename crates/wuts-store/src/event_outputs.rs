//! Where each broker output stands in each device's events, and which events a tenant sends to
//! the brokers. An output publishes a device's events in `seq` order and moves its cursor only
//! past events the broker confirmed, so nothing is skipped; a crash between a confirmation and
//! the cursor write publishes those events again, with the same ids.

use crate::{Store, StoreResult};
use sqlx::Row;

/// A tenant's broker filter: off, or the events that go out (`None`: all of them).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFilter {
    pub enabled: bool,
    pub enabled_events: Option<Vec<String>>,
    pub updated_at: Option<i64>,
}

impl Default for OutputFilter {
    fn default() -> Self {
        Self {
            enabled: true,
            enabled_events: None,
            updated_at: None,
        }
    }
}

impl OutputFilter {
    /// Whether `event` goes to the brokers.
    pub fn wants(&self, event: &str) -> bool {
        self.enabled
            && self
                .enabled_events
                .as_ref()
                .is_none_or(|e| e.iter().any(|x| x == event))
    }
}

impl Store {
    /// Devices with events `output` has not published yet (as far as its stored cursors say),
    /// with the seq of their newest event; oldest backlog first.
    pub async fn devices_behind(
        &self,
        output: &str,
        limit: i64,
    ) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT d.id, d.event_seq FROM devices d \
             LEFT JOIN event_output_cursors c ON c.device_id = d.id AND c.output = $1 \
             WHERE d.event_seq > COALESCE(c.seq, 0) \
             ORDER BY COALESCE(c.updated_at, 0) LIMIT $2",
        )
        .bind(output)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The device's events after `after_seq`, up to `limit`, in order.
    pub async fn device_events_after(
        &self,
        device_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<crate::events::PendingEvent>> {
        let rows = sqlx::query(
            "SELECT id, seq, tenant_id, device_id, user_id, event, data, created_at, attempts, next_attempt_at \
             FROM events WHERE device_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(device_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(crate::events::pending).collect())
    }

    /// The last seq `output` published of the device's events (0: none).
    pub async fn output_cursor(&self, output: &str, device_id: &str) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT seq FROM event_output_cursors WHERE output = $1 AND device_id = $2",
        )
        .bind(output)
        .bind(device_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    /// Moves the cursor forward to `seq` (never back: two nodes racing keep the larger).
    pub async fn advance_output(&self, output: &str, device_id: &str, seq: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO event_output_cursors (output, device_id, seq, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (output, device_id) DO UPDATE SET \
             seq = excluded.seq, updated_at = excluded.updated_at \
             WHERE event_output_cursors.seq < excluded.seq",
        )
        .bind(output)
        .bind(device_id)
        .bind(seq)
        .bind(wuts_core::time::now_millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When the oldest event `output` has not published yet was recorded (unix ms), if any.
    pub async fn output_oldest_unpublished(&self, output: &str) -> StoreResult<Option<i64>> {
        let row = sqlx::query(
            "SELECT MIN((SELECT e.created_at FROM events e WHERE e.device_id = d.id \
               AND e.seq > COALESCE(c.seq, 0) ORDER BY e.seq LIMIT 1)) \
             FROM devices d \
             LEFT JOIN event_output_cursors c ON c.device_id = d.id AND c.output = $1 \
             WHERE d.event_seq > COALESCE(c.seq, 0)",
        )
        .bind(output)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<i64>, _>(0).ok().flatten())
    }

    /// The tenant's broker filter (every event when none was set).
    pub async fn output_filter(&self, tenant_id: &str) -> StoreResult<OutputFilter> {
        let row = sqlx::query(
            "SELECT enabled, enabled_events, updated_at FROM tenant_event_outputs \
             WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            None => OutputFilter::default(),
            Some(r) => {
                let events: String = r.get(1);
                OutputFilter {
                    enabled: r.get::<i64, _>(0) != 0,
                    enabled_events: serde_json::from_str::<Option<Vec<String>>>(&events)
                        .unwrap_or(None),
                    updated_at: Some(r.get(2)),
                }
            }
        })
    }

    /// Sets the tenant's broker filter.
    pub async fn set_output_filter(
        &self,
        tenant_id: &str,
        enabled: bool,
        enabled_events: Option<&[String]>,
    ) -> StoreResult<OutputFilter> {
        let now = wuts_core::time::now_millis();
        let events = serde_json::to_string(&enabled_events).expect("json");
        sqlx::query(
            "INSERT INTO tenant_event_outputs (tenant_id, enabled, enabled_events, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET \
             enabled = excluded.enabled, enabled_events = excluded.enabled_events, \
             updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(i64::from(enabled))
        .bind(&events)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(OutputFilter {
            enabled,
            enabled_events: enabled_events.map(<[String]>::to_vec),
            updated_at: Some(now),
        })
    }
}
