//! Benchmark: groups through the gateway over wa-sim.
//!
//! 1. Fan-out: one gateway device creates a group of `members` (itself and simulated phones)
//!    and sends texts to it; each send's time from request to answer (the gateway resolves the
//!    members' devices, encrypts the sender-key message once and, the first time, the sender
//!    key for every member device; wa-sim fans it out). The first send (cold: sessions with
//!    every member) is reported apart from the warm ones after it.
//! 2. Inbound: 8 phones in a group with the gateway device send N texts in all (8 senders at
//!    once); messages per second reaching the device's webhook and the latency from the
//!    phone's send to the webhook's arrival.
//!
//! `cargo run --release -p wuts --example group_bench -- [sqlite|postgres] [members] [N] [rate]`
//! (defaults: sqlite, 256, 2000; rate: messages per second offered in all, paced; none: flood)

mod bench_common;

use bench_common::{quantile, timings, Bench};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let members: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(256);
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(2000);
    let rate: Option<f64> = args
        .get(3)
        .and_then(|v| v.parse().ok())
        .filter(|r| *r > 0.0);
    let b = Bench::start(&backend).await?;
    let a = b.device("a", "15556000000").await?;
    b.wait_connected(&a).await?;

    // 1. Fan-out to a group of `members`.
    let phones: Vec<String> = (1..members).map(|i| format!("155561{i:05}")).collect();
    for p in &phones {
        b.sim_post("/admin/accounts", json!({"phone": p})).await?;
    }
    let t = Instant::now();
    let created = b
        .post(
            "/groups",
            &a,
            json!({"name": "bench", "participants": phones}),
        )
        .await?;
    let create_ms = t.elapsed().as_secs_f64() * 1000.0;
    let gid = created["group"]["jid"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no group in {created}"))?
        .to_string();
    let mut times = Vec::new();
    for i in 0..21 {
        let t = Instant::now();
        let r = b
            .post(
                "/send/text",
                &a,
                json!({"number": gid, "text": format!("fan-out {i}")}),
            )
            .await?;
        anyhow::ensure!(r["success"] == json!(true), "send failed: {r}");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let cold = times[0];
    let mut warm = times[1..].to_vec();
    warm.sort_by(|x, y| x.total_cmp(y));
    println!(
        "backend={backend} fan-out to a group of {members}: create {create_ms:.0} ms; first send {cold:.1} ms; next 20 sends p50 {:.1} ms, max {:.1} ms",
        quantile(&warm, 0.5),
        warm.last().copied().unwrap_or(f64::NAN)
    );

    // 2. Inbound from 8 senders in a group of 9.
    let senders: Vec<String> = (1..=8).map(|i| format!("155562{i:05}")).collect();
    let mut others = senders[1..].to_vec();
    others.push("15556000000".into());
    let g = b
        .sim_post(
            "/admin/groups",
            json!({"creator": senders[0], "subject": "inbound", "participants": others}),
        )
        .await?;
    let inbound = g["jid"].as_str().unwrap_or_default().to_string();
    let sent_at: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; n]));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (w, from) in senders.iter().enumerate() {
        let (http, url, sent_at, from, to) = (
            b.http.clone(),
            format!("{}/admin/send", b.sim.http_url()),
            sent_at.clone(),
            from.clone(),
            inbound.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(8) {
                if let Some(rate) = rate {
                    let due = started + Duration::from_secs_f64(i as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let t = Instant::now();
                let body = json!({"from": from, "to": to, "text": format!("bench-{i}")});
                let _ = http.post(&url).json(&body).send().await;
                sent_at.lock().unwrap()[i] = Some(t);
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let got = b.arrived(n, 300).await;
    let sent = sent_at.lock().unwrap().clone();
    let (elapsed, lat) = timings(&got, &sent, started);
    println!(
        "backend={backend} inbound group messages from 8 senders: offered={} received={}/{n} in {elapsed:.2}s: {:.0} msg/s; latency p50 {:.1} ms, p99 {:.1} ms",
        rate.map_or("max".to_string(), |r| format!("{r}/s")),
        got.len(),
        got.len() as f64 / elapsed,
        quantile(&lat, 0.5),
        quantile(&lat, 0.99),
    );
    b.finish().await
}
