//! Tenants: created with their first (admin) user, listed, deleted with everything they own.

use crate::{password, uuid_field, Services};
use tracing::warn;
use wuts_core::error::DomainResult;
use wuts_core::token::{self, TokenHash};
use wuts_core::{time, validate, DomainError, Role, Tenant, User};
use wuts_store::users::NewUser;

/// A new tenant, its first user, and that user's token (shown once).
#[derive(Debug)]
pub struct Registered {
    pub tenant: Tenant,
    pub user: User,
    pub token: String,
}

impl Services {
    /// Creates a tenant and its first user, who is always an admin.
    pub async fn register(
        &self,
        tenant_name: &str,
        email: &str,
        password_plain: &str,
        webhook_url: Option<&str>,
    ) -> DomainResult<Registered> {
        let name = validate::name("tenant_name", tenant_name)?;
        let email = validate::email("email", email)?;
        validate::password("password", password_plain)?;
        let webhook = self.optional_webhook_url(webhook_url)?;
        let now = time::now_millis();
        let tenant = Tenant {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            created_at: now,
            updated_at: now,
        };
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant.id.clone(),
            email,
            role: Role::Admin,
            active: true,
            pending_webhook_url: webhook,
            created_at: now,
            updated_at: now,
        };
        let token = token::generate();
        let password_hash = password::hash(password_plain.to_string()).await?;
        let new = NewUser {
            user: &user,
            password_hash: &password_hash,
            token_hash: TokenHash::of(&token),
        };
        self.store.create_tenant_with_user(&tenant, &new).await.map_err(|e| {
            if e.is_unique_violation() {
                DomainError::Conflict(
                    "tenant already exists - please contact your administrator to create a user in it".into(),
                )
            } else {
                e.into()
            }
        })?;
        Ok(Registered {
            tenant,
            user,
            token,
        })
    }

    pub async fn list_tenants(&self) -> DomainResult<Vec<Tenant>> {
        Ok(self.store.list_tenants().await?)
    }

    pub async fn get_tenant(&self, id: &str) -> DomainResult<Tenant> {
        let id = uuid_field("id", id)?;
        self.store
            .get_tenant(&id)
            .await?
            .ok_or_else(|| DomainError::NotFound("tenant not found".into()))
    }

    /// Deletes the tenant and, by cascade, its users, devices and all their data.
    pub async fn delete_tenant(&self, id: &str) -> DomainResult<Tenant> {
        let id = uuid_field("id", id)?;
        for device in self.store.tenant_devices(&id).await? {
            self.retire_device(&device).await;
        }
        let tenant = self
            .store
            .delete_tenant(&id)
            .await?
            .ok_or_else(|| DomainError::NotFound("tenant not found".into()))?;
        self.evict_all();
        warn!(tenant_id = %tenant.id, tenant_name = %tenant.name, critical = true, "tenant deleted with all its data");
        Ok(tenant)
    }

    pub(crate) fn optional_webhook_url(&self, raw: Option<&str>) -> DomainResult<Option<String>> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(u) => {
                validate::webhook_url("webhook_url", u, self.config.webhook_allow_http).map(Some)
            }
        }
    }
}
