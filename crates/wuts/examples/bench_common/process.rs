//! The release `wuts` binary as its own process (so its memory is its own to measure) on a
//! SQLite file in a temporary directory, against a wa-sim; tenants with a device each, paired
//! through the simulated phones.

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Gateway {
    pub child: Child,
    pub base: String,
    pub master: String,
    /// The database URL (a restart on it finds the same devices).
    pub db: String,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wuts` next to the running example (`target/release/wuts`).
pub fn binary() -> anyhow::Result<std::path::PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe.parent().unwrap().parent().unwrap().join("wuts");
    anyhow::ensure!(
        bin.exists(),
        "build the gateway first: cargo build --release -p wuts ({} missing)",
        bin.display()
    );
    Ok(bin)
}

impl Gateway {
    /// Starts the gateway on wa-sim with `env` added (pacing off, private media URLs and
    /// plain-http webhooks allowed) and waits until it is ready.
    pub async fn start(sim: &wa_sim::SimServer, env: &[(&str, String)]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let db = format!("sqlite://{}/wuts.db", dir.path().display());
        let master = uuid::Uuid::new_v4().to_string();
        let mut gw = Self::start_on(&db, &master, sim, env).await?;
        gw._dir = Some(dir);
        Ok(gw)
    }

    /// Starts the gateway on database `db` (kept by the caller) with master token `master`.
    pub async fn start_on(
        db: &str,
        master: &str,
        sim: &wa_sim::SimServer,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let master = master.to_string();
        let child = Command::new(binary()?)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                db,
            ])
            .env("WUTS_MASTER_TOKEN", &master)
            .env("WUTS_WHATSAPP_URL", sim.ws_url())
            .env("WUTS_WHATSAPP_VERSION", "2.3000.1030000000")
            .env("WUTS_MEDIA_ALLOW_PRIVATE_URLS", "true")
            .env("WUTS_WEBHOOK_ALLOW_HTTP", "true")
            .env("WUTS_SEND_INTERVAL_MS", "0")
            .env("WUTS_LOG_LEVEL", "warn")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let gw = Gateway {
            base: format!("http://127.0.0.1:{port}"),
            child,
            master,
            db: db.to_string(),
            _dir: None,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http
            .get(format!("{}/ready", gw.base))
            .send()
            .await
            .map(|r| !r.status().is_success())
            .unwrap_or(true)
        {
            anyhow::ensure!(Instant::now() < deadline, "gateway not ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(gw)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the process with `signal` (`TERM`, `KILL`) and waits for it to exit.
    pub fn stop_with(mut self, signal: &str) -> anyhow::Result<()> {
        Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()?;
        self.child.wait()?;
        Ok(())
    }

    /// User and system CPU seconds the process has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // The fields after the command's closing parenthesis; utime and stime are 14 and 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }

    /// A tenant per phone, each with a device paired to that phone and connected; answers
    /// their tokens.
    pub async fn paired(
        &self,
        http: &reqwest::Client,
        sim: &wa_sim::SimServer,
        phones: &[&str],
    ) -> anyhow::Result<Vec<String>> {
        let mut tokens = Vec::new();
        for (i, phone) in phones.iter().enumerate() {
            let reg = call(
                http,
                &self.base,
                "/register",
                &self.master,
                json!({"tenant_name": format!("bench{i}"), "email": format!("b{i}@bench.test"),
                    "password": "correct-horse-1"}),
            )
            .await;
            let token = reg["token"].as_str().unwrap().to_string();
            call(http, &self.base, "/devices", &token, json!({"name": "d"})).await;
            let qr = get(http, &self.base, "/qr", &token).await;
            http.post(format!("{}/admin/scan-qr", sim.http_url()))
                .json(&json!({"qr": qr["data"]["qr_code"], "phone": phone}))
                .send()
                .await?;
            let deadline = Instant::now() + Duration::from_secs(30);
            while get(http, &self.base, "/status", &token).await["data"]["connected"] != json!(true)
            {
                anyhow::ensure!(Instant::now() < deadline, "not connected");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokens.push(token);
        }
        Ok(tokens)
    }
}

/// A POST that must succeed; its JSON answer.
pub async fn call(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    body: Value,
) -> Value {
    let (st, v) = post(http, base, path, token, body).await;
    assert!((200..300).contains(&st), "{path}: {st} {v}");
    v
}

/// A POST; its status and JSON answer.
pub async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    body: Value,
) -> (u16, Value) {
    let r = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

pub async fn get(http: &reqwest::Client, base: &str, path: &str, token: &str) -> Value {
    http.get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// A field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`), KiB.
pub fn proc_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resets the process's peak RSS (VmHWM) to its current RSS.
pub fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// A local HTTP server answering `GET /video.mp4` with `bytes` (`video/mp4`); its base URL.
pub async fn file_server(bytes: std::sync::Arc<Vec<u8>>) -> anyhow::Result<String> {
    let files = axum::Router::new().route(
        "/video.mp4",
        axum::routing::get(move || {
            let v = bytes.clone();
            async move { ([("content-type", "video/mp4")], v.as_ref().clone()) }
        }),
    );
    let fl = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", fl.local_addr()?);
    tokio::spawn(async move { axum::serve(fl, files).await });
    Ok(url)
}
