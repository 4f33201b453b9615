//! What the gateway benchmarks share: a gateway on SQLite or a throw-away PostgreSQL database,
//! pointed at an in-process wa-sim, with a tenant; devices paired through the simulated phones;
//! a local webhook receiver that records when each `bench-<i>` text arrives. Send pacing is off.

#![allow(dead_code)]

use axum::extract::State;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use wuts::config::Config;

pub mod process;

/// When each message index arrived at the receiver.
#[derive(Clone, Default)]
pub struct Arrivals(pub Arc<Mutex<Vec<(usize, Instant)>>>);

pub struct Bench {
    pub backend: String,
    pub sim: wa_sim::SimServer,
    pub api: String,
    pub token: String,
    pub http: reqwest::Client,
    pub hook_url: String,
    pub arrivals: Arrivals,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
    pg: Option<String>,
    _dir: tempfile::TempDir,
}

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl Bench {
    /// A gateway on `backend` (`sqlite` or `postgres`), wa-sim, a tenant and the receiver.
    pub async fn start(backend: &str) -> anyhow::Result<Self> {
        Self::start_with(backend, |_| {}).await
    }

    /// Like `start`, with more settings changed by `tweak`.
    pub async fn start_with(
        backend: &str,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let (db, pg) = if backend == "postgres" {
            let name = format!("wuts_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = wuts_store::Store::connect(PG_ADMIN, 1).await?;
            admin
                .execute_for_tests(&format!("CREATE DATABASE {name}"))
                .await;
            admin.close().await;
            (
                format!("postgres://postgres@127.0.0.1:5432/{name}"),
                Some(name),
            )
        } else {
            (format!("sqlite://{}/wuts.db", dir.path().display()), None)
        };
        let sim = wa_sim::SimServer::start("127.0.0.1:0").await?;
        let master = uuid::Uuid::new_v4().to_string();
        let cfg = Config {
            listen: "127.0.0.1:0".into(),
            database_url: db,
            master_token: Some(master.clone()),
            webhook_allow_http: true,
            whatsapp_url: sim.ws_url(),
            whatsapp_version: "2.3000.1030000000".into(),
            log_level: "warn".into(),
            // Pacing is a policy delay between one number's sends (250 ms by default), not
            // work: off, so the figures are the gateway's own.
            send_interval_ms: 0,
            ..Config::default()
        };
        let mut cfg = cfg;
        tweak(&mut cfg);
        let services = wuts::services(&cfg).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let api = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = wuts::serve(&cfg, services, listener, async {
                let _ = stopped.await;
            })
            .await;
        });

        let arrivals = Arrivals::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(|State(a): State<Arrivals>, body: String| async move {
                    let at = Instant::now();
                    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    if let Some(i) = v["data"]["content"]
                        .as_str()
                        .and_then(|c| c.strip_prefix("bench-"))
                        .and_then(|i| i.parse().ok())
                    {
                        a.0.lock().unwrap().push((i, at));
                    }
                    "ok"
                }),
            )
            .with_state(arrivals.clone());
        let hook = TcpListener::bind("127.0.0.1:0").await?;
        let hook_url = format!("http://{}/hook", hook.local_addr()?);
        tokio::spawn(async move { axum::serve(hook, app).await });

        let http = reqwest::Client::new();
        let reg: Value = http
            .post(format!("{api}/register"))
            .bearer_auth(&master)
            .json(&json!({"tenant_name": "bench", "email": "b@bench.test", "password": "benchmark-pw"}))
            .send()
            .await?
            .json()
            .await?;
        let token = reg["token"].as_str().unwrap().to_string();
        Ok(Self {
            backend: backend.to_string(),
            sim,
            api,
            token,
            http,
            hook_url,
            arrivals,
            stop,
            server,
            pg,
            _dir: dir,
        })
    }

    /// A device of the tenant paired to the account `phone`, its webhook on the receiver for
    /// `message.received`; answers its id (connected later: see [`Bench::wait_connected`]).
    pub async fn device(&self, name: &str, phone: &str) -> anyhow::Result<String> {
        let dev: Value = self
            .http
            .post(format!("{}/devices", self.api))
            .bearer_auth(&self.token)
            .json(&json!({"name": name}))
            .send()
            .await?
            .json()
            .await?;
        let id = dev["data"]["device_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no device id in {dev}"))?;
        self.http
            .post(format!("{}/webhook?device_id={id}", self.api))
            .bearer_auth(&self.token)
            .json(&json!({"webhook_url": self.hook_url, "enabled_events": ["message.received"]}))
            .send()
            .await?;
        let qr: Value = self
            .http
            .get(format!("{}/qr?device_id={id}", self.api))
            .bearer_auth(&self.token)
            .send()
            .await?
            .json()
            .await?;
        self.sim_post(
            "/admin/scan-qr",
            json!({"qr": qr["data"]["qr_code"], "phone": phone}),
        )
        .await?;
        Ok(id)
    }

    pub async fn wait_connected(&self, id: &str) -> anyhow::Result<()> {
        loop {
            let s: Value = self
                .http
                .get(format!("{}/status?device_id={id}", self.api))
                .bearer_auth(&self.token)
                .send()
                .await?
                .json()
                .await?;
            if s["data"]["connected"] == json!(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A call to wa-sim's admin API.
    pub async fn sim_post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        Ok(self
            .http
            .post(format!("{}{path}", self.sim.http_url()))
            .json(&body)
            .send()
            .await?
            .json()
            .await?)
    }

    /// A gateway call as the tenant's user, on `device`.
    pub async fn post(&self, path: &str, device: &str, body: Value) -> anyhow::Result<Value> {
        Ok(self
            .http
            .post(format!("{}{path}?device_id={device}", self.api))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?
            .json()
            .await?)
    }

    /// Waits (up to `secs`) for `n` arrivals; answers them.
    pub async fn arrived(&self, n: usize, secs: u64) -> Vec<(usize, Instant)> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while self.arrivals.0.lock().unwrap().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.arrivals.0.lock().unwrap().clone()
    }

    pub async fn finish(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        let _ = self.server.await;
        self.sim.stop().await;
        if let Some(name) = self.pg {
            let admin = wuts_store::Store::connect(PG_ADMIN, 1).await?;
            admin
                .execute_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            admin.close().await;
        }
        Ok(())
    }
}

