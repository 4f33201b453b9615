//! Users of a tenant, under the role rules of `wuts_core::role`.

use crate::{password, uuid_field, Services};
use wuts_core::error::DomainResult;
use wuts_core::role::{self, Refusal, UserAction};
use wuts_core::token::{self, TokenHash};
use wuts_core::{time, validate, DomainError, FieldError, Principal, Role, User};
use wuts_store::users::NewUser;

/// A new user and their token (shown once).
#[derive(Debug)]
pub struct CreatedUser {
    pub user: User,
    pub token: String,
}

fn parse_role(field: &str, raw: &str) -> DomainResult<Role> {
    raw.trim().to_lowercase().parse().map_err(|_| {
        DomainError::fields(vec![FieldError::new(
            field,
            "must be one of admin, manager, user",
        )
        .with_value(raw)])
    })
}

fn refused(r: Refusal, what: &str) -> DomainError {
    match r {
        Refusal::OnSelf => DomainError::Forbidden(format!("you cannot {what} your own account")),
        Refusal::Role => DomainError::Forbidden(format!("insufficient role to {what} this user")),
    }
}

fn not_found() -> DomainError {
    DomainError::NotFound("user not found".into())
}

impl Services {
    fn allow(
        &self,
        caller: &Principal,
        action: UserAction,
        target: Option<&User>,
        what: &str,
    ) -> DomainResult<()> {
        let (target_role, is_self) = match target {
            Some(t) => (t.role, t.id == caller.user_id),
            None => (Role::User, false),
        };
        role::check(caller.role, action, target_role, is_self).map_err(|r| refused(r, what))
    }

    /// A user of the caller's tenant, or 404 (also for ids of other tenants).
    async fn target(&self, caller: &Principal, id: &str) -> DomainResult<User> {
        let id = uuid_field("id", id)?;
        self.store
            .get_user(&caller.tenant_id, &id)
            .await?
            .ok_or_else(not_found)
    }

    pub async fn create_user(
        &self,
        caller: &Principal,
        email: &str,
        password_plain: &str,
        role_raw: Option<&str>,
        webhook_url: Option<&str>,
    ) -> DomainResult<CreatedUser> {
        let role = match role_raw {
            Some(r) => parse_role("role", r)?,
            None => Role::User,
        };
        self.allow(caller, UserAction::Create { role }, None, "create")?;
        let email = validate::email("email", email)?;
        validate::password("password", password_plain)?;
        let webhook = self.optional_webhook_url(webhook_url)?;
        let now = time::now_millis();
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: caller.tenant_id.clone(),
            email,
            role,
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
        self.store.create_user(&new).await.map_err(|e| {
            if e.is_unique_violation() {
                DomainError::Conflict("a user with this email already exists in the tenant".into())
            } else {
                e.into()
            }
        })?;
        Ok(CreatedUser { user, token })
    }

    pub async fn list_users(&self, caller: &Principal) -> DomainResult<Vec<User>> {
        self.allow(caller, UserAction::List, None, "list")?;
        Ok(self.store.list_users(&caller.tenant_id).await?)
    }

    pub async fn get_user(&self, caller: &Principal, id: &str) -> DomainResult<User> {
        let target = self.target(caller, id).await?;
        self.allow(caller, UserAction::View, Some(&target), "view")?;
        Ok(target)
    }

    /// A user of any tenant, for the master token.
    pub async fn get_user_as_master(&self, id: &str) -> DomainResult<User> {
        let id = uuid_field("id", id)?;
        self.store
            .get_user_any_tenant(&id)
            .await?
            .ok_or_else(not_found)
    }

    /// Changes `active` and/or `role`; at least one must be given. Applies at once (cache evicted).
    pub async fn update_user(
        &self,
        caller: &Principal,
        id: &str,
        active: Option<bool>,
        role_raw: Option<&str>,
    ) -> DomainResult<User> {
        let role = role_raw.map(|r| parse_role("role", r)).transpose()?;
        if active.is_none() && role.is_none() {
            return Err(DomainError::fields(vec![
                FieldError::new("active", "give active and/or role"),
                FieldError::new("role", "give active and/or role"),
            ]));
        }
        let target = self.target(caller, id).await?;
        if active.is_some() {
            self.allow(caller, UserAction::SetActive, Some(&target), "change")?;
        }
        if let Some(to) = role {
            self.allow(
                caller,
                UserAction::SetRole { to },
                Some(&target),
                "change the role of",
            )?;
        }
        self.store
            .update_user(
                &caller.tenant_id,
                &target.id,
                active,
                role,
                time::now_millis(),
            )
            .await?;
        self.evict_user(&caller.tenant_id, &target.id).await?;
        Ok(User {
            active: active.unwrap_or(target.active),
            role: role.unwrap_or(target.role),
            ..target
        })
    }

    /// Changes a user's role; answers (old, new).
    pub async fn promote_user(
        &self,
        caller: &Principal,
        id: &str,
        new_role: &str,
    ) -> DomainResult<(Role, Role)> {
        let to = parse_role("new_role", new_role)?;
        let target = self.target(caller, id).await?;
        self.allow(
            caller,
            UserAction::SetRole { to },
            Some(&target),
            "change the role of",
        )?;
        self.store
            .update_user(
                &caller.tenant_id,
                &target.id,
                None,
                Some(to),
                time::now_millis(),
            )
            .await?;
        self.evict_user(&caller.tenant_id, &target.id).await?;
        Ok((target.role, to))
    }

    /// Deletes a user (never oneself) and, by cascade, their devices.
    pub async fn delete_user(&self, caller: &Principal, id: &str) -> DomainResult<()> {
        let target = self.target(caller, id).await?;
        self.allow(caller, UserAction::Delete, Some(&target), "delete")?;
        self.evict_user(&caller.tenant_id, &target.id).await?;
        for (device, _) in self
            .store
            .list_user_devices(&caller.tenant_id, &target.id)
            .await?
        {
            self.retire_device(&device).await;
        }
        self.store
            .delete_user(&caller.tenant_id, &target.id)
            .await?;
        Ok(())
    }

    /// Stages a webhook URL on the caller, applied with every event to the devices they create.
    pub async fn set_user_webhook(&self, caller: &Principal, url: &str) -> DomainResult<String> {
        let url = validate::webhook_url("webhook_url", url, self.config.webhook_allow_http)?;
        if !self
            .store
            .set_pending_webhook(&caller.tenant_id, &caller.user_id, &url, time::now_millis())
            .await?
        {
            return Err(not_found());
        }
        Ok(url)
    }
}
