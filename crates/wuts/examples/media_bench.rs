//! Benchmark: media sent end to end through the gateway (the real `wuts` binary, its own
//! process) to wa-sim and on to a second account's device on the gateway.
//!
//! 1. Peak gateway memory while sending one large video, from a URL (streamed through a
//!    temporary file) and from base64 in the JSON body; the peak (VmHWM) is reset before each.
//! 2. Images per second: N JPEG images (about 60 KB each) sent through `POST /send/image` by C
//!    concurrent clients, timed until the receiving device's webhook had them all.
//!
//! `cargo build --release -p wuts && cargo run --release -p wuts --example media_bench -- [N] [C] [video MB]`
//! (defaults 200 images, 8 clients, 16 MB). Send pacing is off (`WUTS_SEND_INTERVAL_MS=0`): this
//! measures the gateway, not the pacing.

use axum::extract::State;
use base64::Engine as _;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod bench_common;
use bench_common::process::{call, proc_kib, reset_peak, Gateway};

/// Images the receiving webhook counted, and when the last arrived.
type Arrivals = Arc<Mutex<(usize, Option<Instant>)>>;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A JPEG of noise (compresses poorly, like a photo).
fn jpeg(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let v = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503) ^ seed) as u8;
        image::Rgb([v, v.wrapping_mul(3), v.wrapping_add(seed as u8)])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// An MP4 head (`ftyp`, `mvhd`) and `len` bytes of payload.
fn mp4(len: usize) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0x18];
    f.extend(b"ftypmp42\0\0\0\0mp42isom");
    f.extend([0, 0, 0, 0x6c]);
    f.extend(b"mvhd");
    f.extend([0u8; 12]);
    f.extend(1000u32.to_be_bytes());
    f.extend(60_000u32.to_be_bytes());
    f.extend((0..len).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8));
    f
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|v| v.parse().ok()).unwrap_or(200);
    let c: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(8).max(1);
    let video_mb: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(16);
    let sim = wa_sim::SimServer::start("127.0.0.1:0").await?;
    // A local file server for the video URL.
    let video = Arc::new(mp4(video_mb * 1024 * 1024));
    let files_url = bench_common::process::file_server(video.clone()).await?;
    // The receiving side's webhook: counts images.
    let got: Arrivals = Default::default();
    let hook = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(|State(g): State<Arrivals>, body: String| async move {
                let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                if v["data"]["message_type"] == json!("image") {
                    let mut g = g.lock().unwrap();
                    g.0 += 1;
                    g.1 = Some(Instant::now());
                }
                "ok"
            }),
        )
        .with_state(got.clone());
    let hl = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", hl.local_addr()?);
    tokio::spawn(async move { axum::serve(hl, hook).await.unwrap() });

    // Synchronous sends (the figure is the streaming path's memory, not the 202 job path's).
    let gw = Gateway::start(&sim, &[("WUTS_MEDIA_ASYNC_BYTES", "1000000000".into())]).await?;
    let pid = gw.pid();
    let http = reqwest::Client::new();
    let tokens = gw
        .paired(&http, &sim, &["15557770001", "15557770002"])
        .await?;
    call(
        &http,
        &gw.base,
        "/webhook",
        &tokens[1],
        json!({"webhook_url": hook_url, "enabled_events": ["message.received"]}),
    )
    .await;
    let (sender, to) = (tokens[0].clone(), "15557770002");
    // Warm up (media connection, sessions).
    call(
        &http,
        &gw.base,
        "/send/image",
        &sender,
        json!({"number": to, "image": b64(&jpeg(64, 64, 1))}),
    )
    .await;

    println!(
        "gateway RSS after pairing: {} MiB",
        proc_kib(pid, "VmRSS:") / 1024
    );
    for (label, body) in [
        (
            "URL   ",
            json!({"number": to, "video_url": format!("{files_url}/video.mp4")}),
        ),
        ("base64", json!({"number": to, "video": b64(&video)})),
    ] {
        tokio::time::sleep(Duration::from_millis(500)).await;
        reset_peak(pid);
        let before = proc_kib(pid, "VmRSS:");
        let t = Instant::now();
        call(&http, &gw.base, "/send/video", &sender, body).await;
        let took = t.elapsed();
        let peak = proc_kib(pid, "VmHWM:");
        println!(
            "{video_mb} MB video from {label}: {:.2} s; gateway RSS {} MiB before, peak {} MiB (+{} MiB)",
            took.as_secs_f64(),
            before / 1024,
            peak / 1024,
            peak.saturating_sub(before) / 1024
        );
    }

    let images: Arc<Vec<String>> = Arc::new((0..16).map(|i| b64(&jpeg(320, 240, i + 7))).collect());
    println!(
        "image size: {} KB (JPEG 320x240, noise)",
        base64::engine::general_purpose::STANDARD
            .decode(&images[0])?
            .len()
            / 1024
    );
    let baseline = got.lock().unwrap().0;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..c {
        let (http, base, sender, images, next) = (
            http.clone(),
            gw.base.clone(),
            sender.clone(),
            images.clone(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return lat;
                }
                let t = Instant::now();
                call(&http, &base, "/send/image", &sender,
                    json!({"number": to, "image": images[i % images.len()], "caption": format!("img {i}")})).await;
                lat.push(t.elapsed());
            }
        }));
    }
    let mut lat = Vec::new();
    for w in workers {
        lat.extend(w.await?);
    }
    let api_done = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (count, last) = *got.lock().unwrap();
        if count - baseline >= n {
            let e2e = last.unwrap() - start;
            lat.sort();
            let p = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
            println!(
                "{n} images, {c} clients: API {:.1} images/s ({:.2} s); received by the other device: {:.1} images/s ({:.2} s)",
                n as f64 / api_done.as_secs_f64(),
                api_done.as_secs_f64(),
                n as f64 / e2e.as_secs_f64(),
                e2e.as_secs_f64()
            );
            println!(
                "send latency p50 {:?}, p99 {:?}; gateway peak RSS {} MiB",
                p(0.5),
                p(0.99),
                proc_kib(pid, "VmHWM:") / 1024
            );
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {n} arrived",
            count - baseline
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(gw);
    sim.stop().await;
    Ok(())
}
