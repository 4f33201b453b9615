//! The use cases of wuts: what a caller may do to tenants, users, devices and webhook
//! configuration, with the permission rules of `wuts_core::role` applied. No HTTP here: callers
//! pass plain values and get domain records or a `DomainError` back.

mod auth;
pub mod calls;
pub mod chats;
pub mod contacts;
mod devices;
pub mod event_outputs;
pub mod groups;
pub use devices::Target;
mod fields;
pub mod instances;
pub mod interactive;
pub mod jobs;
pub mod labels;
pub mod media;
mod media_inspect;
pub mod media_source;
pub mod message_kinds;
pub mod messages;
pub mod newsletters;
pub mod outbox;
mod pacing;
mod password;
pub mod payments;
pub mod proxy;
pub mod receipts;
pub mod status;
pub mod stream;
mod tenants;
pub mod transcode;
mod users;
pub mod webhooks;

pub use auth::MasterTokenInit;
pub use tenants::Registered;
pub use users::CreatedUser;
pub use wuts_core::DomainError;
pub use wuts_store::{Backend, Store};

use std::time::Duration;
use wuts_core::error::DomainResult;
use wuts_core::{token::TokenHash, Principal};

/// Media bytes kept in memory for repeated downloads (least recently used go first).
const MEDIA_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// Settings the use cases need from the configuration.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// How long an authenticated token stays cached before the database is asked again.
    pub auth_cache_ttl: Duration,
    /// Accept plain-http webhook URLs (for receivers on a private network or in tests).
    pub webhook_allow_http: bool,
    /// Let media URLs given by clients reach loopback and private addresses.
    pub media_allow_private_urls: bool,
    /// How long a media URL download may take (videos and documents get twice as long).
    pub media_download_timeout: Duration,
    /// The least time between two sends of one device (0: no pacing).
    pub send_interval: Duration,
    /// A master token given by the operator (environment or file); it wins over the stored one.
    pub master_token: Option<String>,
    /// How devices reach WhatsApp.
    pub runtime: wuts_device::RuntimeConfig,
    /// What the broker outputs report (written by their relays).
    pub outputs: wuts_core::outputs::OutputBoard,
    /// Media conversion with FFmpeg.
    pub transcode: transcode::TranscodeConfig,
    /// Audio and video larger than this go through a job (202) even when nothing converts.
    pub media_async_bytes: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            auth_cache_ttl: Duration::from_secs(60),
            webhook_allow_http: false,
            media_allow_private_urls: false,
            media_download_timeout: Duration::from_secs(30),
            send_interval: Duration::from_millis(250),
            master_token: None,
            runtime: wuts_device::RuntimeConfig {
                restore_concurrency: 8,
                ..Default::default()
            },
            outputs: Default::default(),
            transcode: Default::default(),
            media_async_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The entry point of every use case. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    store: Store,
    cache: moka::sync::Cache<TokenHash, Principal>,
    config: ServiceConfig,
    master_override: Option<TokenHash>,
    devices: wuts_device::DeviceManager,
    /// Fetches media URLs given by clients.
    media_http: reqwest::Client,
    /// Media recently downloaded, by (device, message id), bounded by size.
    media_cache: moka::sync::Cache<(String, String), bytes::Bytes>,
    /// Spreads each device's sends out.
    pacer: std::sync::Arc<pacing::Pacer>,
    /// Flips to true when the server starts shutting down (long-lived streams end then).
    closing: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
    /// Media conversions (FFmpeg), bounded.
    transcoder: std::sync::Arc<transcode::Transcoder>,
}

impl Services {
    pub fn new(store: Store, config: ServiceConfig) -> Self {
        let config_transcode = config.transcode.clone();
        let cache = moka::sync::Cache::builder()
            .max_capacity(100_000)
            .time_to_live(config.auth_cache_ttl)
            .build();
        let master_override = config.master_token.as_deref().map(TokenHash::of);
        let devices = wuts_device::DeviceManager::new(store.clone(), config.runtime.clone());
        let closing = std::sync::Arc::new(tokio::sync::watch::channel(false).0);
        let media_http = media_source::http_client(config.media_allow_private_urls);
        let pacer = std::sync::Arc::new(pacing::Pacer::new(config.send_interval));
        let media_cache = moka::sync::Cache::builder()
            .max_capacity(MEDIA_CACHE_BYTES)
            .weigher(|_, v: &bytes::Bytes| u32::try_from(v.len()).unwrap_or(u32::MAX))
            .time_to_idle(Duration::from_secs(600))
            .build();
        Self {
            media_cache,
            pacer,
            media_http,
            store,
            cache,
            config,
            master_override,
            devices,
            closing,
            transcoder: std::sync::Arc::new(transcode::Transcoder::new(config_transcode)),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Tells long-lived requests (event streams) to end: the server is shutting down.
    pub fn begin_shutdown(&self) {
        self.closing.send_replace(true);
    }

    pub fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// The device runtime (start-up restore and shutdown are the binary's to call).
    pub fn devices(&self) -> &wuts_device::DeviceManager {
        &self.devices
    }

    /// Whether media conversion is possible here, and how busy it is.
    pub fn conversion_status(&self) -> transcode::ConversionStatus {
        self.transcoder.status()
    }

    /// The database answers (readiness).
    pub async fn ready(&self) -> DomainResult<()> {
        Ok(self.store.ping().await?)
    }
}

/// Ids in paths and queries are UUIDs; anything else is a validation error naming the field.
pub(crate) fn uuid_field(field: &str, raw: &str) -> DomainResult<String> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| {
            DomainError::fields(vec![
                wuts_core::FieldError::new(field, "must be a UUID").with_value(raw)
            ])
        })
}
