//! The device registry: records and ownership (connection state is written by the device runtime).

use crate::webhooks::upsert_webhook;
use crate::{flag, Store, StoreResult};
use sqlx::any::AnyRow;
use sqlx::Row;
use wuts_core::{Device, WebhookConfig};

const COLUMNS: &str =
    "id, tenant_id, user_id, name, jid, phone_number, connected, last_seen, created_at, updated_at";

fn device(r: &AnyRow) -> Device {
    Device {
        id: r.get("id"),
        tenant_id: r.get("tenant_id"),
        user_id: r.get("user_id"),
        name: r.get("name"),
        jid: r.get("jid"),
        phone_number: r.get("phone_number"),
        connected: flag(r.get("connected")),
        last_seen: r.get("last_seen"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

impl Store {
    /// Inserts a device, with its first webhook configuration when one is given, atomically.
    pub async fn create_device(
        &self,
        d: &Device,
        webhook: Option<&WebhookConfig>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO devices (id, tenant_id, user_id, name, jid, phone_number, connected, last_seen, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&d.id)
        .bind(&d.tenant_id)
        .bind(&d.user_id)
        .bind(&d.name)
        .bind(&d.jid)
        .bind(&d.phone_number)
        .bind(d.connected as i64)
        .bind(d.last_seen)
        .bind(d.created_at)
        .bind(d.updated_at)
        .execute(&mut *tx)
        .await?;
        if let Some(w) = webhook {
            upsert_webhook(&mut *tx, w).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The user's devices, oldest first, each with its webhook URL when one is configured.
    pub async fn list_user_devices(
        &self,
        tenant_id: &str,
        user_id: &str,
    ) -> StoreResult<Vec<(Device, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT d.id, d.tenant_id, d.user_id, d.name, d.jid, d.phone_number, d.connected, d.last_seen, \
             d.created_at, d.updated_at, w.url AS webhook_url FROM devices d \
             LEFT JOIN webhooks w ON w.device_id = d.id \
             WHERE d.tenant_id = $1 AND d.user_id = $2 ORDER BY d.created_at, d.id",
        )
        .bind(tenant_id)
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| (device(r), r.get("webhook_url")))
            .collect())
    }

    /// Every device of a tenant.
    pub async fn tenant_devices(&self, tenant_id: &str) -> StoreResult<Vec<Device>> {
        let sql =
            format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(device).collect())
    }

    /// A device of the tenant, whoever owns it (ownership is the caller's rule to apply).
    pub async fn get_device(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Device>> {
        let sql = format!("SELECT {COLUMNS} FROM devices WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(device))
    }

    /// Deletes a device and (cascade) its configuration; answers whether it existed.
    pub async fn delete_device(&self, tenant_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM devices WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
