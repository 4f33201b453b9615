//! The HTTP server as a hostile client meets it: idle sockets cost little and are let go,
//! every timeout closes its socket within its limit while others are served, a burst of
//! connections is answered in full, oversized uploads are refused before they are sent, and
//! request ids are bounded.

use crate::helpers::{assert_error, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a raw connection received until the server closed it (or `within` passed), and when.
async fn read_to_close(s: &mut TcpStream, within: Duration) -> (String, Duration, bool) {
    let start = Instant::now();
    let mut out = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (
        String::from_utf8_lossy(&out).into_owned(),
        start.elapsed(),
        closed,
    )
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

async fn health_answers(app: &TestApp) {
    let res = app
        .http
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// The envelope of a raw HTTP answer.
fn envelope(raw: &str) -> Value {
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not an envelope: {raw:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_timeout_closes_its_socket_within_its_limit() {
    let app = TestApp::start_with(Backend::Sqlite, |c| {
        c.http_header_timeout_secs = 1;
        c.http_body_timeout_secs = 1;
        c.http_idle_timeout_secs = 2;
    })
    .await;
    let a = addr(&app);
    let (_, _, token) = app.register("slow").await;
    let limit = |secs: u64| Duration::from_secs(secs) + Duration::from_millis(1500);

    // A header that never ends (slowloris): 408 in the envelope, then closed.
    let mut slow = TcpStream::connect(&a).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nx-a: ")
        .await
        .unwrap();
    let mut trickle = TcpStream::connect(&a).await.unwrap();
    trickle
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let trickler = tokio::spawn(async move {
        // One more header line every 200 ms: each byte arrives, the header never ends.
        for i in 0..40 {
            if trickle
                .write_all(format!("x-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    });
    health_answers(&app).await;
    let (got, took, closed) = read_to_close(&mut slow, limit(1) * 2).await;
    assert!(closed && took <= limit(1), "closed={closed} after {took:?}");
    assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");
    assert_eq!(envelope(&got)["error_code"], json!("REQUEST_TIMEOUT"));
    assert!(trickler.await.unwrap(), "a trickled header was cut off");

    // A body shorter than its Content-Length: 408 and close.
    let mut short = TcpStream::connect(&a).await.unwrap();
    short
        .write_all(
            format!("POST /devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-length: 10\r\n\r\n{{")
                .as_bytes(),
        )
        .await
        .unwrap();
    health_answers(&app).await;
    let (got, took, closed) = read_to_close(&mut short, limit(1) * 2).await;
    assert!(closed && took <= limit(1), "closed={closed} after {took:?}");
    assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");
    assert!(
        got.to_ascii_lowercase().contains("connection: close"),
        "{got:?}"
    );
    assert_eq!(envelope(&got)["error_code"], json!("REQUEST_TIMEOUT"));

    // A chunked body that never ends, a chunk every 200 ms: cut at its deadline all the same.
    let mut chunked = TcpStream::connect(&a).await.unwrap();
    chunked
        .write_all(
            format!("POST /devices HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ntransfer-encoding: chunked\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let (mut rd, mut wr) = chunked.into_split();
    let feeder = tokio::spawn(async move {
        for _ in 0..40 {
            if wr.write_all(b"1\r\n \r\n").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let start = Instant::now();
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit(1) * 2, rd.read_to_end(&mut got))
        .await
        .is_ok();
    let got = String::from_utf8_lossy(&got).into_owned();
    assert!(
        closed && start.elapsed() <= limit(1),
        "closed={closed} after {:?}",
        start.elapsed()
    );
    assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");
    feeder.abort();

    // An idle keep-alive connection: one answer, then closed quietly after the idle limit.
    let mut idle = TcpStream::connect(&a).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let (got, took, closed) = read_to_close(&mut idle, limit(2) * 2).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got:?}");
    assert!(closed, "idle connection left open");
    assert!(
        took >= Duration::from_millis(1500) && took <= limit(2),
        "closed after {took:?}"
    );
    // A connection that is used keeps being served.
    health_answers(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_outlives_the_idle_timeout() {
    let sim = wa_sim::SimServer::start("127.0.0.1:0").await.unwrap();
    let app = crate::helpers::wa::gateway_with(Backend::Sqlite, &sim, |c| {
        c.http_idle_timeout_secs = 1;
        c.http_header_timeout_secs = 1;
    })
    .await;
    let (_, _, token) = app.register("sse").await;
    app.device(&token, "d").await;
    let mut stream = app
        .http
        .get(format!("{}/events/stream", app.base))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    // Three idle limits pass with the stream open and silent; it is still there.
    let quiet = tokio::time::timeout(Duration::from_secs(3), stream.chunk()).await;
    assert!(quiet.is_err(), "the stream ended or spoke: {quiet:?}");
    // And it still delivers: the device pairs, its events arrive.
    crate::helpers::wa::pair(&app, &sim, &token, "15554440091").await;
    let chunk = tokio::time::timeout(Duration::from_secs(20), stream.chunk())
        .await
        .expect("the stream still delivers")
        .unwrap()
        .expect("the stream ended");
    assert!(
        String::from_utf8_lossy(&chunk).contains("event:"),
        "{chunk:?}"
    );
    app.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_connections_all_get_answers() {
    let app = TestApp::start(Backend::Sqlite).await;
    let (_, _, token) = app.register("burst").await;
    let a = addr(&app);
    let tasks: Vec<_> = (0..2000)
        .map(|i| {
            let (a, token) = (a.clone(), token.clone());
            tokio::spawn(async move {
                let path = if i % 2 == 0 { "/health" } else { "/devices" };
                let mut s = TcpStream::connect(&a).await.expect("connect");
                let req = format!(
                    "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n"
                );
                s.write_all(req.as_bytes()).await.expect("write");
                let mut out = Vec::new();
                s.read_to_end(&mut out).await.expect("read");
                out.starts_with(b"HTTP/1.1 200")
            })
        })
        .collect();
    let answered = tokio::time::timeout(Duration::from_secs(90), futures::future::join_all(tasks))
        .await
        .expect("every connection answered within 90 s");
    let ok = answered
        .into_iter()
        .filter(|r| matches!(r, Ok(true)))
        .count();
    assert_eq!(ok, 2000, "connections answered 200");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_uploads_refused_before_they_are_sent() {
    let app = TestApp::start_with(Backend::Sqlite, |c| c.body_limit = 64 * 1024).await;
    let (_, _, token) = app.register("upload").await;
    let a = addr(&app);
    for (path, len) in [("/send/text", 20_000_000u64), ("/send/image", 200_000_000)] {
        let mut s = TcpStream::connect(&a).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nexpect: 100-continue\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("answered without the body")
            .unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("HTTP/1.1 413"), "{path}: {got:?}");
        assert!(!got.contains("100 Continue"), "{path}: {got:?}");
    }
    // Within the limit, the client is asked to go on.
    let mut s = TcpStream::connect(&a).await.unwrap();
    let body = br#"{"number":"15550001111","text":"hi"}"#;
    let head = format!(
        "POST /send/text HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100 Continue"),
        "{:?}",
        String::from_utf8_lossy(&buf[..n])
    );
    drop(s);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_bounded() {
    let app = TestApp::start(Backend::Sqlite).await;
    let id_of = |v: &str| {
        let req = app
            .http
            .get(format!("{}/health", app.base))
            .header("x-request-id", v);
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    let fits = "a".repeat(wuts_api::REQUEST_ID_MAX);
    assert_eq!(id_of(&fits).await, fits);
    for bad in [
        "x".repeat(200_000),
        "x".repeat(wuts_api::REQUEST_ID_MAX + 1),
    ] {
        let got = id_of(&bad).await;
        assert!(
            uuid::Uuid::parse_str(&got).is_ok(),
            "replaced by a new id: {got:.40}"
        );
    }
    let got = id_of("two words").await;
    assert!(uuid::Uuid::parse_str(&got).is_ok(), "{got}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_refuse_bidi_overrides_and_mentions_are_bounded() {
    let app = TestApp::start(Backend::Sqlite).await;
    let (st, b) = app
        .post("/register", &app.master, json!({"tenant_name": "\u{202e}evil", "email": "a@evil.test", "password": crate::helpers::PASSWORD}))
        .await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(b["validation"][0]["field"], json!("tenant_name"), "{b}");
    let (_, _, token) = app.register("names").await;
    for name in ["\u{202e}evil", "a\u{2067}b", "new\nline"] {
        let (st, b) = app.post("/devices", &token, json!({"name": name})).await;
        assert_error(st, &b, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(b["validation"][0]["field"], json!("name"), "{b}");
    }
    let (st, b) = app
        .post(
            "/users",
            &token,
            json!({"email": "\u{202e}x@names.test", "password": crate::helpers::PASSWORD, "role": "user"}),
        )
        .await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    // Emoji sequences (with joiners) are names like any other.
    let (st, b) = app
        .post("/devices", &token, json!({"name": "Sales 👩\u{200d}💻"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");

    let many: Vec<String> = (0..1025).map(|i| format!("1555{i:07}")).collect();
    let (st, b) = app
        .post(
            "/send/text",
            &token,
            json!({"number": "15550001111", "text": "hi", "mentions": many}),
        )
        .await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(b["validation"][0]["field"], json!("mentions"), "{b}");
    let (st, b) = app
        .post("/send/image", &token, json!({"number": "15550001111", "image_url": "https://example.com/a.jpg", "mentions": many}))
        .await;
    assert_error(st, &b, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(b["validation"][0]["field"], json!("mentions"), "{b}");
    app.stop().await;
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server's count of open connections, from its own metrics.
async fn open_connections(base: &str) -> Option<f64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with("wuts_http_connections_open "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

async fn until_open_connections(base: &str, pred: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(n) = open_connections(base).await {
            if pred(n) {
                return n;
            }
            assert!(Instant::now() < deadline, "open connections stayed at {n}");
        }
        assert!(Instant::now() < deadline, "no metrics");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The real binary holds 1,000 idle sockets for little memory, and lets it go once they close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_idle_connections_cost_little() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_wuts"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env(
            "WUTS_DATABASE_URL",
            format!("sqlite://{}/wuts.db", dir.path().display()),
        )
        .env("WUTS_MASTER_TOKEN", "idle-master")
        .env("WUTS_LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proc = Proc(child);
    let pid = proc.0.id();
    let base = format!("http://127.0.0.1:{port}");
    // Warm: one connection answered (and metrics served), so lazily built state is in place.
    until_open_connections(&base, |_| true).await;
    let before = rss_kib(pid);
    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    // The metrics request is one more connection.
    until_open_connections(&base, |n| n >= 1000.0).await;
    let with = rss_kib(pid);
    let grown_mib = with.saturating_sub(before) as f64 / 1024.0;
    assert!(
        grown_mib < 100.0,
        "1,000 idle connections grew RSS by {grown_mib:.1} MiB"
    );
    drop(idle);
    until_open_connections(&base, |n| n <= 1.0).await;
    let after = rss_kib(pid);
    // Nothing is kept per closed connection: RSS does not go on growing (a few MiB of
    // allocator and metrics noise aside), and stays within the bound above the start.
    assert!(
        after <= with + 4096 && after.saturating_sub(before) < 100 * 1024,
        "RSS after the sockets closed: {before} -> {with} -> {after} KiB"
    );
    eprintln!("RSS {before} KiB, {with} KiB with 1,000 idle sockets, {after} KiB after");
}
