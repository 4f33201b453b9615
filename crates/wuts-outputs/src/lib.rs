//! Event outputs: the events outbox published to message brokers (NATS JetStream, RabbitMQ).
//!
//! Every event is already in the `events` table before anything answers. Each output keeps a
//! cursor per device (`event_output_cursors`) and publishes the device's events after it, one at
//! a time, each confirmed by the broker (JetStream's publish ack, RabbitMQ's publisher confirm)
//! before the next goes out; the cursor moves only past confirmed events. A broker that is down
//! or slow leaves events waiting in the table, in order, retried with backoff; a crash after a
//! confirmation and before the cursor write publishes the same events again with the same ids
//! (JetStream drops them by `Nats-Msg-Id`; RabbitMQ consumers see a stable `message_id`).

pub mod amqp;
pub mod nats;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tracing::{debug, info, warn};
use wuts_core::outputs::{OutputBoard, OutputReport};
use wuts_core::time;
use wuts_store::events::PendingEvent;
use wuts_store::Store;

/// Events read per round trip, per device.
const BATCH: i64 = 64;
/// How often confirmed positions are written to the database: a crash republishes at most
/// this much (with the same ids), and a flood costs a few cursor writes a second, not one per
/// event.
const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// Which outputs to run and how.
#[derive(Debug, Clone)]
pub struct OutputsConfig {
    pub nats_url: Option<String>,
    pub nats_stream: String,
    pub amqp_url: Option<String>,
    pub amqp_exchange: String,
    /// Devices published at once, per output.
    pub concurrency: usize,
    /// First retry delay after a failure; doubles per failure (±20% jitter) up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How often the outbox is looked at when nothing signals new events.
    pub poll: Duration,
    /// How long one connect or publish may take before it counts as a failure.
    pub timeout: Duration,
}

impl Default for OutputsConfig {
    fn default() -> Self {
        Self {
            nats_url: None,
            nats_stream: "WUTS".into(),
            amqp_url: None,
            amqp_exchange: "wuts.events".into(),
            concurrency: 16,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(5),
        }
    }
}

/// One event as it goes to a broker: the webhook's JSON envelope and its headers.
pub struct OutMessage {
    pub id: String,
    pub event: String,
    /// `<tenant_id>.<device_id>.<event>`: the NATS subject after `wuts.`, the routing key.
    pub key: String,
    pub body: String,
    /// `x-wuts-event`, `x-wuts-event-id`, `x-wuts-timestamp` and, when the device's webhook has
    /// a secret, `x-wuts-signature` (the webhook's signature of `<timestamp>.<body>`).
    pub headers: Vec<(&'static str, String)>,
    pub timestamp: u64,
}

impl OutMessage {
    pub fn new(event: &PendingEvent, secret: Option<&str>) -> Self {
        let body = wuts_webhooks::envelope(event, secret);
        let ts = (time::now_millis() / 1000) as u64;
        let mut headers = vec![
            ("x-wuts-event", event.event.clone()),
            ("x-wuts-event-id", event.id.clone()),
            ("x-wuts-timestamp", ts.to_string()),
        ];
        if let Some(secret) = secret {
            headers.push((
                "x-wuts-signature",
                wuts_webhooks::signature(secret, &format!("{ts}.{body}")),
            ));
        }
        Self {
            id: event.id.clone(),
            event: event.event.clone(),
            key: format!("{}.{}.{}", event.tenant_id, event.device_id, event.event),
            body,
            headers,
            timestamp: ts,
        }
    }
}

/// A broker.
pub(crate) enum Sink {
    Nats(nats::NatsSink),
    Amqp(amqp::AmqpSink),
}

impl Sink {
    fn name(&self) -> &'static str {
        match self {
            Sink::Nats(_) => "nats",
            Sink::Amqp(_) => "rabbitmq",
        }
    }

    fn target(&self) -> String {
        match self {
            Sink::Nats(s) => s.target(),
            Sink::Amqp(s) => s.target(),
        }
    }

    fn destination(&self) -> String {
        match self {
            Sink::Nats(s) => s.stream.clone(),
            Sink::Amqp(s) => s.exchange.clone(),
        }
    }

    /// Connects (if need be) and declares the stream or exchange.
    async fn ready(&self) -> Result<(), String> {
        match self {
            Sink::Nats(s) => s.context().await.map(|_| ()),
            Sink::Amqp(s) => s.channel().await.map(|_| ()),
        }
    }

    /// Publishes one message and waits for the broker's confirmation; answers whether the
    /// broker said it already had it.
    async fn publish(&self, m: &OutMessage) -> Result<bool, String> {
        match self {
            Sink::Nats(s) => s.publish(m).await,
            Sink::Amqp(s) => s.publish(m).await.map(|()| false),
        }
    }
}