/// The phones send `n` texts `bench-<i>` through wa-sim's admin API, 8 senders at once,
/// message `i` from `route(i).0` to `route(i).1`; paced at `rate` messages per second in all when
/// given. Answers when sending started and when each message was sent.
pub async fn send_burst(
    b: &Bench,
    n: usize,
    rate: Option<f64>,
    route: impl Fn(usize) -> (String, String) + Send + Sync + 'static,
) -> anyhow::Result<(Instant, Vec<Option<Instant>>)> {
    let route = Arc::new(route);
    let sent_at: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; n]));
    let started = Instant::now();
    let mut senders = Vec::new();
    for w in 0..8 {
        let (http, url, sent_at, route) = (
            b.http.clone(),
            format!("{}/admin/send", b.sim.http_url()),
            sent_at.clone(),
            route.clone(),
        );
        senders.push(tokio::spawn(async move {
            for i in (w..n).step_by(8) {
                if let Some(rate) = rate {
                    let due = started + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                let (from, to) = route(i);
                let body = json!({"from": from, "to": to, "text": format!("bench-{i}")});
                let _ = http.post(&url).json(&body).send().await;
                sent_at.lock().unwrap()[i] = Some(t);
            }
        }));
    }
    for s in senders {
        s.await?;
    }
    let sent = sent_at.lock().unwrap().clone();
    Ok((started, sent))
}

/// The `p` quantile of sorted values (NaN when empty).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Throughput and latency of a run: seconds from `started` to the last arrival, and the
/// latencies (ms, sorted) from each message's send (`sent[i]`) to its arrival.
pub fn timings(
    got: &[(usize, Instant)],
    sent: &[Option<Instant>],
    started: Instant,
) -> (f64, Vec<f64>) {
    let last = got
        .iter()
        .map(|(_, t)| *t)
        .max()
        .unwrap_or_else(Instant::now);
    let mut lat: Vec<f64> = got
        .iter()
        .filter_map(|(i, t)| Some((*t - sent[*i]?).as_secs_f64() * 1000.0))
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    ((last - started).as_secs_f64(), lat)
}
