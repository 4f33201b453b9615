//! Benchmark: media conversion through the 202 job path, the real `wuts` binary (its own
//! process, SQLite) against an in-process wa-sim, one account sending to another's device on
//! the gateway.
//!
//! 1. A 3-minute MP3 as a voice note, and a 50 MB H.264 video (720p, from a URL) with
//!    `convertToMP4` and `generateThumbnail`: seconds from the POST to the job `done`, to the
//!    receiving webhook, and the peak memory of the gateway (VmHWM, reset before each) and of
//!    its FFmpeg children (RSS sampled every 20 ms).
//! 2. Conversions at once: for each `WUTS_CONVERT_CONCURRENCY` given, 8 one-minute MP3 voice
//!    notes submitted together; seconds until all are done, and the latency of an
//!    authenticated read (`GET /devices`, 4 clients in a loop) meanwhile, next to the same
//!    reads with nothing converting.
//!
//! `cargo build --release -p wuts --bin wuts --example convert_bench &&
//!  target/release/examples/convert_bench [concurrencies, default 1,2,4]`
//! (needs `ffmpeg` on PATH, also to make the media).

use base64::Engine as _;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod bench_common;
use bench_common::process::{get, post as call, proc_kib, reset_peak, Gateway};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ffmpeg(dir: &Path, args: &[&str], out: &str) -> anyhow::Result<Vec<u8>> {
    let path = dir.join(out);
    let st = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&path)
        .status()?;
    anyhow::ensure!(st.success(), "ffmpeg {args:?}");
    Ok(std::fs::read(path)?)
}

/// The RSS of `pid`'s children (the FFmpeg processes, spawned by any of its threads), KiB.
fn children_rss_kib(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .map(|c| proc_kib(c, "VmRSS:"))
        .sum()
}

/// A gateway with `concurrency` conversions at once; two tenants paired (sender, receiver).
async fn start(
    sim: &wa_sim::SimServer,
    http: &reqwest::Client,
    concurrency: usize,
    phones: [&str; 2],
) -> anyhow::Result<(Gateway, String, String)> {
    let env = [
        ("WUTS_CONVERT_CONCURRENCY", concurrency.to_string()),
        ("WUTS_CONVERT_TIMEOUT_SECS", "900".to_string()),
    ];
    let gw = Gateway::start(sim, &env).await?;
    let mut tokens = gw.paired(http, sim, &phones).await?;
    let receiver = tokens.pop().unwrap();
    Ok((gw, tokens.pop().unwrap(), receiver))
}

