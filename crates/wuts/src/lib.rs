//! The `wuts` binary's wiring: configuration, logging, and the server's life cycle.

pub mod config;

use config::Config;
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::info;
use wuts_api::HttpConfig;
use wuts_service::{MasterTokenInit, ServiceConfig, Services, Store};

/// Opens the database, applies migrations and builds the use cases.
pub async fn services(cfg: &Config) -> anyhow::Result<Services> {
    let store = Store::connect(&cfg.database_url, cfg.db_max_connections).await?;
    store.migrate().await?;
    if let Some(key) = cfg.secrets_key.as_deref().filter(|k| !k.trim().is_empty()) {
        let key = wuts_store::proxies::parse_secrets_key(key)
            .map_err(|e| anyhow::anyhow!("secrets_key (WUTS_SECRETS_KEY) {e}"))?;
        store.use_secrets_key(key);
    }
    Ok(Services::new(
        store,
        ServiceConfig {
            auth_cache_ttl: Duration::from_secs(cfg.auth_cache_ttl_secs),
            webhook_allow_http: cfg.webhook_allow_http,
            media_allow_private_urls: cfg.media_allow_private_urls,
            media_download_timeout: Duration::from_secs(cfg.media_download_timeout_secs.max(1)),
            send_interval: Duration::from_millis(cfg.send_interval_ms),
            master_token: cfg.master_token.clone().filter(|t| !t.is_empty()),
            runtime: wuts_device::RuntimeConfig {
                whatsapp_url: Some(cfg.whatsapp_url.clone()).filter(|u| !u.trim().is_empty()),
                version: cfg.version()?,
                restore_concurrency: cfg.restore_concurrency,
            },
            outputs: Default::default(),
            transcode: transcode_config(cfg),
            media_async_bytes: cfg.media_async_bytes,
        },
    ))
}

/// How media conversions run, from the configuration.
fn transcode_config(cfg: &Config) -> wuts_service::transcode::TranscodeConfig {
    let defaults = wuts_service::transcode::TranscodeConfig::default();
    let given = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(std::path::PathBuf::from)
    };
    wuts_service::transcode::TranscodeConfig {
        ffmpeg: given(&cfg.ffmpeg),
        concurrency: match cfg.convert_concurrency {
            0 => defaults.concurrency,
            n => n,
        },
        time_limit: Duration::from_secs(cfg.convert_timeout_secs.max(1)),
        memory_mb: cfg.convert_memory_mb,
        work_dir: given(&cfg.convert_dir),
    }
}

/// Serves the API on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    cfg: &Config,
    services: Services,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let MasterTokenInit::Generated(token) = services.init_master_token().await? {
        // Printed once, on stdout only: it is never logged and only its digest is kept.
        println!("=================================================================");
        println!(" wuts generated the platform master token. It is shown only now:");
        println!("   {token}");
        println!(" Keep it safe. Rotate it with `wuts master-token rotate`.");
        println!("=================================================================");
    }
    let http = HttpConfig {
        body_limit: cfg.body_limit,
        cors_origins: cfg.cors_list(),
    };
    let app = wuts_api::app(services.clone(), &http);
    info!(addr = %listener.local_addr()?, backend = ?services.store().backend(), "wuts listening");
    // Webhook delivery from the events outbox, until shutdown.
    let dispatcher = wuts_webhooks::Dispatcher::new(
        services.store().clone(),
        wuts_webhooks::DispatcherConfig {
            concurrency: cfg.webhook_concurrency,
            base_backoff: Duration::from_millis(cfg.webhook_retry_base_ms.max(1)),
            ..Default::default()
        },
    );
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let delivery = tokio::spawn(dispatcher.run(async {
        let _ = stop_rx.await;
    }));
    // Events to the brokers the operator configured (NATS JetStream, RabbitMQ), until shutdown.
    let (outputs_stop, outputs_stopped) = tokio::sync::watch::channel(false);
    let outputs = wuts_outputs::spawn(
        services.store().clone(),
        &wuts_outputs::OutputsConfig {
            nats_url: cfg.events_nats_url.clone(),
            nats_stream: cfg.events_nats_stream.clone(),
            amqp_url: cfg.events_amqp_url.clone(),
            amqp_exchange: cfg.events_amqp_exchange.clone(),
            ..Default::default()
        },
        services.output_board(),
        outputs_stopped,
    );
    // Devices that were logged in reconnect by themselves, a few at a time.
    services.devices().restore_all().await;
    // What was queued and not sent before a restart goes out once its device is back.
    services.resume_outbox().await;
    // Media jobs (202 sends) that had not ended run again, or are settled.
    services.resume_jobs().await;
    let closing = services.clone();
    wuts_api::server::serve(listener, app, cfg.server_limits(), async move {
        shutdown.await;
        // Event streams end so the graceful shutdown does not wait on them.
        closing.begin_shutdown();
    })
    .await;
    let _ = stop_tx.send(());
    let _ = delivery.await;
    let _ = outputs_stop.send(true);
    for o in outputs {
        let _ = o.await;
    }
    // Clients stop (and flush their session state) before the database closes.
    services.devices().stop_all().await;
    services.store().close().await;
    info!("wuts stopped");
    Ok(())
}

/// Binds the configured listen address with the configured backlog.
pub async fn bind(cfg: &Config) -> std::io::Result<TcpListener> {
    wuts_api::server::bind(&cfg.listen, cfg.http_backlog).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    info!("shutdown requested");
}
