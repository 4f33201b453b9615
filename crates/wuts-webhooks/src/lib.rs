//! Webhook delivery. Events are written to the `events` table before anything answers; this
//! dispatcher delivers them to each device's configured URL in order per device, signed, with
//! exponential backoff and jitter, at most `concurrency` devices at a time so one slow receiver
//! cannot starve the others. An event that exhausts its retries stays in the table as `dead`.

mod lanes;
mod sign;

pub use lanes::Lanes;
pub use sign::{signature, verify};

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tracing::{debug, warn};
use wuts_core::time;
use wuts_store::events::PendingEvent;
use wuts_store::Store;

/// Events read (and their outcomes written) per round trip, per device.
const BATCH: i64 = 64;

/// What one delivery attempt came to.
enum Attempt {
    Delivered,
    Dead,
    Retry,
}

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    /// Devices delivered to at once.
    pub concurrency: usize,
    /// First retry delay; doubles per attempt (with ±20% jitter) up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How often the outbox is looked at when nothing signals new events.
    pub poll: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            poll: Duration::from_millis(500),
        }
    }
}

/// Delivers the outbox. Cheap to clone; `wake` after recording events.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    http: reqwest::Client,
    config: DispatcherConfig,
    /// Retry timers wake the loop through this.
    wake: Arc<Notify>,
    lanes: Lanes,
}

impl Dispatcher {
    pub fn new(store: Store, config: DispatcherConfig) -> Self {
        Self {
            store: store.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            wake: Arc::new(Notify::new()),
            lanes: Lanes::new(config.concurrency),
            config,
        }
    }

    /// Tells the dispatcher new events are waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut recorded = self.store.events_changed();
        loop {
            self.tick().await;
            tokio::select! {
                _ = &mut shutdown => return,
                _ = recorded.changed() => {}
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// Starts delivery for every device with a due event that is not being delivered already.
    async fn tick(&self) {
        let due = match self
            .store
            .devices_with_due_events(time::now_millis(), 1024)
            .await
        {
            Ok(d) => d,
            Err(e) => {
                warn!("outbox query failed: {e}");
                return;
            }
        };
        for device_id in due {
            let this = self.clone();
            self.lanes.start(
                device_id,
                |id| async move { this.deliver_device(&id).await },
            );
        }
    }

    /// Delivers the device's events in order until one must wait for a retry. Events are read
    /// a batch at a time with the configuration, and their outcomes written back per batch (a
    /// crash before that write redelivers them, with the same ids).
    async fn deliver_device(&self, device_id: &str) {
        loop {
            let batch = match self.store.pending_events(device_id, BATCH).await {
                Ok(b) if b.is_empty() => return,
                Ok(b) => b,
                Err(e) => {
                    warn!(device_id, "outbox read failed: {e}");
                    return;
                }
            };
            let config = match self.store.device_webhook(device_id).await {
                Ok(c) => c.filter(|c| c.enabled),
                Err(e) => {
                    warn!(device_id, "webhook config read failed: {e}");
                    return;
                }
            };
            let (mut delivered, mut skipped) = (Vec::new(), Vec::new());
            let mut go_on = true;
            for event in &batch {
                if event.next_attempt_at > time::now_millis() {
                    go_on = false;
                    break;
                }
                let config = match &config {
                    Some(c) if c.enabled_events.contains(&event.event) => c,
                    // Nobody subscribed: recorded, not delivered.
                    _ => {
                        skipped.push(event.id.clone());
                        continue;
                    }
                };
                match self.attempt(event, config).await {
                    Attempt::Delivered => delivered.push(event.id.clone()),
                    Attempt::Dead => {}
                    Attempt::Retry => {
                        go_on = false;
                        break;
                    }
                }
            }
            for (ids, delivery) in [(&delivered, "delivered"), (&skipped, "skipped")] {
                if let Err(e) = self.store.mark_events(ids, delivery).await {
                    warn!(device_id, "outbox write failed: {e}");
                    return;
                }
            }
            if !go_on {
                return;
            }
        }
    }

    /// One attempt for one event. A retry or a dead letter is written at once; a delivery is
    /// left to the caller's batch write.
    async fn attempt(&self, event: &PendingEvent, config: &wuts_core::WebhookConfig) -> Attempt {
        let body = envelope(event, config.secret.as_deref());
        let ts = (time::now_millis() / 1000).to_string();
        let mut req = self
            .http
            .post(&config.url)
            .timeout(Duration::from_secs(u64::from(config.timeout_secs.max(1))))
            .header("content-type", "application/json")
            .header("x-wuts-event", &event.event)
            .header("x-wuts-event-id", &event.id)
            .header("x-wuts-timestamp", &ts);
        if let Some(secret) = &config.secret {
            req = req.header(
                "x-wuts-signature",
                signature(secret, &format!("{ts}.{body}")),
            );
        }
        for (k, v) in &config.headers {
            req = req.header(k, v);
        }
        let started = Instant::now();
        let outcome = match req.body(body).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Err(if e.is_timeout() {
                "timeout".to_string()
            } else {
                "connection failed".to_string()
            }),
        };
        metrics::histogram!("wuts_webhook_delivery_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        let attempts = event.attempts + 1;
        match outcome {
            Ok(()) => {
                metrics::counter!("wuts_webhook_deliveries_total", "result" => "delivered")
                    .increment(1);
                debug!(event_id = %event.id, event = %event.event, "delivered");
                Attempt::Delivered
            }
            Err(why) if attempts > i64::from(config.retry_attempts) => {
                metrics::counter!("wuts_webhook_deliveries_total", "result" => "dead").increment(1);
                warn!(event_id = %event.id, attempts, "webhook delivery gave up: {why}");
                let _ = self
                    .store
                    .set_event_delivery(&event.id, "dead", attempts, 0, Some(&why))
                    .await;
                // The dead event stays for redelivery; later events may go on.
                Attempt::Dead
            }
            Err(why) => {
                metrics::counter!("wuts_webhook_deliveries_total", "result" => "retry")
                    .increment(1);
                let delay = self.backoff(attempts);
                let next = time::now_millis() + delay.as_millis() as i64;
                let _ = self
                    .store
                    .set_event_delivery(&event.id, "pending", attempts, next, Some(&why))
                    .await;
                let wake = self.wake.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    wake.notify_one();
                });
                Attempt::Retry
            }
        }
    }

    fn backoff(&self, attempts: i64) -> Duration {
        let exp = self
            .config
            .base_backoff
            .saturating_mul(1u32 << (attempts - 1).clamp(0, 20) as u32);
        let capped = exp.min(self.config.max_backoff);
        capped.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

/// The JSON body WUTS receivers expect; `signature` (when a secret is set) is the HMAC of the
/// same envelope without that field.
pub fn envelope(event: &PendingEvent, secret: Option<&str>) -> String {
    let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
    let mut env = json!({
        "id": event.id,
        "event": event.event,
        "timestamp": event.created_at / 1000,
        "device_id": event.device_id,
        "user_id": event.user_id,
        "data": data,
    });
    if let Some(secret) = secret {
        let unsigned = env.to_string();
        env["signature"] = Value::String(signature(secret, &unsigned));
    }
    env.to_string()
}
