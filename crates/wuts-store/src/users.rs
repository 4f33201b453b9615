//! Users of a tenant. Every query but the token lookup is scoped by tenant id.

use crate::{flag, Store, StoreError, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use wuts_core::token::TokenHash;
use wuts_core::{Principal, Role, User};

/// A user to insert, with the digests of its secrets.
pub struct NewUser<'a> {
    pub user: &'a User,
    pub password_hash: &'a str,
    pub token_hash: TokenHash,
}

const COLUMNS: &str =
    "id, tenant_id, email, role, active, pending_webhook_url, created_at, updated_at";

fn role(s: &str) -> StoreResult<Role> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("role {s:?}")))
}

fn user(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: r.get("id"),
        tenant_id: r.get("tenant_id"),
        email: r.get("email"),
        role: role(r.get("role"))?,
        active: flag(r.get("active")),
        pending_webhook_url: r.get("pending_webhook_url"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    })
}

pub(crate) async fn insert_user(tx: &mut Transaction<'_, Any>, n: &NewUser<'_>) -> StoreResult<()> {
    let u = n.user;
    sqlx::query(
        "INSERT INTO users (id, tenant_id, email, password_hash, role, token_hash, active, \
         pending_webhook_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&u.id)
    .bind(&u.tenant_id)
    .bind(&u.email)
    .bind(n.password_hash)
    .bind(u.role.as_str())
    .bind(n.token_hash.to_hex())
    .bind(u.active as i64)
    .bind(&u.pending_webhook_url)
    .bind(u.created_at)
    .bind(u.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a token lookup finds: who it is, whether they may act, and the stored digest.
pub struct TokenOwner {
    pub principal: Principal,
    pub active: bool,
    pub token_hash: TokenHash,
}

impl Store {
    pub async fn create_user(&self, n: &NewUser<'_>) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_user(&mut tx, n).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn get_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    /// A user by id in any tenant (for the master token).
    pub async fn get_user_any_tenant(&self, id: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user).transpose()
    }

    pub async fn list_users(&self, tenant_id: &str) -> StoreResult<Vec<User>> {
        let sql =
            format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user).collect()
    }

    /// Sets `active` and/or `role`; answers whether the user exists in that tenant.
    pub async fn update_user(
        &self,
        tenant_id: &str,
        id: &str,
        active: Option<bool>,
        role: Option<Role>,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET active = COALESCE($1, active), role = COALESCE($2, role), updated_at = $3 \
             WHERE tenant_id = $4 AND id = $5",
        )
        .bind(active.map(i64::from))
        .bind(role.map(Role::as_str))
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the user and (cascade) their devices; answers whether it existed.
    pub async fn delete_user(&self, tenant_id: &str, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_pending_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        url: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET pending_webhook_url = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(url)
        .bind(now)
        .bind(tenant_id)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The user a token digest belongs to.
    pub async fn token_owner(&self, hash: TokenHash) -> StoreResult<Option<TokenOwner>> {
        let row = sqlx::query(
            "SELECT id, tenant_id, role, active, token_hash FROM users WHERE token_hash = $1",
        )
        .bind(hash.to_hex())
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let stored: String = r.get("token_hash");
        Ok(Some(TokenOwner {
            principal: Principal {
                user_id: r.get("id"),
                tenant_id: r.get("tenant_id"),
                role: role(r.get("role"))?,
            },
            active: flag(r.get("active")),
            token_hash: TokenHash::from_hex(&stored)
                .ok_or_else(|| StoreError::Corrupt("token hash".into()))?,
        }))
    }

    /// The token digests of a user, to evict them from the authentication cache.
    pub async fn user_token_hash(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> StoreResult<Option<TokenHash>> {
        let row = sqlx::query("SELECT token_hash FROM users WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|r| TokenHash::from_hex(&r.get::<String, _>(0))))
    }
}
