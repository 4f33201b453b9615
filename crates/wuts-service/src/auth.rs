//! Authentication: user tokens (cached) and the platform master token.

use crate::Services;
use tracing::info;
use wuts_core::error::DomainResult;
use wuts_core::token::{self, TokenHash};
use wuts_core::{DomainError, Principal};

const MASTER_KEY: &str = "master_token_sha256";

/// What happened to the master token at start-up.
#[derive(Debug, PartialEq, Eq)]
pub enum MasterTokenInit {
    /// The operator configured one.
    Configured,
    /// One was stored already.
    Stored,
    /// None existed: this one was generated and only its digest kept. Show it once.
    Generated(String),
}

pub(crate) fn invalid_token() -> DomainError {
    DomainError::Unauthorized("Invalid token".into())
}

impl Services {
    /// The user behind a bearer token. Inactive users are refused. Answers from the cache when it
    /// can; user changes evict their entry.
    pub async fn authenticate(&self, bearer: &str) -> DomainResult<Principal> {
        if bearer.is_empty() || bearer.len() > 256 {
            return Err(invalid_token());
        }
        let hash = TokenHash::of(bearer);
        if let Some(p) = self.cache.get(&hash) {
            return Ok(p);
        }
        let owner = self
            .store
            .token_owner(hash)
            .await?
            .ok_or_else(invalid_token)?;
        if !owner.token_hash.ct_eq(&hash) || !owner.active {
            return Err(invalid_token());
        }
        self.cache.insert(hash, owner.principal.clone());
        Ok(owner.principal)
    }

    /// Checks the platform master token.
    pub async fn authenticate_master(&self, bearer: &str) -> DomainResult<()> {
        if bearer.is_empty() {
            return Err(DomainError::Unauthorized("master token required".into()));
        }
        let presented = TokenHash::of(bearer);
        let expected = match self.master_override {
            Some(h) => Some(h),
            None => self
                .store
                .get_setting(MASTER_KEY)
                .await?
                .and_then(|s| TokenHash::from_hex(&s)),
        };
        match expected {
            Some(h) if h.ct_eq(&presented) => Ok(()),
            _ => Err(DomainError::Unauthorized("invalid master token".into())),
        }
    }

    /// Makes sure a master token exists: the configured one, the stored one, or a new one.
    pub async fn init_master_token(&self) -> DomainResult<MasterTokenInit> {
        if self.master_override.is_some() {
            return Ok(MasterTokenInit::Configured);
        }
        let fresh = token::generate();
        if self
            .store
            .init_setting(MASTER_KEY, &TokenHash::of(&fresh).to_hex())
            .await?
        {
            info!("generated a new master token");
            Ok(MasterTokenInit::Generated(fresh))
        } else {
            Ok(MasterTokenInit::Stored)
        }
    }

    /// Replaces the stored master token with a new one and answers it (shown once).
    pub async fn rotate_master_token(&self) -> DomainResult<String> {
        let fresh = token::generate();
        self.store
            .set_setting(MASTER_KEY, &TokenHash::of(&fresh).to_hex())
            .await?;
        info!("master token rotated");
        Ok(fresh)
    }

    /// Drops a user's cached authentication, so a change to them applies at once.
    pub(crate) async fn evict_user(&self, tenant_id: &str, user_id: &str) -> DomainResult<()> {
        if let Some(h) = self.store.user_token_hash(tenant_id, user_id).await? {
            self.cache.invalidate(&h);
        }
        Ok(())
    }

    pub(crate) fn evict_all(&self) {
        self.cache.invalidate_all();
    }
}
