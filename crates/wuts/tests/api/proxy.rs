//! WUTS "proxy" end to end: devices reach wa-sim through real proxies started here (Debian's
//! `microsocks` for SOCKS5 and `tinyproxy` for HTTP CONNECT, both with a user and password).
//! Each proxy binds its outgoing connections to its own loopback address (127.0.0.2 for SOCKS,
//! 127.0.0.3 for HTTP), and wa-sim logs the address every socket and media request came from,
//! so the tests see which way each connection went; the proxies' own logs show the tunnels.

use crate::helpers::process::free_port;
use crate::helpers::process::{drop_db, fresh_db, Gateway};
use crate::helpers::wa::{gateway, hook, pair, phone_received, sim_post, wait_connected};
use crate::helpers::{assert_error, png, Backend, TestApp};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(
    tenant_proxy_carries_the_socket_and_the_media,
    override_wins_and_deleting_falls_back,
    a_refusing_proxy_is_never_bypassed,
    bad_proxy_input_is_named,
    passwords_stay_out_of_the_log,
);

const SOCKS_OUT: &str = "127.0.0.2";
const HTTP_OUT: &str = "127.0.0.3";

fn need(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        found,
        "{program} is not installed: `apt-get install microsocks tinyproxy` (.ci/run does)"
    );
}

/// A proxy process on loopback, with its log; killed when dropped.
struct Proxy {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Proxy {
    /// microsocks with a user and password, its connections leaving from `SOCKS_OUT`.
    async fn socks5(user: &str, pass: &str) -> Self {
        need("microsocks");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("socks.log");
        let port = free_port();
        let child = Command::new("microsocks")
            .args([
                "-i",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-u",
                user,
                "-P",
                pass,
            ])
            .args(["-b", SOCKS_OUT])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self::listening(child, port, log, dir).await
    }

    /// tinyproxy with basic authentication, its connections leaving from `HTTP_OUT`.
    async fn http(user: &str, pass: &str) -> Self {
        need("tinyproxy");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("http.log");
        let port = free_port();
        let conf = dir.path().join("tinyproxy.conf");
        std::fs::write(
            &conf,
            format!(
                "Port {port}\nListen 127.0.0.1\nBind {HTTP_OUT}\nTimeout 600\nMaxClients 64\n\
                 LogLevel Connect\nBasicAuth {user} {pass}\n"
            ),
        )
        .unwrap();
        let child = Command::new("tinyproxy")
            .args(["-d", "-c", conf.to_str().unwrap()])
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self::listening(child, port, log, dir).await
    }

