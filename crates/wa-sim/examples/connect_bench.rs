//! Benchmark: N real whatsapp-rust clients (in-memory stores) paired by QR and connected to a
//! running wa-sim. Reports the time until all are connected and the simulator's resident memory.
//!
//! `bench/wa-sim.sh 100 500 1000` starts a release wa-sim and runs this against it:
//! `connect_bench --sim http://127.0.0.1:PORT --sim-pid PID N...`

use std::time::{Duration, Instant};
use whatsapp_rust::bot::Bot;
use whatsapp_rust::prelude::Event;
use whatsapp_rust::wacore::store::in_memory::InMemoryBackend;
use whatsapp_rust::TokioRuntime;
use whatsapp_rust_tokio_transport::TokioWebSocketTransportFactory;
use whatsapp_rust_ureq_http_client::UreqHttpClient;

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn run(sim: &str, pid: u32, n: usize) -> anyhow::Result<()> {
    let ws_url = format!("{}/ws/chat", sim.replace("http://", "ws://"));
    let rss_before = rss_kib(pid, "VmRSS:");
    let admin = reqwest::Client::new();
    let started = Instant::now();
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let url = ws_url.clone();
        let admin_url = format!("{sim}/admin/scan-qr");
        let admin = admin.clone();
        let done = done_tx.clone();
        let phone = format!("17{:03}{:07}", n % 1000, i);
        let bot = Bot::builder()
            .with_backend(InMemoryBackend::new())
            .with_transport_factory(TokioWebSocketTransportFactory::new().with_url(url))
            .with_http_client(UreqHttpClient::new())
            .with_runtime(TokioRuntime)
            .with_version((2, 3000, 1_030_000_000))
            .on_event(move |e, _| {
                let (admin, admin_url, done, phone) = (
                    admin.clone(),
                    admin_url.clone(),
                    done.clone(),
                    phone.clone(),
                );
                async move {
                    match &*e {
                        Event::PairingQrCode(q) => {
                            let _ = admin
                                .post(admin_url)
                                .json(&serde_json::json!({"qr": q.code, "phone": phone}))
                                .send()
                                .await;
                        }
                        Event::Connected(_) => {
                            let _ = done.send(i);
                        }
                        _ => {}
                    }
                }
            })
            .build()
            .await?;
        handles.push(bot.spawn());
    }
    drop(done_tx);
    let mut connected = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while connected < n {
        match tokio::time::timeout_at(deadline, done_rx.recv()).await {
            Ok(Some(_)) => connected += 1,
            _ => break,
        }
    }
    let elapsed = started.elapsed();
    let rss = rss_kib(pid, "VmRSS:");
    println!(
        "N={n}: {connected}/{n} paired and connected in {:.1}s; wa-sim RSS {} MiB ({} KiB per connection over the {} MiB before), peak {} MiB",
        elapsed.as_secs_f64(),
        rss / 1024,
        rss.saturating_sub(rss_before) / n.max(1) as u64,
        rss_before / 1024,
        rss_kib(pid, "VmHWM:") / 1024
    );
    for h in handles {
        h.shutdown().await;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sim = flag("--sim").ok_or_else(|| anyhow::anyhow!("--sim http://HOST:PORT is required"))?;
    let pid: u32 = flag("--sim-pid")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("--sim-pid is required"))?;
    let ns: Vec<usize> = args
        .iter()
        .filter_map(|a| a.parse().ok())
        .filter(|n| *n != pid as usize)
        .collect();
    for n in if ns.is_empty() { vec![100] } else { ns } {
        run(&sim, pid, n).await?;
    }
    Ok(())
}
