//! Health, readiness, metrics, OpenAPI and docs, request ids; and the binary itself: the master
//! token generated on first start, the admin commands, graceful shutdown.

use crate::helpers::process::free_port;
use crate::helpers::{Backend, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

both_backends!(health_ready_metrics_docs);

async fn health_ready_metrics_docs(b: Backend) {
    let app = TestApp::start(b).await;
    let get = |p: &str| app.http.get(format!("{}{p}", app.base)).send();
    let res = get("/health").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("x-request-id").is_some(),
        "request id echoed"
    );
    let res = get("/ready").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], json!("ready"));
    // A request id given by the caller is kept.
    let res = app
        .http
        .get(format!("{}/health", app.base))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");

    let (_, _, admin) = app.register("ops").await;
    assert_eq!(app.get("/devices", &admin).await.0, StatusCode::OK);
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(metrics.contains("wuts_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/devices\""), "{metrics}");
    assert!(!metrics.contains(&admin), "no token in metrics");

    let spec: Value = get("/openapi.json").await.unwrap().json().await.unwrap();
    let paths = spec["paths"].as_object().unwrap();
    for p in [
        "/register",
        "/tenants",
        "/global/tenants/{id}",
        "/users",
        "/users/{id}",
        "/users/{id}/promote",
        "/devices",
        "/devices/{deviceID}",
        "/user/devices",
        "/webhook",
        "/webhook/events",
        "/user/webhook",
        "/health",
        "/ready",
        "/metrics",
        "/send/image",
        "/send/video",
        "/send/audio",
        "/send/document",
        "/send/sticker",
        "/send/buttons",
        "/send/buttons-response",
        "/send/interactive",
        "/send/list-response",
        "/send/template",
        "/send/product",
        "/send/catalog",
        "/messages/{id}/media",
        "/messages/{id}/retry",
        "/messages/history/request",
        "/messages/queue",
        "/groups",
        "/groups/{jid}",
        "/groups/{jid}/ephemeral",
        "/groups/{jid}/leave",
        "/groups/{jid}/participants",
        "/groups/{jid}/invite",
        "/groups/{jid}/invite/reset",
        "/groups/join",
        "/groups/{jid}/picture",
        "/communities",
        "/communities/{jid}/participants",
        "/communities/{jid}/groups",
        "/communities/{jid}/groups/{group_jid}",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }
    assert!(spec["components"]["securitySchemes"]["bearerAuth"].is_object());
    let docs = get("/docs").await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("openapi"));
    app.stop().await;
}

/// A `wuts` process with its own working directory (so its default SQLite file is fresh).
struct Proc {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
}

fn wuts(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wuts"));
    c.current_dir(dir)
        .args(args)
        .env_remove("WUTS_MASTER_TOKEN")
        .env_remove("WUTS_DATABASE_URL")
        .env_remove("WUTS_LISTEN");
    c
}

impl Proc {
    fn start(dir: &std::path::Path, port: u16) -> Self {
        let mut child = wuts(dir, &["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Proc { child, stdout }
    }

    /// Reads stdout until the generated master token line, if the banner is printed.
    fn master_token(&mut self) -> Option<String> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.stdout.read_line(&mut line).unwrap() == 0 {
                return None;
            }
            let t = line.trim();
            if uuid::Uuid::parse_str(t).is_ok() {
                return Some(t.to_string());
            }
        }
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let http = reqwest::Client::new();
    while Instant::now() < deadline {
        if let Ok(r) = http.get(format!("{base}/ready")).send().await {
            if r.status() == StatusCode::OK {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{base} never became ready");
}

#[tokio::test]
async fn binary_first_start_master_token_and_admin_commands() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    // First start: an embedded SQLite under ./data and a master token printed once.
    let mut p = Proc::start(dir.path(), port);
    let master = p.master_token().expect("banner with the master token");
    wait_ready(&base).await;
    assert!(dir.path().join("data/wuts.db").exists());
    let r = http
        .get(format!("{base}/tenants"))
        .bearer_auth(&master)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(p.terminate().success(), "graceful shutdown exits 0");

    // Second start: no new token; the old one still works.
    let p = Proc::start(dir.path(), port);
    wait_ready(&base).await;
    let r = http
        .get(format!("{base}/tenants"))
        .bearer_auth(&master)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(p.terminate().success());
    assert_eq!(
        p_master_none(dir.path(), port).await,
        None,
        "token printed only on first start"
    );

    // `wuts tenant create` makes a tenant whose admin token works; `master-token rotate` replaces the master.
    let out = wuts(
        dir.path(),
        &[
            "tenant",
            "create",
            "--name",
            "cli",
            "--email",
            "cli@x.test",
            "--password",
            PASSWORD,
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text
        .lines()
        .find_map(|l| l.strip_prefix("token  "))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let out = wuts(dir.path(), &["master-token", "rotate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let new_master = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(uuid::Uuid::parse_str(&new_master).is_ok());
    let out = wuts(dir.path(), &["tenant", "list"]).output().unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().contains("cli"));

    let p = Proc::start(dir.path(), port);
    wait_ready(&base).await;
    let r = http
        .get(format!("{base}/devices"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .get(format!("{base}/tenants"))
        .bearer_auth(&master)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "rotated away");
    let r = http
        .get(format!("{base}/tenants"))
        .bearer_auth(&new_master)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(p.terminate().success());
}

/// Starts the server once more and reports a printed master token, if any.
async fn p_master_none(dir: &std::path::Path, port: u16) -> Option<String> {
    let mut p = Proc::start(dir, port);
    wait_ready(&format!("http://127.0.0.1:{port}")).await;
    let pid = p.child.id();
    Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    let token = p.master_token();
    p.child.wait().unwrap();
    token
}