/// Waits for job `id` to end; answers it.
async fn job_end(http: &reqwest::Client, base: &str, token: &str, id: &str) -> Value {
    loop {
        let j = get(http, base, &format!("/jobs/{id}"), token).await;
        if j["status"] == json!("done") || j["status"] == json!("failed") {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Authenticated reads in a loop from 4 clients until `stop`; answers the latencies, ms.
fn readers(
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<f64>> {
    tokio::spawn(async move {
        let all = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let (base, token, stop, all) = (base.clone(), token.clone(), stop.clone(), all.clone());
            tasks.push(tokio::spawn(async move {
                let http = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = http
                        .get(format!("{base}/devices"))
                        .bearer_auth(&token)
                        .send()
                        .await;
                    if let Ok(r) = r {
                        let _ = r.bytes().await;
                    }
                    all.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        let mut v = all.lock().unwrap().clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    })
}

fn q(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let concurrencies: Vec<usize> = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "1,2,4".into())
        .split(',')
        .filter_map(|c| c.parse().ok())
        .collect();
    bench_common::process::binary()?;
    let media = tempfile::tempdir()?;
    println!("making the media with FFmpeg…");
    let mp3_3min = ffmpeg(
        media.path(),
        &[
            "-f",
            "lavfi",
            "-i",
            "aevalsrc=exprs='0.6*sin(2*PI*440*t)*(0.5+0.5*sin(2*PI*0.25*t))':s=44100:d=180",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
        ],
        "3min.mp3",
    )?;
    let mp3_1min = ffmpeg(
        media.path(),
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=f=330:d=60:r=44100",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "128k",
        ],
        "1min.mp3",
    )?;
    let video = ffmpeg(
        media.path(),
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=30:duration=60",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=60",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-b:v",
            "6400k",
            "-maxrate",
            "6400k",
            "-bufsize",
            "2M",
            "-c:a",
            "aac",
            "-shortest",
        ],
        "50mb.mp4",
    )?;
    println!(
        "3-min MP3 {:.1} MB, 1-min MP3 {:.1} MB, video {:.1} MB",
        mp3_3min.len() as f64 / 1e6,
        mp3_1min.len() as f64 / 1e6,
        video.len() as f64 / 1e6
    );
    // The video is fetched from a URL (a local file server).
    let files_url = bench_common::process::file_server(Arc::new(video)).await?;

    let sim = wa_sim::SimServer::start("127.0.0.1:0").await?;
    let http = reqwest::Client::new();

    // 1. One large job at a time: seconds and peak memory.
    let (gw, sender, receiver) = start(&sim, &http, 1, ["15557780001", "15557780002"]).await?;
    let pid = gw.pid();
    let _ = receiver;
    // Warm up (media connection, sessions, the first conversion).
    let (st, r) = call(
        &http,
        &gw.base,
        "/send/audio",
        &sender,
        json!({"number": "15557780002", "audio": b64(&mp3_1min), "ptt": true}),
    )
    .await;
    anyhow::ensure!(st == 202, "warm-up: {st} {r}");
    job_end(&http, &gw.base, &sender, r["job_id"].as_str().unwrap()).await;
    for (what, path, body) in [
        (
            "3-min MP3 → voice note",
            "/send/audio",
            json!({"number": "15557780002", "audio": b64(&mp3_3min), "ptt": true}),
        ),
        (
            "50 MB MP4 (URL) → convertToMP4 + generateThumbnail",
            "/send/video",
            json!({"number": "15557780002", "video_url": format!("{files_url}/video.mp4"),
                "convertToMP4": true, "generateThumbnail": true}),
        ),
    ] {
        reset_peak(pid);
        let before = proc_kib(pid, "VmRSS:");
        let peak_children = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, stop) = (peak_children.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(children_rss_kib(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let t = Instant::now();
        let (st, r) = call(&http, &gw.base, path, &sender, body).await;
        let accepted = t.elapsed().as_secs_f64();
        anyhow::ensure!(st == 202, "{what}: {st} {r}");
        let job = job_end(&http, &gw.base, &sender, r["job_id"].as_str().unwrap()).await;
        let done = t.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let _ = sampler.await;
        anyhow::ensure!(job["status"] == json!("done"), "{what}: {job}");
        println!(
            "{what}: 202 in {accepted:.2} s, done in {done:.1} s (conversion {:.1} s); gateway RSS {} → peak {} MiB; FFmpeg peak RSS {} MiB",
            job["conversion_ms"].as_f64().unwrap_or(0.0) / 1000.0,
            before / 1024,
            proc_kib(pid, "VmHWM:") / 1024,
            peak_children.load(Ordering::Relaxed) / 1024,
        );
    }
    drop(gw);

    // 2. Conversions at once, and the API meanwhile.
    for (i, c) in concurrencies.iter().enumerate() {
        let phones = [
            ["15557781001", "15557781002"],
            ["15557782001", "15557782002"],
            ["15557783001", "15557783002"],
            ["15557784001", "15557784002"],
        ][i % 4];
        let (gw, sender, _) = start(&sim, &http, *c, phones).await?;
        // Idle reads first, as the baseline.
        let stop = Arc::new(AtomicBool::new(false));
        let idle = readers(gw.base.clone(), sender.clone(), stop.clone());
        tokio::time::sleep(Duration::from_secs(5)).await;
        stop.store(true, Ordering::Relaxed);
        let idle = idle.await?;
        let stop = Arc::new(AtomicBool::new(false));
        let busy = readers(gw.base.clone(), sender.clone(), stop.clone());
        let t = Instant::now();
        let mut jobs = Vec::new();
        for _ in 0..8 {
            let (st, r) = call(
                &http,
                &gw.base,
                "/send/audio",
                &sender,
                json!({"number": phones[1], "audio": b64(&mp3_1min), "ptt": true}),
            )
            .await;
            anyhow::ensure!(st == 202, "{st} {r}");
            jobs.push(r["job_id"].as_str().unwrap().to_string());
        }
        for j in &jobs {
            let job = job_end(&http, &gw.base, &sender, j).await;
            anyhow::ensure!(job["status"] == json!("done"), "{job}");
        }
        let all = t.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        let busy = busy.await?;
        println!(
            "concurrency {c}: 8 one-minute voice notes in {all:.1} s ({:.2} s each); GET /devices idle p50 {:.2} / p99 {:.2} ms ({} reads), during p50 {:.2} / p99 {:.2} ms ({} reads, {:.0}/s)",
            all / 8.0,
            q(&idle, 0.5),
            q(&idle, 0.99),
            idle.len(),
            q(&busy, 0.5),
            q(&busy, 0.99),
            busy.len(),
            busy.len() as f64 / all,
        );
    }
    sim.stop().await;
    Ok(())
}
