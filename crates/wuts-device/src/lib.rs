//! The device runtime: one whatsapp-rust client per live device, supervised by a manager that
//! starts, stops and finds them by device id. Session state lives in our database (`WaStore`),
//! so a device can come back on any gateway node. Requests reach a device only through the
//! manager; a failing device never affects another.

mod calls;
mod catalog;
mod chat_state;
mod connection;
mod contacts;
pub mod convert;
mod events;
mod groups;
mod history;
mod labels;
mod live;
pub mod media;
pub mod media_http;
mod newsletters;
mod proxy;
mod status;

pub use contacts::{Blocklist, ChatSetting, ChatState, Picture, UserInfo};
pub use groups::{
    GroupChanges, GroupInfo, GroupMember, LinkResult, NewGroup, ParticipantAction,
    ParticipantResult,
};
pub use live::{LiveDevice, LiveState};
pub use newsletters::{Channel, ChannelPost};
pub use status::{StatusAudience, StatusContent, StatusList};
pub use whatsapp_rust::Jid;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tracing::{info, warn};
use wuts_core::Device;
use wuts_store::whatsapp::WaStore;
use wuts_store::Store;

/// Where and how devices connect.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// WhatsApp's WebSocket endpoint; `None` is the real one. wa-sim: `ws://127.0.0.1:PORT/ws/chat`.
    pub whatsapp_url: Option<String>,
    /// A fixed client version; `None` asks WhatsApp for the current one, falling back to
    /// [`BUILT_IN_VERSION`] when that cannot be asked.
    pub version: Option<(u32, u32, u32)>,
    /// Devices reconnecting at once at start-up.
    pub restore_concurrency: usize,
}

/// The WhatsApp Web client version this release was built with (updated with each release, as
/// whatsmeow and Baileys ship one): used when the current one cannot be asked of WhatsApp (no
/// route to web.whatsapp.com, a proxy that lets only WhatsApp's socket through, an air-gapped
/// demo), so that a device never fails to pair for that alone.
pub const BUILT_IN_VERSION: Version = (2, 3000, 1_042_742_319);

/// A WhatsApp Web client version, `major.minor.patch`.
pub type Version = (u32, u32, u32);

/// How long an asked version is used before it is asked again; a fallback is retried sooner.
const VERSION_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
const FALLBACK_TTL: std::time::Duration = std::time::Duration::from_secs(3600);
const VERSION_ASK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("already connected")]
    AlreadyConnected,
    #[error("timeout waiting for {0}")]
    Timeout(&'static str),
    #[error("WhatsApp session is not connected")]
    NotConnected,
    #[error("failed to initialize device: {0}")]
    Init(String),
    #[error("{0}")]
    WhatsApp(String),
    #[error("storage: {0}")]
    Store(String),
    /// WhatsApp refused the request with an error code (404 no such group, 403 not allowed, ...).
    #[error("WhatsApp refused: {text} ({code})")]
    Refused { code: u16, text: String },
}

/// The one conversion of device errors into the domain's: not connected is
/// `DEVICE_NOT_READY` (409), already connected a conflict, the rest WhatsApp or the runtime
/// being unavailable (503).
impl From<RuntimeError> for wuts_core::DomainError {
    fn from(e: RuntimeError) -> Self {
        use wuts_core::DomainError;
        match e {
            RuntimeError::AlreadyConnected => DomainError::Conflict("already connected".into()),
            RuntimeError::NotConnected => {
                DomainError::DeviceNotReady("WhatsApp session is not connected".into())
            }
            RuntimeError::Refused { code, text } => match code {
                400 | 406 => DomainError::field("body", format!("WhatsApp refused it: {text}")),
                401 | 403 => DomainError::Forbidden(format!("WhatsApp refused it: {text}")),
                404 => DomainError::NotFound(format!("WhatsApp knows no such thing: {text}")),
                409 => DomainError::Conflict(format!("WhatsApp refused it: {text}")),
                _ => DomainError::Unavailable(format!("WhatsApp refused it: {text} ({code})")),
            },
            other => DomainError::Unavailable(other.to_string()),
        }
    }
}