/// Strips user and password from a broker URL for display.
pub(crate) fn display_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => "(unparsable URL)".into(),
    }
}

/// Starts one relay per configured output; each runs until `shutdown` turns true.
pub fn spawn(
    store: Store,
    config: &OutputsConfig,
    board: OutputBoard,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut sinks = Vec::new();
    if let Some(url) = config.nats_url.as_deref().filter(|u| !u.trim().is_empty()) {
        sinks.push(Sink::Nats(nats::NatsSink::new(
            url,
            &config.nats_stream,
            config.timeout,
        )));
    }
    if let Some(url) = config.amqp_url.as_deref().filter(|u| !u.trim().is_empty()) {
        sinks.push(Sink::Amqp(amqp::AmqpSink::new(
            url,
            &config.amqp_exchange,
            config.timeout,
        )));
    }
    sinks
        .into_iter()
        .map(|sink| {
            board.register(OutputReport {
                name: sink.name(),
                target: sink.target(),
                destination: sink.destination(),
                up: false,
                last_error: Some("not connected yet".into()),
                published: 0,
                retries: 0,
                lag_ms: 0,
            });
            let relay = Relay::new(store.clone(), sink, config.clone(), board.clone());
            let mut stop = shutdown.clone();
            tokio::spawn(relay.run(async move {
                let _ = stop.wait_for(|s| *s).await;
            }))
        })
        .collect()
}

/// Health of one output: failures in a row and when to try again.
#[derive(Default)]
struct Health {
    failures: u32,
    retry_at: Option<Instant>,
}

/// Publishes the outbox to one broker.
#[derive(Clone)]
struct Relay {
    store: Store,
    sink: Arc<Sink>,
    config: OutputsConfig,
    board: OutputBoard,
    wake: Arc<Notify>,
    lanes: wuts_webhooks::Lanes,
    health: Arc<Mutex<Health>>,
    lag_checked: Arc<Mutex<Option<Instant>>>,
    /// Per device: the last seq the broker confirmed, and the last one written to the database.
    cursors: Arc<Mutex<HashMap<String, (i64, i64)>>>,
    flushed: Arc<Mutex<Instant>>,
}

impl Relay {
    fn new(store: Store, sink: Sink, config: OutputsConfig, board: OutputBoard) -> Self {
        Self {
            store,
            lanes: wuts_webhooks::Lanes::new(config.concurrency),
            sink: Arc::new(sink),
            config,
            board,
            wake: Arc::default(),
            health: Arc::default(),
            lag_checked: Arc::default(),
            cursors: Arc::default(),
            flushed: Arc::new(Mutex::new(Instant::now())),
        }
    }

