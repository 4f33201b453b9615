//! Tenants. Deleting one cascades (foreign keys) to its users, devices and everything below.

use crate::users::{insert_user, NewUser};
use crate::{Store, StoreResult};
use sqlx::any::AnyRow;
use sqlx::Row;
use wuts_core::Tenant;

fn tenant(r: &AnyRow) -> Tenant {
    Tenant {
        id: r.get("id"),
        name: r.get("name"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

impl Store {
    /// Creates a tenant and its first user in one transaction.
    pub async fn create_tenant_with_user(
        &self,
        t: &Tenant,
        first: &NewUser<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tenants (id, name, created_at, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(t.created_at)
        .bind(t.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_user(&mut tx, first).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, updated_at FROM tenants ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(tenant).collect())
    }

    pub async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query("SELECT id, name, created_at, updated_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(tenant))
    }

    /// Deletes the tenant and, by cascade, all it owns. Answers the deleted tenant.
    pub async fn delete_tenant(&self, id: &str) -> StoreResult<Option<Tenant>> {
        let row = sqlx::query(
            "DELETE FROM tenants WHERE id = $1 RETURNING id, name, created_at, updated_at",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(tenant))
    }
}
