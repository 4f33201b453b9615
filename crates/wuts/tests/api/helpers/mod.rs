//! Test harness: a real `wuts` server on a random loopback port, over a throw-away database
//! (a temporary SQLite file, or a fresh PostgreSQL database), driven over real HTTP.
#![allow(dead_code)]

pub mod process;
pub mod wa;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use wuts::config::Config;

pub const PASSWORD: &str = "correct-horse-1";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on; `WUTS_TEST_PG_URL=off` skips them.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("WUTS_TEST_PG_URL") {
        Ok(v) if v == "off" => None,
        Ok(v) => Some(v),
        Err(_) => Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
    }
}

/// Runs each named `async fn(Backend)` once per backend, as separate tests.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::pg_admin_url().is_none() {
                    eprintln!("WUTS_TEST_PG_URL=off: PostgreSQL variant skipped");
                    return;
                }
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

pub struct TestApp {
    pub base: String,
    pub master: String,
    pub http: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    pg_db: Option<String>,
    cfg: Config,
    _dir: tempfile::TempDir,
}

/// Serves `cfg` on a fresh loopback port; answers the base URL, the stop switch and the task.
async fn launch(cfg: &Config) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let services = wuts::services(cfg).await.expect("services start");
    let listener = wuts::bind(cfg).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel();
    let cfg = cfg.clone();
    let server = tokio::spawn(async move {
        wuts::serve(&cfg, services, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    (base, tx, server)
}

async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = pg_admin_url().expect("postgres enabled");
    let mut c = sqlx::AnyConnection::connect(&url)
        .await
        .unwrap_or_else(|e| {
            panic!("PostgreSQL at {url} unreachable ({e}); set WUTS_TEST_PG_URL=off to skip")
        });
    sqlx::query(sql).execute(&mut c).await.expect(sql);
}

impl TestApp {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        // Logs only when RUST_LOG asks for them.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "off".into()),
            )
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let (database_url, pg_db) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/wuts.db", dir.path().display()), None),
            Backend::Postgres => {
                let db = format!("wuts_t_{}", uuid::Uuid::new_v4().simple());
                pg_admin(&format!("CREATE DATABASE {db}")).await;
                let admin = pg_admin_url().unwrap();
                let base = admin.rsplit_once('/').unwrap().0;
                (format!("{base}/{db}"), Some(db))
            }
        };
        let master = uuid::Uuid::new_v4().to_string();
        let mut cfg = Config {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.clone(),
            master_token: Some(master.clone()),
            webhook_allow_http: true,
            db_max_connections: 4,
            ..Config::default()
        };
        tweak(&mut cfg);
        let (base, tx, server) = launch(&cfg).await;
        Self {
            base,
            master,
            http: reqwest::Client::new(),
            backend,
            database_url,
            stop: Some(tx),
            server: Some(server),
            pg_db,
            cfg,
            _dir: dir,
        }
    }

    /// Stops the server and starts a new one on the same database (a gateway restart).
    pub async fn restart(mut self) -> Self {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        let (base, tx, server) = launch(&self.cfg).await;
        self.base = base;
        self.stop = Some(tx);
        self.server = Some(server);
        self
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = s.await;
        }
        if let Some(db) = self.pg_db.take() {
            pg_admin(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
        }
    }

    /// Sends a request; `token` goes in `Authorization: Bearer`. Answers the status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path}: body is not JSON: {text:?}"));
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Registers a tenant; answers (tenant id, admin user id, admin token).
    pub async fn register(&self, name: &str) -> (String, String, String) {
        let (st, b) = self
            .post("/register", &self.master, json!({"tenant_name": name, "email": format!("admin@{name}.test"), "password": PASSWORD}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        (
            b["tenant"]["id"].as_str().unwrap().into(),
            b["user"]["id"].as_str().unwrap().into(),
            b["token"].as_str().unwrap().into(),
        )
    }

    /// Creates a user with `role` using an admin token; answers (id, token).
    pub async fn user(&self, admin_token: &str, role: &str) -> (String, String) {
        let email = format!("{role}-{}@example.test", uuid::Uuid::new_v4().simple());
        let (st, b) = self
            .post(
                "/users",
                admin_token,
                json!({"email": email, "password": PASSWORD, "role": role}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        (
            b["user"]["id"].as_str().unwrap().into(),
            b["user"]["token"].as_str().unwrap().into(),
        )
    }

    /// Creates a device for the token's user; answers its id.
    pub async fn device(&self, token: &str, name: &str) -> String {
        let (st, b) = self.post("/devices", token, json!({"name": name})).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        b["device"]["id"].as_str().unwrap().into()
    }
}

/// Asserts the error envelope and its code.
pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(body["error_code"], json!(want_code), "{body}");
    assert!(
        body["error"].as_str().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    assert!(body["timestamp"].as_str().is_some(), "{body}");
}

/// A real PNG of `w`×`h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 200]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}
