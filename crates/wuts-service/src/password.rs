//! Password digests (Argon2id, PHC strings), computed off the async runtime.

use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
use argon2::Argon2;
use wuts_core::{error::DomainResult, DomainError};

pub(crate) async fn hash(password: String) -> DomainResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|_| DomainError::Internal("password hashing failed".into()))?
}
