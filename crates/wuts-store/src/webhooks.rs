//! Per-device webhook configuration (delivery lives elsewhere).

use crate::{flag, Store, StoreError, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};
use wuts_core::WebhookConfig;

const COLUMNS: &str = "id, device_id, tenant_id, url, enabled_events, enabled, retry_attempts, \
                       timeout_secs, secret, headers, created_at, updated_at";

fn webhook(r: &AnyRow) -> StoreResult<WebhookConfig> {
    let events: String = r.get("enabled_events");
    let headers: String = r.get("headers");
    Ok(WebhookConfig {
        id: r.get("id"),
        device_id: r.get("device_id"),
        tenant_id: r.get("tenant_id"),
        url: r.get("url"),
        enabled_events: serde_json::from_str(&events)
            .map_err(|e| StoreError::Corrupt(format!("enabled_events: {e}")))?,
        enabled: flag(r.get("enabled")),
        retry_attempts: r.get::<i64, _>("retry_attempts") as u32,
        timeout_secs: r.get::<i64, _>("timeout_secs") as u32,
        secret: r.get("secret"),
        headers: serde_json::from_str(&headers)
            .map_err(|e| StoreError::Corrupt(format!("headers: {e}")))?,
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

/// Inserts or replaces the device's configuration, keeping its id and creation time.
pub(crate) async fn upsert_webhook<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    w: &WebhookConfig,
) -> StoreResult<()> {
    let events = serde_json::to_string(&w.enabled_events).expect("strings serialise");
    let headers = serde_json::to_string(&w.headers).expect("strings serialise");
    sqlx::query(
        "INSERT INTO webhooks (id, device_id, tenant_id, url, enabled_events, enabled, retry_attempts, \
         timeout_secs, secret, headers, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (device_id) DO UPDATE SET url = excluded.url, enabled_events = excluded.enabled_events, \
         enabled = excluded.enabled, retry_attempts = excluded.retry_attempts, \
         timeout_secs = excluded.timeout_secs, secret = excluded.secret, headers = excluded.headers, \
         updated_at = excluded.updated_at",
    )
    .bind(&w.id)
    .bind(&w.device_id)
    .bind(&w.tenant_id)
    .bind(&w.url)
    .bind(events)
    .bind(w.enabled as i64)
    .bind(w.retry_attempts as i64)
    .bind(w.timeout_secs as i64)
    .bind(&w.secret)
    .bind(headers)
    .bind(w.created_at)
    .bind(w.updated_at)
    .execute(ex)
    .await?;
    Ok(())
}

impl Store {
    /// Stores the configuration and answers it as stored (id and created_at of an update are kept).
    pub async fn put_webhook(&self, w: &WebhookConfig) -> StoreResult<WebhookConfig> {
        upsert_webhook(&self.pool, w).await?;
        self.get_webhook(&w.tenant_id, &w.device_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("webhook vanished after upsert".into()))
    }

    pub async fn get_webhook(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<WebhookConfig>> {
        let sql = format!("SELECT {COLUMNS} FROM webhooks WHERE tenant_id = $1 AND device_id = $2");
        let row = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(device_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(webhook).transpose()
    }

    pub async fn delete_webhook(&self, tenant_id: &str, device_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE tenant_id = $1 AND device_id = $2")
            .bind(tenant_id)
            .bind(device_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