    async fn listening(
        child: Child,
        port: u16,
        log: std::path::PathBuf,
        dir: tempfile::TempDir,
    ) -> Self {
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the proxy never listened");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Proxy {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Tunnels the proxy opened to `target` (`host:port`), as its log says.
    fn tunnels_to(&self, target: &str) -> usize {
        let host = target.rsplit_once(':').map_or(target, |t| t.0);
        self.log()
            .lines()
            .filter(|l| {
                // microsocks: "client[4] 127.0.0.1: connected to 127.0.0.1:4000";
                // tinyproxy, after the authenticated CONNECT line:
                // "Established connection to host "127.0.0.1" using file descriptor 5."
                l.contains(&format!("connected to {target}"))
                    || l.contains(&format!("Established connection to host \"{host}\""))
            })
            .count()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// wa-sim's log of where socket and media requests came from: (kind, source ip, path).
fn peers(sim: &SimServer) -> Vec<(String, String, String)> {
    sim.peers()
        .into_iter()
        .map(|p| {
            let ip = p.peer.rsplit_once(':').unwrap().0.to_string();
            (p.kind.to_string(), ip, p.path)
        })
        .collect()
}

/// Waits until the newest socket wa-sim accepted came from `ip` and the device is connected.
async fn reconnected_from(app: &TestApp, sim: &SimServer, token: &str, ip: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let last = peers(sim).into_iter().rev().find(|p| p.0 == "socket");
        let (_, st) = app.get("/status", token).await;
        if last.as_ref().is_some_and(|p| p.1 == ip) && st["data"]["connected"] == json!(true) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never reconnected from {ip}: last socket {last:?}, status {st}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn call(
    app: &TestApp,
    m: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.call(m, path, Some(token), body).await
}

/// `PUT` of `{"proxy_url": url}` to `/proxy` or a device's proxy.
async fn put_proxy(app: &TestApp, path: &str, token: &str, url: &str) -> (StatusCode, Value) {
    call(
        app,
        Method::PUT,
        path,
        token,
        Some(json!({"proxy_url": url})),
    )
    .await
}

async fn tenant_proxy_carries_the_socket_and_the_media(b: Backend) {
    let socks = Proxy::socks5("alice", "s0cks-Secret").await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let target = sim.addr.to_string();
    let app = gateway(b, &sim).await;
    let (_, _, admin) = app.register("proxied").await;
    let url = format!("socks5h://alice:s0cks-Secret@127.0.0.1:{}", socks.port);
    let (st, set) = put_proxy(&app, "/proxy", &admin, &url).await;
    assert_eq!(st, StatusCode::OK, "{set}");
    let masked = format!("socks5h://alice:***@127.0.0.1:{}", socks.port);
    assert_eq!(
        set,
        json!({"success": true, "scope": "tenant", "proxy_url": masked, "reconnecting_devices": 0})
    );

    // The device pairs, logs in and sends, all through the tenant's proxy.
    let device = app.device(&admin, "d").await;
    let events = hook(
        &app,
        &admin,
        &["device.connected", "device.disconnected", "message.sent"],
    )
    .await;
    sim_post(&sim, "/admin/accounts", json!({"phone": "15557770002"})).await;
    pair(&app, &sim, &admin, "15557770001").await;
    wait_connected(&app, &admin).await;
    let (_, status) = app.get("/status", &admin).await;
    assert_eq!(status["data"]["proxy_url"], json!(masked), "{status}");
    assert_eq!(status["data"]["proxy_source"], json!("tenant"));
    assert_eq!(status["data"]["last_error"], Value::Null);

    let (st, sent) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": "15557770002", "text": "via socks"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{sent}");
    let image = png(32, 24);
    let data = base64::engine::general_purpose::STANDARD.encode(&image);
    let (st, sent) = app
        .post(
            "/send/image",
            &admin,
            json!({"number": "15557770002", "image": format!("data:image/png;base64,{data}"),
                "caption": "a proxied picture"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{sent}");
    phone_received(&sim, "15557770002", "via socks").await;
    phone_received(&sim, "15557770002", "a proxied picture").await;

    // wa-sim saw every socket and the upload come from the proxy's address, none directly.
    let seen = peers(&sim);
    let sockets: Vec<_> = seen.iter().filter(|p| p.0 == "socket").collect();
    let uploads: Vec<_> = seen
        .iter()
        .filter(|p| p.0 == "media" && p.2.starts_with("/mms/image"))
        .collect();
    assert!(!sockets.is_empty() && !uploads.is_empty(), "{seen:?}");
    assert!(
        seen.iter().all(|p| p.1 == SOCKS_OUT),
        "a request went around the proxy: {seen:?}"
    );
    // The proxy's own log: a tunnel for each socket and each media request.
    let media = seen.iter().filter(|p| p.0 == "media").count();
    assert!(
        socks.tunnels_to(&target) >= sockets.len() + media.min(1),
        "{} tunnels for {} sockets and {media} media requests:\n{}",
        socks.tunnels_to(&target),
        sockets.len(),
        socks.log()
    );

    // The password appears in no answer and no event.
    let (_, overview) = app.get("/proxy", &admin).await;
    assert_eq!(
        overview["tenant_proxy"]["proxy_url"],
        json!(masked),
        "{overview}"
    );
    let (_, dp) = app.get(&format!("/devices/{device}/proxy"), &admin).await;
    assert_eq!(
        dp,
        json!({"success": true, "device_id": device, "override": null,
            "effective": {"proxy_url": masked, "source": "tenant"}})
    );
    events
        .until("the sent events", |r| {
            r.iter()
                .filter(|x| x.1["event"] == json!("message.sent"))
                .count()
                >= 2
        })
        .await;
    for text in [overview.to_string(), dp.to_string(), status.to_string()]
        .into_iter()
        .chain(events.raw().into_iter().map(|r| r.1))
    {
        assert!(
            !text.contains("s0cks-Secret"),
            "the password leaked: {text}"
        );
    }
    // At rest the password is sealed: no column holds it as written.
    let stored: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT proxy_url, secret FROM tenant_proxies")
            .fetch_all(
                &wuts_store::Store::connect(&app.database_url, 1)
                    .await
                    .unwrap()
                    .pool_for_tests(),
            )
            .await
            .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].0.contains("s0cks-Secret") && !stored[0].0.contains("***"));
    assert!(stored[0]
        .1
        .as_deref()
        .is_some_and(|s| !s.contains("s0cks-Secret")));
    app.stop().await;
}

async fn override_wins_and_deleting_falls_back(b: Backend) {
    let socks = Proxy::socks5("alice", "pw-one").await;
    let http = Proxy::http("bob", "pw-two").await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let target = sim.addr.to_string();
    let app = gateway(b, &sim).await;
    let (_, _, admin) = app.register("overrides").await;
    let tenant_url = format!("socks5://alice:pw-one@127.0.0.1:{}", socks.port);
    let (st, _) = put_proxy(&app, "/proxy", &admin, &tenant_url).await;
    assert_eq!(st, StatusCode::OK);
    let device = app.device(&admin, "d").await;
    pair(&app, &sim, &admin, "15557770011").await;
    reconnected_from(&app, &sim, &admin, SOCKS_OUT).await;

    // The device's own proxy wins: it reconnects through the HTTP proxy at once.
    let over = format!("http://bob:pw-two@127.0.0.1:{}", http.port);
    let (st, set) = put_proxy(&app, &format!("/devices/{device}/proxy"), &admin, &over).await;
    assert_eq!(st, StatusCode::OK, "{set}");
    let masked_over = format!("http://bob:***@127.0.0.1:{}", http.port);
    assert_eq!(
        set,
        json!({"success": true, "scope": "device", "device_id": device,
            "proxy_url": masked_over, "reconnect": "connected"})
    );
    reconnected_from(&app, &sim, &admin, HTTP_OUT).await;
    assert!(http.tunnels_to(&target) >= 1, "{}", http.log());
    let (_, dp) = app.get(&format!("/devices/{device}/proxy"), &admin).await;
    assert_eq!(dp["override"]["proxy_url"], json!(masked_over), "{dp}");
    assert_eq!(
        dp["effective"],
        json!({"proxy_url": masked_over, "source": "device"})
    );
    let (_, overview) = app.get("/proxy", &admin).await;
    assert_eq!(
        overview["device_overrides"][0]["device_id"],
        json!(device),
        "{overview}"
    );
    assert_eq!(
        overview["device_overrides"][0]["proxy_url"],
        json!(masked_over)
    );

    // A tenant change leaves a device with its own proxy alone.
    let (_, again) = put_proxy(&app, "/proxy", &admin, &tenant_url).await;
    assert_eq!(again["reconnecting_devices"], json!(0), "{again}");

    // Deleting the override falls back to the tenant's proxy...
    let (st, del) = call(
        &app,
        Method::DELETE,
        &format!("/devices/{device}/proxy"),
        &admin,
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{del}");
    assert_eq!(
        del,
        json!({"success": true, "scope": "device", "device_id": device, "deleted": true,
            "reconnect": "connected"})
    );
    reconnected_from(&app, &sim, &admin, SOCKS_OUT).await;
    let (st, del) = call(
        &app,
        Method::DELETE,
        &format!("/devices/{device}/proxy"),
        &admin,
        None,
    )
    .await;
    assert_error(st, &del, StatusCode::NOT_FOUND, "NOT_FOUND");

    // ...and deleting that goes direct (in the background).
    let (st, del) = call(&app, Method::DELETE, "/proxy", &admin, None).await;
    assert_eq!(st, StatusCode::OK, "{del}");
    assert_eq!(
        del,
        json!({"success": true, "scope": "tenant", "deleted": true, "reconnecting_devices": 1})
    );
    reconnected_from(&app, &sim, &admin, "127.0.0.1").await;
    let (_, status) = app.get("/status", &admin).await;
    assert_eq!(status["data"]["proxy_url"], Value::Null, "{status}");
    assert_eq!(status["data"]["proxy_source"], json!("none"));
    let (_, overview) = app.get("/proxy", &admin).await;
    assert_eq!(
        overview,
        json!({"success": true, "tenant_proxy": null, "device_overrides": []})
    );
    app.stop().await;
}

async fn a_refusing_proxy_is_never_bypassed(b: Backend) {
    let socks = Proxy::socks5("alice", "right-one").await;
    let http = Proxy::http("bob", "right-two").await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (_, _, admin) = app.register("refused").await;
    let device = app.device(&admin, "d").await;
    let events = hook(&app, &admin, &["device.disconnected", "device.connected"]).await;
    pair(&app, &sim, &admin, "15557770021").await;
    wait_connected(&app, &admin).await;

    for (url, masked, hint) in [
        (
            format!("socks5://alice:wrong-one@127.0.0.1:{}", socks.port),
            format!("socks5://alice:***@127.0.0.1:{}", socks.port),
            "SOCKS",
        ),
        (
            format!("http://bob:wrong-two@127.0.0.1:{}", http.port),
            format!("http://bob:***@127.0.0.1:{}", http.port),
            "refused the CONNECT",
        ),
    ] {
        let sockets_before = peers(&sim).iter().filter(|p| p.0 == "socket").count();
        let (st, set) = put_proxy(&app, &format!("/devices/{device}/proxy"), &admin, &url).await;
        assert_eq!(st, StatusCode::OK, "{set}");
        assert_eq!(set["reconnect"], json!("connecting"), "{set}");
        // The status says why, naming the proxy (masked).
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            let (_, st) = app.get("/status", &admin).await;
            if st["data"]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains(&masked))
            {
                break st;
            }
            assert!(Instant::now() < deadline, "no reason shown: {st}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(status["data"]["connected"], json!(false));
        let reason = status["data"]["last_error"].as_str().unwrap();
        assert!(reason.contains(hint), "{reason}");
        assert!(!reason.contains("wrong-"), "{reason}");
        // The event says it too.
        events
            .until("device.disconnected naming the proxy", |r| {
                r.iter().any(|x| {
                    x.1["event"] == json!("device.disconnected")
                        && x.1["data"]["reason"]
                            .as_str()
                            .is_some_and(|s| s.contains(&masked))
                })
            })
            .await;
        // Nothing reached WhatsApp, through the proxy or around it.
        let sockets_after = peers(&sim).iter().filter(|p| p.0 == "socket").count();
        assert_eq!(sockets_after, sockets_before, "{:?}", peers(&sim));
    }

    // With the right password the device is back, through the proxy.
    let good = format!("http://bob:right-two@127.0.0.1:{}", http.port);
    let (st, _) = put_proxy(&app, &format!("/devices/{device}/proxy"), &admin, &good).await;
    assert_eq!(st, StatusCode::OK);
    reconnected_from(&app, &sim, &admin, HTTP_OUT).await;
    let (_, status) = app.get("/status", &admin).await;
    assert_eq!(status["data"]["last_error"], Value::Null, "{status}");
    for r in events.raw() {
        assert!(
            !r.1.contains("wrong-") && !r.1.contains("right-"),
            "{}",
            r.1
        );
    }
    app.stop().await;
}

async fn bad_proxy_input_is_named(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("badproxy").await;
    let (_, user) = app.user(&admin, "user").await;
    let (_, other_user) = app.user(&admin, "user").await;
    let (_, _, stranger) = app.register("badproxy-other").await;
    let device = app.device(&user, "d").await;
    for bad in [
        json!({}),
        json!({"proxy_url": ""}),
        json!({"proxy_url": 5}),
        json!({"proxy_url": "proxy.example:1080"}),
        json!({"proxy_url": "https://proxy.example:443"}),
        json!({"proxy_url": "socks4://proxy.example:1080"}),
        json!({"proxy_url": "socks5://proxy.example"}),
        json!({"proxy_url": "http://proxy.example:70000"}),
        json!({"proxy_url": "http://proxy.example:8080/path"}),
        json!({"proxy_url": "socks5://:secret@proxy.example:1080"}),
        json!({"proxy_url": "socks5://proxy.example:1080", "extra": 1}),
    ] {
        for path in ["/proxy".to_string(), format!("/devices/{device}/proxy")] {
            let (st, body) = call(&app, Method::PUT, &path, &admin, Some(bad.clone())).await;
            assert_error(st, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
            assert!(!body.to_string().contains("secret"), "{body}");
            if bad.get("extra").is_none() && bad["proxy_url"].is_string() || bad == json!({}) {
                assert_eq!(
                    body["validation"][0]["field"],
                    json!("proxy_url"),
                    "{bad}: {body}"
                );
            }
        }
    }
    let ok = json!({"proxy_url": "socks5://u:p@127.0.0.1:1080"});
    // The device in the path: a UUID, of the caller's tenant, and the caller's unless a manager.
    let (st, body) = call(
        &app,
        Method::PUT,
        "/devices/not-a-uuid/proxy",
        &user,
        Some(ok.clone()),
    )
    .await;
    assert_error(st, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let path = format!("/devices/{device}/proxy");
    let (st, body) = call(&app, Method::PUT, &path, &stranger, Some(ok.clone())).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (st, body) = call(&app, Method::PUT, &path, &other_user, Some(ok.clone())).await;
    assert_error(st, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (st, body) = call(&app, Method::DELETE, &path, &user, None).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (st, body) = call(&app, Method::PUT, &path, &user, Some(ok.clone())).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["reconnect"], json!("offline"), "{body}");
    // A user sees their own override in GET /proxy; another user does not.
    let (_, mine) = app.get("/proxy", &user).await;
    assert_eq!(
        mine["device_overrides"][0]["device_id"],
        json!(device),
        "{mine}"
    );
    let (_, theirs) = app.get("/proxy", &other_user).await;
    assert_eq!(theirs["device_overrides"], json!([]), "{theirs}");
    // Only admins and managers set the tenant's proxy.
    let (st, body) = call(&app, Method::PUT, "/proxy", &user, Some(ok.clone())).await;
    assert_error(st, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (st, body) = call(&app, Method::DELETE, "/proxy", &admin, None).await;
    assert_error(st, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    app.stop().await;
}

/// The real binary at debug level, its log captured: the proxies' passwords (and their Basic
/// credentials) appear nowhere in it, through pairing, sends, overrides and refusals.
async fn passwords_stay_out_of_the_log(b: Backend) {
    let socks = Proxy::socks5("carol", "L0g-Secret-socks").await;
    let http = Proxy::http("dave", "L0g-Secret-http").await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, pg) = fresh_db(b, dir.path()).await;
    let master = uuid::Uuid::new_v4().to_string();
    let log = dir.path().join("wuts.log");
    let gw = Gateway::start_logged(
        &db,
        &sim,
        &master,
        &[("WUTS_LOG_LEVEL", "debug"), ("WUTS_LOG_FORMAT", "json")],
        &log,
    )
    .await;
    let (token, device) = gw.tenant_with_device(&master, "logged").await;
    let tenant_url = format!("socks5://carol:L0g-Secret-socks@127.0.0.1:{}", socks.port);
    let (st, _) = gw
        .call(
            Method::PUT,
            "/proxy",
            &token,
            Some(json!({"proxy_url": tenant_url})),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    sim_post(&sim, "/admin/accounts", json!({"phone": "15557770032"})).await;
    let (st, qr) = gw.call(Method::GET, "/qr", &token, None).await;
    assert_eq!(st, StatusCode::OK, "{qr}");
    sim_post(
        &sim,
        "/admin/scan-qr",
        json!({"qr": qr["data"]["qr_code"], "phone": "15557770031"}),
    )
    .await;
    gw.status_until_connected(&token).await;
    let (st, _) = gw
        .call(
            Method::POST,
            "/send/text",
            &token,
            Some(json!({"number": "15557770032", "text": "logged"})),
        )
        .await;
    assert!(st.is_success());
    phone_received(&sim, "15557770032", "logged").await;
    // A wrong password, then the right one, on the device's own HTTP proxy.
    let path = format!("/devices/{device}/proxy");
    for url in [
        format!("http://dave:L0g-Secret-wrong@127.0.0.1:{}", http.port),
        format!("http://dave:L0g-Secret-http@127.0.0.1:{}", http.port),
    ] {
        let (st, _) = gw
            .call(Method::PUT, &path, &token, Some(json!({"proxy_url": url})))
            .await;
        assert_eq!(st, StatusCode::OK);
    }
    gw.status_until_connected(&token).await;
    assert!(
        http.tunnels_to(&sim.addr.to_string()) >= 1,
        "{}",
        http.log()
    );
    drop(gw);
    drop_db(pg).await;

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!("socks5://carol:***@127.0.0.1:{}", socks.port)),
        "the log does not show the (masked) proxy at all:\n{}",
        &text[..text.len().min(4000)]
    );
    let basic =
        |u: &str, p: &str| base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
    for secret in [
        "L0g-Secret".to_string(),
        basic("dave", "L0g-Secret-http"),
        basic("dave", "L0g-Secret-wrong"),
    ] {
        if let Some(line) = text.lines().find(|l| l.contains(&secret)) {
            panic!("{secret} is in the log: {line}");
        }
    }
}
