//! Storage for wuts: sqlx over SQLite (embedded default) or PostgreSQL, chosen by the URL scheme.
//!
//! One set of queries serves both backends through sqlx's `Any` driver: placeholders are `$N`
//! (which SQLite also understands), times are unix-millisecond integers and flags are 0/1
//! integers, so every column decodes the same way on both. Each backend has its own migrations.

pub mod calls;
pub mod chats;
mod devices;
mod error;
pub mod event_outputs;
pub mod events;
pub mod jobs;
pub mod labels;
pub mod media;
pub mod messages;
pub mod outbox;
pub mod proxies;
mod settings;
mod tenants;
pub mod users;
mod webhooks;
pub mod whatsapp;

pub use error::{StoreError, StoreResult};

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(
                "database URL must start with sqlite: or postgres://".into(),
            ))
        }
    }
}

/// The database handle shared by every use case. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// Counts recorded events: the webhook dispatcher and live streams wait on its changes.
    events_tick: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    /// Seals stored secrets (proxy passwords); set from the configuration or read lazily.
    secrets: proxies::SecretsKey,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens a pool on `url`. For SQLite the file (and its directory) is created when missing, and
    /// each connection runs in WAL mode with foreign keys enforced.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let mut url = url.to_string();
        if backend == Backend::Sqlite {
            prepare_sqlite_path(&mut url)?;
        }
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(&url).await?;
        Ok(Self {
            pool,
            backend,
            events_tick: std::sync::Arc::new(tokio::sync::watch::channel(0).0),
            secrets: Default::default(),
        })
    }

    /// Changes whenever an event is recorded or queued again.
    pub fn events_changed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events_tick.subscribe()
    }

    pub(crate) fn signal_events(&self) {
        self.events_tick.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending migrations of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> AnyPool {
        self.pool.clone()
    }

    #[doc(hidden)]
    pub async fn execute_for_tests(&self, sql: &str) {
        sqlx::query(sql).execute(&self.pool).await.expect(sql);
    }

    #[doc(hidden)]
    pub async fn all_events_for_tests(&self, device_id: &str) -> Vec<String> {
        use sqlx::Row;
        sqlx::query("SELECT event FROM events WHERE device_id = $1 ORDER BY seq")
            .bind(device_id)
            .fetch_all(&self.pool)
            .await
            .expect("events")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    #[doc(hidden)]
    pub async fn event_deliveries_for_tests(&self, device_id: &str) -> Vec<(String, String)> {
        use sqlx::Row;
        sqlx::query("SELECT event, delivery FROM events WHERE device_id = $1 ORDER BY seq")
            .bind(device_id)
            .fetch_all(&self.pool)
            .await
            .expect("events")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    #[doc(hidden)]
    pub async fn event_data_for_tests(
        &self,
        device_id: &str,
        event: &str,
    ) -> Vec<(String, String)> {
        use sqlx::Row;
        sqlx::query("SELECT id, data FROM events WHERE device_id = $1 AND event = $2 ORDER BY seq")
            .bind(device_id)
            .bind(event)
            .fetch_all(&self.pool)
            .await
            .expect("events")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    #[doc(hidden)]
    pub async fn count_wa_state_for_tests(&self, device_id: &str) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) FROM wa_state WHERE device_id = $1")
            .bind(device_id)
            .fetch_one(&self.pool)
            .await
            .expect("count")
            .get(0)
    }
}

/// Adds `mode=rwc` (create when missing) and creates the parent directory of a file URL.
fn prepare_sqlite_path(url: &mut String) -> StoreResult<()> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    if !rest.contains("mode=") {
        url.push_str(if url.contains('?') {
            "&mode=rwc"
        } else {
            "?mode=rwc"
        });
    }
    Ok(())
}

/// Row helpers for the `Any` driver's portable types.
pub(crate) fn flag(v: i64) -> bool {
    v != 0
}
