//! Benchmark: inbound messages from wa-sim's simulated phone through the gateway (a paired
//! device) to a local webhook receiver. Reports throughput and end-to-end latency (phone send to
//! webhook arrival).
//!
//! `cargo run --release -p wuts --example inbound_bench -- [sqlite|postgres] [N] [rate] [devices]`
//! (rate: messages per second offered in all, paced, 0 for as fast as the senders go; devices:
//! gateway devices, each paired to its own account and written to by its own contact, default 1)
//! (postgres: a server on 127.0.0.1:5432; a throw-away database is created and dropped)

mod bench_common;

use bench_common::{quantile, send_burst, timings, Bench};
use serde_json::json;

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
    let b = Bench::start(&backend).await?;
    // Each device: its own account, webhook and contact (the sender).
    let mut ids = Vec::with_capacity(devices);
    for d in 0..devices {
        ids.push(
            b.device(&format!("d{d}"), &format!("1555666{d:04}"))
                .await?,
        );
        b.sim_post(
            "/admin/accounts",
            json!({"phone": format!("1555777{d:04}")}),
        )
        .await?;
    }
    for id in &ids {
        b.wait_connected(id).await?;
    }
    // The contacts send N texts in all (message i from contact i % devices), 8 senders at once.
    let (started, sent) = send_burst(&b, n, rate, move |i| {
        let d = i % devices;
        (format!("1555777{d:04}"), format!("1555666{d:04}"))
    })
    .await?;
    let got = b.arrived(n, 300).await;
    let (elapsed, lat) = timings(&got, &sent, started);
    println!(
        "backend={backend} devices={devices} N={n} offered={} received={} in {:.2}s: {:.0} msg/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        rate.map_or("max".to_string(), |r| format!("{r}/s")),
        got.len(),
        elapsed,
        got.len() as f64 / elapsed,
        quantile(&lat, 0.50),
        quantile(&lat, 0.99),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    b.finish().await
}