/// Starts, stops and looks up live devices.
#[derive(Clone)]
pub struct DeviceManager {
    store: Store,
    config: RuntimeConfig,
    live: Arc<Mutex<HashMap<String, Arc<LiveDevice>>>>,
    media_http: media_http::MediaHttp,
    /// The client version in use and until when.
    version: Arc<Mutex<Option<(Version, std::time::Instant)>>>,
}

impl DeviceManager {
    pub fn new(store: Store, config: RuntimeConfig) -> Self {
        let media_http = media_http::MediaHttp::new(config.whatsapp_url.as_deref());
        Self {
            store,
            config,
            live: Arc::new(Mutex::new(HashMap::new())),
            media_http,
            version: Arc::new(Mutex::new(None)),
        }
    }

    /// The client version devices announce: the configured one, else WhatsApp Web's current
    /// one (asked once a day), else [`BUILT_IN_VERSION`] (said once per attempt in the log).
    async fn client_version(&self) -> Version {
        if let Some(v) = self.config.version {
            return v;
        }
        let mut cached = self.version.lock().await;
        if let Some((v, until)) = *cached {
            if std::time::Instant::now() < until {
                return v;
            }
        }
        let http: Arc<dyn whatsapp_rust::http::HttpClient> = Arc::new(self.media_http.clone());
        let asked = tokio::time::timeout(
            VERSION_ASK_TIMEOUT,
            whatsapp_rust::version::fetch_latest_app_version(&http),
        )
        .await;
        let (v, ttl) = match asked {
            Ok(Ok(v)) => {
                info!(version = ?v, "WhatsApp Web version asked");
                (v, VERSION_TTL)
            }
            Ok(Err(e)) => {
                warn!(error = %e, version = ?BUILT_IN_VERSION, "cannot ask WhatsApp Web's version; using the built-in one");
                (BUILT_IN_VERSION, FALLBACK_TTL)
            }
            Err(_) => {
                warn!(version = ?BUILT_IN_VERSION, "asking WhatsApp Web's version timed out; using the built-in one");
                (BUILT_IN_VERSION, FALLBACK_TTL)
            }
        };
        *cached = Some((v, std::time::Instant::now() + ttl));
        v
    }

    /// The WhatsApp endpoint devices connect to.
    pub fn whatsapp_url(&self) -> &str {
        self.config
            .whatsapp_url
            .as_deref()
            .unwrap_or(whatsapp_rust::wacore::net::WHATSAPP_WEB_WS_URL)
    }

    pub fn state_store(&self, device_id: &str) -> WaStore {
        WaStore::new(self.store.clone(), device_id)
    }

    /// The live device, started when it is not running.
    pub async fn ensure_started(&self, device: &Device) -> Result<Arc<LiveDevice>, RuntimeError> {
        // Asked before the registry is locked: it can take seconds.
        let config = RuntimeConfig {
            version: Some(self.client_version().await),
            ..self.config.clone()
        };
        let mut live = self.live.lock().await;
        if let Some(d) = live.get(&device.id) {
            if d.is_running() {
                return Ok(d.clone());
            }
        }
        let d = LiveDevice::start(
            self.store.clone(),
            device.clone(),
            &config,
            self.media_http.clone(),
        )
        .await?;
        live.insert(device.id.clone(), d.clone());
        Ok(d)
    }

    pub async fn get(&self, device_id: &str) -> Option<Arc<LiveDevice>> {
        self.live.lock().await.get(device_id).cloned()
    }

    /// Whether the device has stored credentials (it was paired and not logged out).
    pub async fn has_session(&self, device_id: &str) -> Result<bool, RuntimeError> {
        use whatsapp_rust::wacore::store::traits::DeviceStore;
        let state = self.state_store(device_id);
        match state
            .load()
            .await
            .map_err(|e| RuntimeError::Store(e.to_string()))?
        {
            Some(d) => Ok(d.pn.is_some()),
            None => Ok(false),
        }
    }