    fn name(&self) -> &'static str {
        self.sink.name()
    }

    async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        info!(output = self.name(), target = %self.sink.target(), "event output started");
        match self.sink.ready().await {
            Ok(()) => self.succeeded(),
            Err(e) => self.failed(&e),
        }
        let mut recorded = self.store.events_changed();
        loop {
            self.tick().await;
            tokio::select! {
                _ = &mut shutdown => {
                    self.flush().await;
                    return;
                }
                _ = recorded.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// Starts publishing for every device with unpublished events (unless the broker is in
    /// its backoff), and refreshes the lag once a second.
    async fn tick(&self) {
        let due = {
            let mut at = self.flushed.lock().unwrap_or_else(|p| p.into_inner());
            let due = at.elapsed() >= FLUSH_EVERY;
            if due {
                *at = Instant::now();
            }
            due
        };
        if due {
            self.flush().await;
        }
        self.refresh_lag().await;
        let waiting = self
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retry_at
            .is_some_and(|at| at > Instant::now());
        if waiting {
            return;
        }
        let behind = match self.store.devices_behind(self.name(), 1024).await {
            Ok(b) => b,
            Err(e) => {
                warn!(output = self.name(), "outbox query failed: {e}");
                return;
            }
        };
        for (device_id, newest) in behind {
            let confirmed = self
                .cursors
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&device_id)
                .map(|c| c.0);
            if confirmed.is_some_and(|c| c >= newest) {
                continue; // published; its cursor is written at the next flush
            }
            let this = self.clone();
            self.lanes.start(
                device_id,
                |id| async move { this.publish_device(&id).await },
            );
        }
    }

    async fn refresh_lag(&self) {
        {
            let mut last = self.lag_checked.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return;
            }
            *last = Some(Instant::now());
        }
        if let Ok(oldest) = self.store.output_oldest_unpublished(self.name()).await {
            let lag = oldest.map_or(0, |t| (time::now_millis() - t).max(0));
            metrics::gauge!("wuts_output_lag_seconds", "output" => self.name())
                .set(lag as f64 / 1000.0);
            self.board.update(self.name(), |r| r.lag_ms = lag);
        }
    }

    /// Publishes the device's events in order, each confirmed before the next, until they are
    /// all out or one fails (then the output backs off and the rest wait).
    async fn publish_device(&self, device_id: &str) {
        let output = self.name();
        let known = self
            .cursors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(device_id)
            .map(|c| c.0);
        let mut cursor = match known {
            Some(c) => c,
            None => match self.store.output_cursor(output, device_id).await {
                Ok(c) => {
                    self.cursors
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(device_id.to_string(), (c, c));
                    c
                }
                Err(e) => {
                    warn!(output, device_id, "cursor read failed: {e}");
                    return;
                }
            },
        };
        loop {
            let batch = match self
                .store
                .device_events_after(device_id, cursor, BATCH)
                .await
            {
                Ok(b) if b.is_empty() => return,
                Ok(b) => b,
                Err(e) => {
                    warn!(output, device_id, "outbox read failed: {e}");
                    return;
                }
            };
            let filter = match self.store.output_filter(&batch[0].tenant_id).await {
                Ok(f) => f,
                Err(e) => {
                    warn!(output, device_id, "output filter read failed: {e}");
                    return;
                }
            };
            let secret = match self.store.device_webhook(device_id).await {
                Ok(c) => c.and_then(|c| c.secret),
                Err(e) => {
                    warn!(output, device_id, "webhook config read failed: {e}");
                    return;
                }
            };
            let mut failed = false;
            let start = cursor;
            for event in &batch {
                if !filter.wants(&event.event) {
                    cursor = event.seq;
                    continue;
                }
                let message = OutMessage::new(event, secret.as_deref());
                metrics::counter!("wuts_output_published_total", "output" => output).increment(1);
                match self.sink.publish(&message).await {
                    Ok(duplicate) => {
                        metrics::counter!("wuts_output_confirmed_total", "output" => output)
                            .increment(1);
                        if duplicate {
                            metrics::counter!("wuts_output_duplicates_total", "output" => output)
                                .increment(1);
                        }
                        debug!(output, event_id = %event.id, "published");
                        cursor = event.seq;
                        self.board.update(output, |r| r.published += 1);
                    }
                    Err(e) => {
                        self.failed(&e);
                        failed = true;
                        break;
                    }
                }
            }
            if cursor > start {
                if let Some(c) = self
                    .cursors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_mut(device_id)
                {
                    c.0 = c.0.max(cursor);
                }
            }
            if failed {
                self.flush().await;
                return;
            }
            self.succeeded();
        }
    }

    /// Writes the confirmed positions that moved since the last flush.
    async fn flush(&self) {
        let moved: Vec<(String, i64)> = self
            .cursors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, c)| c.0 > c.1)
            .map(|(d, c)| (d.clone(), c.0))
            .collect();
        for (device_id, seq) in moved {
            match self
                .store
                .advance_output(self.name(), &device_id, seq)
                .await
            {
                Ok(()) => {
                    if let Some(c) = self
                        .cursors
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_mut(&device_id)
                    {
                        c.1 = c.1.max(seq);
                    }
                }
                Err(e) => warn!(output = self.name(), device_id, "cursor write failed: {e}"),
            }
        }
    }

    fn succeeded(&self) {
        let was_down = {
            let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
            let was = h.failures > 0;
            *h = Health::default();
            was
        };
        if was_down {
            info!(output = self.name(), "event output is back");
        }
        metrics::gauge!("wuts_output_up", "output" => self.name()).set(1.0);
        self.board.update(self.name(), |r| {
            r.up = true;
            r.last_error = None;
        });
    }

    fn failed(&self, why: &str) {
        let delay = {
            let mut h = self.health.lock().unwrap_or_else(|p| p.into_inner());
            h.failures = h.failures.saturating_add(1);
            let exp = self
                .config
                .base_backoff
                .saturating_mul(1u32 << (h.failures - 1).min(16));
            let delay = exp
                .min(self.config.max_backoff)
                .mul_f64(0.8 + fastrand::f64() * 0.4);
            h.retry_at = Some(Instant::now() + delay);
            if h.failures == 1 {
                warn!(output = self.name(), "event output failed: {why}");
            } else {
                debug!(
                    output = self.name(),
                    failures = h.failures,
                    "event output still failing: {why}"
                );
            }
            delay
        };
        metrics::counter!("wuts_output_retries_total", "output" => self.name()).increment(1);
        metrics::gauge!("wuts_output_up", "output" => self.name()).set(0.0);
        self.board.update(self.name(), |r| {
            r.up = false;
            r.last_error = Some(why.to_string());
            r.retries += 1;
        });
        let wake = self.wake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            wake.notify_one();
        });
    }
}
