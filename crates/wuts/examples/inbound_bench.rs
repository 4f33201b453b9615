//! Benchmark: inbound messages from wa-sim's simulated phone through the gateway (a paired
//! device) to a local webhook receiver. Reports throughput and end-to-end latency (phone send to
//! webhook arrival).
//!
//! `cargo run --release -p wuts --example inbound_bench -- [sqlite|postgres] [N] [rate] [devices]`
//! (rate: messages per second offered in all, paced, 0 for as fast as the senders go; devices:
//! gateway devices, each paired to its own account and written to by its own contact, default 1)
//! (postgres: a server on 127.0.0.1:5432; a throw-away database is created and dropped)

use axum::extract::State;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use wuts::config::Config;

#[derive(Clone, Default)]
struct Arrivals(Arc<Mutex<Vec<(usize, Instant)>>>);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(2000);
    // Messages per second offered; none: as fast as the senders go (a backlog).
    let rate: Option<f64> = args
        .get(2)
        .and_then(|v| v.parse().ok())
        .filter(|r| *r > 0.0);
    let devices: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let dir = tempfile::tempdir()?;
    let (db, pg) = if backend == "postgres" {
        let name = format!("wuts_bench_{}", uuid::Uuid::new_v4().simple());
        let admin =
            wuts_store::Store::connect("postgres://postgres@127.0.0.1:5432/postgres", 1).await?;
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
        database_url: db.clone(),
        master_token: Some(master.clone()),
        webhook_allow_http: true,
        whatsapp_url: sim.ws_url(),
        whatsapp_version: "2.3000.1030000000".into(),
        log_level: "warn".into(),
        ..Config::default()
    };
    let services = wuts::services(&cfg).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_cfg = cfg.clone();
    let server = tokio::spawn(async move {
        let _ = wuts::serve(&server_cfg, services, listener, async {
            let _ = stopped.await;
        })
        .await;
    });

    // The receiver: records when each message index arrives.
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
    // Each device: its own account, webhook and contact (the sender).
    let mut ids = Vec::with_capacity(devices);
    for d in 0..devices {
        let dev: Value = http
            .post(format!("{api}/devices"))
            .bearer_auth(&token)
            .json(&json!({"name": format!("d{d}")}))
            .send()
            .await?
            .json()
            .await?;
        let id = dev["data"]["device_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no device id in {dev}"))?;
        http.post(format!("{api}/webhook?device_id={id}"))
            .bearer_auth(&token)
            .json(&json!({"webhook_url": hook_url, "enabled_events": ["message.received"]}))
            .send()
            .await?;
        let qr: Value = http
            .get(format!("{api}/qr?device_id={id}"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        http.post(format!("{}/admin/scan-qr", sim.http_url()))
            .json(&json!({"qr": qr["data"]["qr_code"], "phone": format!("1555666{:04}", d)}))
            .send()
            .await?;
        http.post(format!("{}/admin/accounts", sim.http_url()))
            .json(&json!({"phone": format!("1555777{:04}", d)}))
            .send()
            .await?;
        ids.push(id);
    }
    for id in &ids {
        loop {
            let s: Value = http
                .get(format!("{api}/status?device_id={id}"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            if s["data"]["connected"] == json!(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // The contacts send N texts in all (message i from contact i % devices), 8 senders at once.
    let sent_at: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; n]));
    let started = Instant::now();
    let mut senders = Vec::new();
    for w in 0..8 {
        let (http, url, sent_at, started) = (
            http.clone(),
            format!("{}/admin/send", sim.http_url()),
            sent_at.clone(),
            started,
        );
        senders.push(tokio::spawn(async move {
            for i in (w..n).step_by(8) {
                if let Some(rate) = rate {
                    let due = started + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                let d = i % devices;
                let body = json!({"from": format!("1555777{d:04}"), "to": format!("1555666{d:04}"),
                    "text": format!("bench-{i}")});
                let _ = http.post(&url).json(&body).send().await;
                sent_at.lock().unwrap()[i] = Some(t);
            }
        }));
    }
    for s in senders {
        s.await?;
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while arrivals.0.lock().unwrap().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = arrivals.0.lock().unwrap().clone();
    let sent = sent_at.lock().unwrap().clone();
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
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let elapsed = (last - started).as_secs_f64();
    println!(
        "backend={backend} devices={devices} N={n} offered={} received={} in {:.2}s: {:.0} msg/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        rate.map_or("max".to_string(), |r| format!("{r}/s")),
        got.len(),
        elapsed,
        got.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    let _ = stop.send(());
    let _ = server.await;
    sim.stop().await;
    if let Some(name) = pg {
        let admin =
            wuts_store::Store::connect("postgres://postgres@127.0.0.1:5432/postgres", 1).await?;
        admin
            .execute_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin.close().await;
    }
    Ok(())
}