    /// Deletes the device's session state and stops its client. The store is sealed before the
    /// delete, so nothing the client still flushes can bring the session back.
    pub async fn retire(&self, device_id: &str) -> Result<(), RuntimeError> {
        let d = self.live.lock().await.remove(device_id);
        let state = match &d {
            Some(d) => d.state_store().clone(),
            None => self.state_store(device_id),
        };
        state
            .wipe()
            .await
            .map_err(|e| RuntimeError::Store(e.to_string()))?;
        if let Some(d) = d {
            d.stop().await;
        }
        Ok(())
    }

    /// Stops the device's client, keeping its credentials.
    pub async fn stop(&self, device_id: &str) {
        let d = self.live.lock().await.remove(device_id);
        if let Some(d) = d {
            d.stop().await;
        }
    }

    /// Reconnects every device that has a stored session, a few at a time, with jitter, so a
    /// gateway restart does not stampede WhatsApp.
    pub async fn restore_all(&self) {
        let devices = match self.store.devices_with_session().await {
            Ok(d) => d,
            Err(e) => {
                warn!("cannot list devices to restore: {e}");
                return;
            }
        };
        let gate = Arc::new(tokio::sync::Semaphore::new(
            self.config.restore_concurrency.max(1),
        ));
        for device in devices {
            let (this, gate) = (self.clone(), gate.clone());
            tokio::spawn(async move {
                let Ok(_permit) = gate.acquire().await else {
                    return;
                };
                match this.has_session(&device.id).await {
                    Ok(true) => {}
                    other => {
                        info!(device_id = %device.id, ?other, "not restored: no session");
                        return;
                    }
                }
                let jitter = Duration::from_millis(u64::from(device.id.as_bytes()[0]) % 250);
                tokio::time::sleep(jitter).await;
                match this.ensure_started(&device).await {
                    Ok(d) => {
                        if d.wait_connected(Duration::from_secs(30)).await {
                            info!(device_id = %device.id, "device restored");
                        }
                    }
                    Err(e) => warn!(device_id = %device.id, "restore failed: {e}"),
                }
            });
        }
    }

    /// Makes a running device connect again now, so that it uses its current proxy: a connected
    /// one drops its socket and reconnects; one that is still trying (or showing a QR) is
    /// restarted. Answers what it did: `connected` when it is connected again within
    /// `wait`, `connecting` when it is on its way, `offline` when it is not running (it uses the
    /// proxy when it next connects).
    pub async fn reconnect(&self, device_id: &str, wait: Duration) -> &'static str {
        let Some(d) = self.get(device_id).await else {
            return "offline";
        };
        if !d.is_running() {
            return "offline";
        }
        let since = d.dials();
        let before = d.clone();
        if !d.reconnect_now().await {
            let device = d.device.clone();
            self.stop(device_id).await;
            if let Err(e) = self.ensure_started(&device).await {
                warn!(device_id, "restart for a proxy change failed: {e}");
                return "offline";
            }
        }
        let Some(d) = self.get(device_id).await else {
            return "offline";
        };
        // A restarted client counts its dials from zero.
        let since = if Arc::ptr_eq(&d, &before) { since } else { 0 };
        if d.wait_connected_or_failed(since, wait).await {
            "connected"
        } else {
            "connecting"
        }
    }

    /// The ids of the running devices among `ids`.
    pub async fn running_among(&self, ids: &[String]) -> Vec<String> {
        let live = self.live.lock().await;
        ids.iter()
            .filter(|id| live.get(*id).is_some_and(|d| d.is_running()))
            .cloned()
            .collect()
    }

    /// Stops every device (shutdown).
    pub async fn stop_all(&self) {
        let all: Vec<_> = self.live.lock().await.drain().map(|(_, d)| d).collect();
        for d in all {
            d.stop().await;
        }
    }
}
