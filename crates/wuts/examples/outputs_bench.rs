//! Benchmark: inbound messages from wa-sim's simulated phone through the gateway to its three
//! event outputs at once — the webhook (a local receiver), NATS JetStream and RabbitMQ (the
//! brokers on 127.0.0.1:4222 and :5672) — measured side by side in one run: how many arrived,
//! events/s, and latency from the phone's send to the consumer's arrival.
//!
//! `cargo run --release -p wuts --example outputs_bench -- [sqlite|postgres] [N] [rate]`
//! (rate: messages per second offered, paced; 0 or absent: as fast as 8 senders go)

mod bench_common;

use bench_common::{quantile, send_burst, timings, Arrivals, Bench};
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const NATS: &str = "nats://127.0.0.1:4222";
const AMQP: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

fn index(body: &[u8]) -> Option<usize> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v["data"]["content"]
        .as_str()?
        .strip_prefix("bench-")?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use lapin::options::*;
    use lapin::types::FieldTable;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let n: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(2000);
    let rate: Option<f64> = args
        .get(2)
        .and_then(|v| v.parse().ok())
        .filter(|r| *r > 0.0);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let stream = format!("WUTSBENCH{run}");
    let exchange = format!("wuts.bench.{run}");

    // The consumers first: a core NATS subscription sees each event as JetStream stores it; a
    // RabbitMQ queue bound to the exchange, consumed with auto-ack.
    let nats = async_nats::connect(NATS).await?;
    let mut sub = nats.subscribe("wuts.*.*.message.received").await?;
    let on_nats = Arrivals::default();
    let a = on_nats.clone();
    tokio::spawn(async move {
        while let Some(m) = sub.next().await {
            if let Some(i) = index(&m.payload) {
                a.0.lock().unwrap().push((i, Instant::now()));
            }
        }
    });
    let conn = lapin::Connection::connect(AMQP, lapin::ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    ch.exchange_declare(
        exchange.as_str().into(),
        lapin::ExchangeKind::Topic,
        ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await?;
    let queue = format!("wuts-bench-{run}");
    ch.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions::default(),
        FieldTable::default(),
    )
    .await?;
    ch.queue_bind(
        queue.as_str().into(),
        exchange.as_str().into(),
        "*.*.message.received".into(),
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    let mut consumer = ch
        .basic_consume(
            queue.as_str().into(),
            "bench".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?;
    let on_rabbit = Arrivals::default();
    let a = on_rabbit.clone();
    tokio::spawn(async move {
        while let Some(Ok(d)) = consumer.next().await {
            if let Some(i) = index(&d.data) {
                a.0.lock().unwrap().push((i, Instant::now()));
            }
        }
    });

    let (s, e) = (stream.clone(), exchange.clone());
    let b = Bench::start_with(&backend, move |c| {
        c.events_nats_url = Some(NATS.into());
        c.events_nats_stream = s;
        c.events_amqp_url = Some(AMQP.into());
        c.events_amqp_exchange = e;
    })
    .await?;
    let id = b.device("d0", "15556660000").await?;
    b.sim_post("/admin/accounts", json!({"phone": "15557770000"}))
        .await?;
    b.wait_connected(&id).await?;

    let (started, sent) = send_burst(&b, n, rate, |_| {
        ("15557770000".to_string(), "15556660000".to_string())
    })
    .await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while [&b.arrivals, &on_nats, &on_rabbit]
        .iter()
        .any(|a| a.0.lock().unwrap().len() < n)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let offered = rate.map_or("max".to_string(), |r| format!("{r}/s"));
    for (name, arrivals) in [
        ("webhook", &b.arrivals),
        ("nats", &on_nats),
        ("rabbitmq", &on_rabbit),
    ] {
        let got = arrivals.0.lock().unwrap().clone();
        let (elapsed, lat) = timings(&got, &sent, started);
        println!(
            "backend={backend} output={name} N={n} offered={offered} received={} in {:.2}s: {:.0} events/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            got.len(),
            elapsed,
            got.len() as f64 / elapsed,
            quantile(&lat, 0.50),
            quantile(&lat, 0.99),
            lat.last().copied().unwrap_or(f64::NAN)
        );
    }
    b.finish().await?;
    // Leave the shared brokers as they were.
    let _ = ch
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = ch
        .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
        .await;
    let js = async_nats::jetstream::new(nats);
    let _ = js.delete_stream(&stream).await;
    Ok(())
}
