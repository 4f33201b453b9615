//! Benchmark: N devices on one gateway — the real `wuts` binary in its own process (SQLite)
//! against an in-process wa-sim (its own cores' worth of work in another process).
//!
//! - Pairing: N devices paired by QR through the API (`GET /qr` → the simulated phone scans →
//!   logged in), C at once: devices per second.
//! - Memory: the gateway's RSS with N idle connected devices, after pairing and after each
//!   restart: KiB per device over the empty gateway, and the total.
//! - Restart: SIGTERM, then SIGKILL; seconds from the new process's start until wa-sim has all N
//!   companions logged in again, and the gateway's CPU seconds by then per restored device.
//!
//! `cargo build --release -p wuts --bin wuts --example scale_bench &&
//!  target/release/examples/scale_bench [N, default 100] [C, default 16]`
//! The gateway inherits the environment (e.g. `WUTS_RESTORE_RATE`, `WUTS_RESTORE_CONCURRENCY`).

use serde_json::{json, Value};
use std::time::{Duration, Instant};

mod bench_common;
use bench_common::process::{call, get, proc_kib, Gateway};

/// Waits (at most `secs`) until wa-sim has `n` companions logged in; answers the time taken.
async fn online(sim: &wa_sim::SimServer, n: usize, secs: u64) -> anyhow::Result<f64> {
    let t = Instant::now();
    while sim.online_companions() != n {
        anyhow::ensure!(
            t.elapsed() < Duration::from_secs(secs),
            "{} of {n} online after {secs} s",
            sim.online_companions()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(t.elapsed().as_secs_f64())
}

/// RSS once it has settled (3 s of idle), KiB.
async fn settled_rss(gw: &Gateway) -> u64 {
    tokio::time::sleep(Duration::from_secs(3)).await;
    proc_kib(gw.pid(), "VmRSS:")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|v| v.parse().ok()).unwrap_or(100);
    let c: usize = args
        .get(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(16)
        .max(1);
    bench_common::process::binary()?;
    let sim = wa_sim::SimServer::start("127.0.0.1:0").await?;
    let http = reqwest::Client::new();
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}/wuts.db", dir.path().display());
    let master = uuid::Uuid::new_v4().to_string();
    let gw = Gateway::start_on(&db, &master, &sim, &[]).await?;
    let reg = call(
        &http,
        &gw.base,
        "/register",
        &master,
        json!({"tenant_name": "scale", "email": "scale@bench.test", "password": "correct-horse-1"}),
    )
    .await;
    let token = reg["token"].as_str().unwrap().to_string();
    let empty = settled_rss(&gw).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let d = call(
            &http,
            &gw.base,
            "/devices",
            &token,
            json!({"name": format!("d{i}")}),
        )
        .await;
        ids.push(d["data"]["device_id"].as_str().unwrap().to_string());
    }

    // Pairing, C at once.
    let t = Instant::now();
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(ids.into_iter().enumerate()));
    let mut workers = Vec::new();
    for _ in 0..c {
        let (queue, http, base, token, sim_url) = (
            queue.clone(),
            http.clone(),
            gw.base.clone(),
            token.clone(),
            sim.http_url(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let Some((i, id)) = queue.lock().await.next() else {
                    return Ok::<_, anyhow::Error>(());
                };
                let qr = get(&http, &base, &format!("/qr?device_id={id}"), &token).await;
                let code = qr["data"]["qr_code"].clone();
                anyhow::ensure!(code.is_string(), "no QR for {id}: {qr}");
                let phone = format!("1555{:07}", 8_000_000 + i);
                http.post(format!("{sim_url}/admin/scan-qr"))
                    .json(&json!({"qr": code, "phone": phone}))
                    .send()
                    .await?;
                let deadline = Instant::now() + Duration::from_secs(120);
                loop {
                    let s: Value =
                        get(&http, &base, &format!("/status?device_id={id}"), &token).await;
                    if s["data"]["connected"] == json!(true) {
                        break;
                    }
                    anyhow::ensure!(Instant::now() < deadline, "{id} never connected: {s}");
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    online(&sim, n, 120).await?;
    let pairing = t.elapsed().as_secs_f64();
    let paired = settled_rss(&gw).await;
    let per = |rss: u64| (rss.saturating_sub(empty)) as f64 / n as f64;
    println!(
        "N={n}: paired {n} by QR ({c} at once) in {pairing:.1} s = {:.1} devices/s",
        n as f64 / pairing
    );
    println!(
        "  idle after pairing: RSS {} MiB (empty gateway {} MiB): {:.0} KiB per device over empty, {:.0} KiB total per device",
        paired / 1024,
        empty / 1024,
        per(paired),
        paired as f64 / n as f64
    );

    let mut gw = gw;
    for signal in ["TERM", "KILL"] {
        gw.stop_with(signal)?;
        online(&sim, 0, 60).await?;
        let t = Instant::now();
        let next = Gateway::start_on(&db, &master, &sim, &[]).await?;
        let up = t.elapsed().as_secs_f64();
        online(&sim, n, 300).await?;
        let all = t.elapsed().as_secs_f64();
        let cpu = next.cpu_seconds();
        let rss = settled_rss(&next).await;
        println!(
            "  after SIG{signal}: ready in {up:.2} s, all {n} connected in {all:.1} s; gateway CPU {cpu:.1} s ({:.1} ms per device); RSS {} MiB: {:.0} KiB per device over empty, {:.0} KiB total per device",
            cpu * 1000.0 / n as f64,
            rss / 1024,
            per(rss),
            rss as f64 / n as f64
        );
        gw = next;
    }
    drop(gw);
    sim.stop().await;
    Ok(())
}
