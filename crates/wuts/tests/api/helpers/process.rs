//! The real `wuts` binary as a child process, on a database of its own (for crash and log tests).

use super::{pg_admin_url, Backend, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

pub struct Gateway {
    child: Child,
    pub base: String,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Gateway {
    pub async fn start(db: &str, sim: &SimServer, master: &str) -> Self {
        Self::start_with(db, sim, master, &[]).await
    }

    pub async fn start_with(db: &str, sim: &SimServer, master: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn(db, sim, master, env, Stdio::null()).await
    }

    /// Like `start_with`, the log (stderr) written to `log`.
    pub async fn start_logged(
        db: &str,
        sim: &SimServer,
        master: &str,
        env: &[(&str, &str)],
        log: &std::path::Path,
    ) -> Self {
        let file = std::fs::File::create(log).unwrap();
        Self::spawn(db, sim, master, env, Stdio::from(file)).await
    }

    async fn spawn(
        db: &str,
        sim: &SimServer,
        master: &str,
        env: &[(&str, &str)],
        stderr: Stdio,
    ) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_wuts"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                db,
            ])
            .env("WUTS_MASTER_TOKEN", master)
            .env("WUTS_WHATSAPP_URL", sim.ws_url())
            .env("WUTS_WHATSAPP_VERSION", "2.3000.1030000000")
            .env("WUTS_LOG_LEVEL", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = reqwest::get(format!("{base}/ready")).await {
                if r.status() == StatusCode::OK {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "gateway never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, base }
    }

    pub fn kill9(mut self) {
        Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        self.child.wait().unwrap();
    }

    pub async fn call(
        &self,
        m: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = reqwest::Client::new()
            .request(m, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        (res.status(), res.json().await.unwrap())
    }

    /// A new tenant (`name`) with one device: answers its admin token and the device id.
    pub async fn tenant_with_device(&self, master: &str, name: &str) -> (String, String) {
        let (_, reg) = self
            .call(
                reqwest::Method::POST,
                "/register",
                master,
                Some(
                    json!({"tenant_name": name, "email": format!("{name}@crash.test"),
                    "password": PASSWORD}),
                ),
            )
            .await;
        let token = reg["token"].as_str().unwrap().to_string();
        let (_, dev) = self
            .call(
                reqwest::Method::POST,
                "/devices",
                &token,
                Some(json!({"name": "d"})),
            )
            .await;
        let device = dev["device"]["id"].as_str().unwrap().to_string();
        (token, device)
    }

    pub async fn status_until_connected(&self, token: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, s) = self
                .call(reqwest::Method::GET, "/status", token, None)
                .await;
            if s["data"]["connected"] == json!(true) {
                return s;
            }
            assert!(Instant::now() < deadline, "never connected: {s}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A database for one gateway's whole life: a SQLite file in `dir`, or a new PostgreSQL database.
pub async fn fresh_db(b: Backend, dir: &std::path::Path) -> (String, Option<String>) {
    match b {
        Backend::Sqlite => (format!("sqlite://{}/wuts.db", dir.display()), None),
        Backend::Postgres => {
            let name = format!("wuts_t_{}", uuid::Uuid::new_v4().simple());
            let admin = pg_admin_url().unwrap();
            let store = wuts_store::Store::connect(&admin, 1).await.unwrap();
            store
                .execute_for_tests(&format!("CREATE DATABASE {name}"))
                .await;
            store.close().await;
            (
                format!("{}/{name}", admin.rsplit_once('/').unwrap().0),
                Some(name),
            )
        }
    }
}

pub async fn drop_db(pg: Option<String>) {
    if let Some(name) = pg {
        let store = wuts_store::Store::connect(&pg_admin_url().unwrap(), 1)
            .await
            .unwrap();
        store
            .execute_for_tests(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        store.close().await;
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
