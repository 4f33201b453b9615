//! Benchmark: what a TCP connection costs the gateway (the real `wuts` binary, its own process).
//!
//! 1. Memory per idle connection: N sockets are opened to the port and send nothing; the
//!    server's RSS is read before, once it has settled with them open, and after they close.
//! 2. Accepted connections per second: C clients each open a connection, send one
//!    `GET /health` with `Connection: close`, read the answer to its end, and start again,
//!    for S seconds.
//!
//! `cargo build --release -p wuts && cargo run --release -p wuts --example conn_bench -- [N] [C] [S] [BIN]`
//! (defaults 1000 sockets, 32 clients, 5 s, `$CARGO_TARGET_DIR/release/wuts`). BIN may be any
//! build of wuts, so two builds can be compared in one run.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// RSS once it stops moving: three readings 200 ms apart within 1%, or the last one at 20 s.
fn settled_rss(pid: u32) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = rss_kib(pid);
    let mut stable = 0;
    while Instant::now() < deadline && stable < 3 {
        std::thread::sleep(Duration::from_millis(200));
        let now = rss_kib(pid);
        if now.abs_diff(last) * 100 <= last.max(1) {
            stable += 1;
        } else {
            stable = 0;
        }
        last = now;
    }
    last
}

fn get_health(addr: &str) -> std::io::Result<bool> {
    let mut s = TcpStream::connect(addr)?;
    s.write_all(b"GET /health HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n")?;
    let mut out = Vec::with_capacity(512);
    s.read_to_end(&mut out)?;
    Ok(out.starts_with(b"HTTP/1.1 200"))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let clients: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(32);
    let secs: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let bin = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| format!("{target}/release/wuts"));

    let dir = std::env::temp_dir().join(format!("wuts-conn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let server = Server(
        Command::new(&bin)
            .arg("serve")
            .env("WUTS_LISTEN", &addr)
            .env(
                "WUTS_DATABASE_URL",
                format!("sqlite://{}/wuts.db", dir.display()),
            )
            .env("WUTS_MASTER_TOKEN", "bench-master")
            .env("WUTS_LOG_LEVEL", "warn")
            // Room for every idle socket of this run (the default cap is below large N).
            .env("WUTS_HTTP_MAX_CONNECTIONS", (n + clients + 64).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}")),
    );
    let pid = server.0.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !get_health(&addr).unwrap_or(false) {
        assert!(Instant::now() < deadline, "wuts did not answer /health");
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "== {bin}  N={n} idle sockets, C={clients} clients, {secs} s, cores={}",
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(0)
    );

    // 1. Idle connections.
    let before = settled_rss(pid);
    let idle: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    let with = settled_rss(pid);
    drop(idle);
    let after = settled_rss(pid);
    println!(
        "idle: RSS {:.1} MiB before, {:.1} MiB with {n} open ({:.1} KiB each), {:.1} MiB after they closed",
        before as f64 / 1024.0,
        with as f64 / 1024.0,
        with.saturating_sub(before) as f64 / n as f64,
        after as f64 / 1024.0
    );

    // 2. Connections accepted and answered per second.
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (addr, done, failed, stop) =
                (addr.clone(), done.clone(), failed.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match get_health(&addr) {
                        Ok(true) => done.fetch_add(1, Ordering::Relaxed),
                        _ => failed.fetch_add(1, Ordering::Relaxed),
                    };
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "accept: {:.0} connections/s answered ({} in {elapsed:.1} s, {} failed), RSS after {:.1} MiB",
        done.load(Ordering::Relaxed) as f64 / elapsed,
        done.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        rss_kib(pid) as f64 / 1024.0
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
