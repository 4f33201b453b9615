use wuts_core::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value the code cannot read back (a bad role string, bad JSON).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// True when the statement broke a UNIQUE constraint.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Storage failures reach callers as a generic message; the detail goes to the log.
impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Db(
                sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed,
            ) => {
                tracing::error!(error = %e, "database unavailable");
                DomainError::Unavailable("database unavailable".into())
            }
            _ => {
                tracing::error!(error = %e, "storage error");
                DomainError::Internal("storage error".into())
            }
        }
    }
}
