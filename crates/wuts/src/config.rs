//! Configuration: defaults, then an optional TOML file, then `WUTS_*` environment variables, then
//! command-line flags. Every key is listed in the README.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path` (embedded, the default) or `postgres://...`.
    pub database_url: String,
    /// Database pool size.
    pub db_max_connections: u32,
    /// The platform master token. When unset, one is generated on first start, printed once,
    /// and only its digest stored.
    pub master_token: Option<String>,
    /// `text` or `json`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `wuts=debug,tower_http=info`.
    pub log_level: String,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Seconds from a request's first byte to the end of its headers (then `408` and close).
    pub http_header_timeout_secs: u64,
    /// Seconds from a request's headers to the end of its body (then `408` and close).
    pub http_body_timeout_secs: u64,
    /// Seconds a keep-alive connection may wait for its next request.
    pub http_idle_timeout_secs: u64,
    /// Connections served at once; more wait in the listen backlog.
    pub http_max_connections: usize,
    /// Listen backlog (connections the kernel queues before they are accepted).
    pub http_backlog: u32,
    /// Comma-separated allowed CORS origins; empty disables CORS; `*` allows any.
    pub cors_origins: String,
    /// Seconds an authenticated token stays cached.
    pub auth_cache_ttl_secs: u64,
    /// Accept plain-http webhook URLs.
    pub webhook_allow_http: bool,
    /// Let media URLs given by clients reach loopback and private addresses (off: such URLs are
    /// refused, so a client cannot make the gateway probe its own network).
    pub media_allow_private_urls: bool,
    /// Seconds a media URL download may take; videos and documents get twice as long.
    pub media_download_timeout_secs: u64,
    /// The least time between two sends of one number, in milliseconds (0: no pacing). A
    /// burst through the API is queued (durably) and reaches WhatsApp spread out.
    pub send_interval_ms: u64,
    /// WhatsApp's WebSocket endpoint; empty means the real one. For wa-sim:
    /// `ws://127.0.0.1:PORT/ws/chat` (needs a build with the `sim` feature).
    pub whatsapp_url: String,
    /// A fixed WhatsApp Web client version `major.minor.patch`; empty asks WhatsApp (and falls
    /// back to the version built into the release when that fails).
    pub whatsapp_version: String,
    /// Devices reconnecting at once at start-up.
    pub restore_concurrency: usize,
    /// First webhook retry delay in milliseconds (doubles per attempt, ±20% jitter, 5 min cap).
    pub webhook_retry_base_ms: u64,
    /// Devices whose webhooks are delivered at once.
    pub webhook_concurrency: usize,
    /// The key that seals stored secrets (proxy passwords): 32 bytes, base64 or hex. When
    /// unset, a key is generated once and kept in the database.
    pub secrets_key: Option<String>,
    /// NATS server whose JetStream gets every event (`nats://host:4222`); unset: no NATS output.
    pub events_nats_url: Option<String>,
    /// The JetStream stream (created or updated at start, subjects `wuts.>`).
    pub events_nats_stream: String,
    /// RabbitMQ broker that gets every event (`amqp://user:pass@host:5672/%2f`); unset: none.
    pub events_amqp_url: Option<String>,
    /// The durable topic exchange events are published to.
    pub events_amqp_exchange: String,
    /// The `ffmpeg` program for media conversion (`ffprobe` is taken from beside it); unset:
    /// found on `PATH`. Without it the server runs and conversions answer 503.
    pub ffmpeg: Option<String>,
    /// Conversions at once (0: half the cores, at least 1); the others wait.
    pub convert_concurrency: usize,
    /// Seconds one FFmpeg run may take before it is killed and its job fails.
    pub convert_timeout_secs: u64,
    /// Address space one FFmpeg process may map, MiB (0: unbounded).
    pub convert_memory_mb: u64,
    /// Directory for conversion files (unset: the system's temporary directory).
    pub convert_dir: Option<String>,
    /// Audio and video larger than this many bytes go through a job (202) even when nothing
    /// needs converting.
    pub media_async_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        // The HTTP server's limits have one set of defaults, its own.
        let limits = wuts_api::server::ServerLimits::default();
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/wuts.db".into(),
            db_max_connections: 16,
            master_token: None,
            log_format: "text".into(),
            log_level: "info".into(),
            body_limit: 16 * 1024 * 1024,
            http_header_timeout_secs: limits.header_timeout.as_secs(),
            http_body_timeout_secs: limits.body_timeout.as_secs(),
            http_idle_timeout_secs: limits.idle_timeout.as_secs(),
            http_max_connections: limits.max_connections,
            http_backlog: 1024,
            cors_origins: String::new(),
            auth_cache_ttl_secs: 60,
            webhook_allow_http: false,
            media_allow_private_urls: false,
            media_download_timeout_secs: 30,
            send_interval_ms: 250,
            whatsapp_url: String::new(),
            whatsapp_version: String::new(),
            restore_concurrency: 8,
            webhook_retry_base_ms: 1000,
            webhook_concurrency: 32,
            secrets_key: None,
            events_nats_url: None,
            events_nats_stream: "WUTS".into(),
            events_amqp_url: None,
            events_amqp_exchange: "wuts.events".into(),
            ffmpeg: None,
            convert_concurrency: 0,
            convert_timeout_secs: 120,
            convert_memory_mb: 2048,
            convert_dir: None,
            media_async_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Config {
    /// Loads the layers; `file` is the TOML path (`--config` / `WUTS_CONFIG`, else `wuts.toml`
    /// when present).
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(p) => fig = fig.merge(Toml::file_exact(p)),
            None if Path::new("wuts.toml").exists() => fig = fig.merge(Toml::file("wuts.toml")),
            None => {}
        }
        fig.merge(Env::prefixed("WUTS_").ignore(&["config"]))
            .extract()
            .map_err(Box::new)
    }

    /// `major.minor.patch` of `whatsapp_version`, when set.
    pub fn version(&self) -> anyhow::Result<Option<(u32, u32, u32)>> {
        if self.whatsapp_version.trim().is_empty() {
            return Ok(None);
        }
        let parts: Vec<u32> = self
            .whatsapp_version
            .trim()
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| anyhow::anyhow!("whatsapp_version must look like 2.3000.1030000000"))?;
        match parts[..] {
            [a, b, c] => Ok(Some((a, b, c))),
            _ => anyhow::bail!("whatsapp_version must look like 2.3000.1030000000"),
        }
    }

    /// The HTTP server's connection limits.
    pub fn server_limits(&self) -> wuts_api::server::ServerLimits {
        let secs = |s: u64| std::time::Duration::from_secs(s.max(1));
        wuts_api::server::ServerLimits {
            header_timeout: secs(self.http_header_timeout_secs),
            body_timeout: secs(self.http_body_timeout_secs),
            idle_timeout: secs(self.http_idle_timeout_secs),
            max_connections: self.http_max_connections.max(1),
        }
    }

    pub fn cors_list(&self) -> Vec<String> {
        self.cors_origins
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}
