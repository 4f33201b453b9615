//! A device's incoming-call policy.

use crate::{Store, StoreResult};
use sqlx::Row;

/// Reject every incoming call, and what to tell the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallSettings {
    pub reject_calls: bool,
    pub reject_message: Option<String>,
    /// Unix milliseconds; 0 when never set.
    pub updated_at: i64,
}

impl Store {
    /// The device's policy (calls ring, no message, when never set).
    pub async fn call_settings(&self, device_id: &str) -> StoreResult<CallSettings> {
        let row = sqlx::query(
            "SELECT reject_calls, reject_message, updated_at FROM call_settings WHERE device_id = $1",
        )
        .bind(device_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| CallSettings {
                reject_calls: r.get::<i64, _>(0) != 0,
                reject_message: r.get(1),
                updated_at: r.get(2),
            })
            .unwrap_or_default())
    }

    pub async fn set_call_settings(&self, device_id: &str, s: &CallSettings) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO call_settings (device_id, reject_calls, reject_message, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (device_id) DO UPDATE SET \
             reject_calls = excluded.reject_calls, reject_message = excluded.reject_message, \
             updated_at = excluded.updated_at",
        )
        .bind(device_id)
        .bind(i64::from(s.reject_calls))
        .bind(s.reject_message.clone())
        .bind(s.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
