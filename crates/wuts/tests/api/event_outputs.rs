//! Events to NATS JetStream and RabbitMQ, against real brokers: a private `nats-server -js`
//! per test (stopped and started again for outages) and the machine's RabbitMQ on
//! 127.0.0.1:5672 with an exchange and a queue of the test's own, reached through a TCP relay
//! the test can cut (the shared broker cannot be stopped under other tests).

use crate::helpers::process::{drop_db, free_port, fresh_db, Gateway};
use crate::helpers::wa::{gateway_with, pair, sim_post, wait_connected};
use crate::helpers::{assert_error, Backend, TestApp};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

both_backends!(
    inbound_reaches_both_brokers,
    broker_outage_during_a_burst,
    gateway_killed_during_a_burst,
);

const RABBIT: &str = "127.0.0.1:5672";

/// A private NATS server with JetStream, its store in a directory that outlives restarts.
struct Nats {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Nats {
    async fn start() -> Self {
        let mut n = Nats {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        };
        n.up().await;
        n
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    async fn up(&mut self) {
        let child = Command::new("nats-server")
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-sd", self.dir.path().to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (Debian's nats-server package)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while async_nats::connect(self.url()).await.is_err() {
            assert!(Instant::now() < deadline, "nats-server never listened");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    /// Every message of `stream` on subjects under `filter`, in stream order: (Nats-Msg-Id,
    /// subject, body).
    async fn read_all(&self, stream: &str, filter: &str) -> Vec<(String, String, Value)> {
        let client = async_nats::connect(self.url()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream(stream).await.unwrap();
        let consumer = stream
            .create_consumer(async_nats::jetstream::consumer::pull::Config {
                filter_subject: filter.to_string(),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut out = Vec::new();
        let mut batch = consumer
            .fetch()
            .max_messages(5000)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .unwrap();
        while let Some(Ok(m)) = batch.next().await {
            let id = m
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Msg-Id"))
                .map(|v| v.to_string())
                .unwrap_or_default();
            out.push((
                id,
                m.subject.to_string(),
                serde_json::from_slice(&m.payload).unwrap(),
            ));
            let _ = m.ack().await;
        }
        out
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        self.down();
    }
}

/// A TCP relay to RabbitMQ that the test can cut (closing every connection and refusing new
/// ones) and restore, on a port of its own.
struct Cut {
    port: u16,
    open: Arc<Mutex<bool>>,
    kill: tokio::sync::watch::Sender<u64>,
}

impl Cut {
    async fn start(to: &'static str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(Mutex::new(true));
        let (kill, _) = tokio::sync::watch::channel(0u64);
        let (o, k) = (open.clone(), kill.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                if !*o.lock().unwrap() {
                    continue; // dropped: the connection is refused at once
                }
                let mut killed = k.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(to).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = killed.changed() => {}
                    }
                });
            }
        });
        Cut { port, open, kill }
    }

    fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/%2f", self.port)
    }

    fn cut(&self) {
        *self.open.lock().unwrap() = false;
        self.kill.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        *self.open.lock().unwrap() = true;
    }
}

/// A queue of the test's own bound to `exchange` for `binding`, read straight from RabbitMQ.
struct Rabbit {
    channel: lapin::Channel,
    queue: String,
    exchange: String,
    _conn: lapin::Connection,
}

impl Rabbit {
    async fn bind(exchange: &str, binding: &str) -> Self {
        use lapin::options::*;
        use lapin::types::FieldTable;
        let conn = lapin::Connection::connect(
            &format!("amqp://guest:guest@{RABBIT}/%2f"),
            lapin::ConnectionProperties::default(),
        )
        .await
        .expect("RabbitMQ on 127.0.0.1:5672 (guest/guest)");
        let channel = conn.create_channel().await.unwrap();
        // The exchange as the gateway declares it, so the binding exists before any event.
        channel
            .exchange_declare(
                exchange.into(),
                lapin::ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        let queue = format!("wuts-test-{}", uuid::Uuid::new_v4().simple());
        channel
            .queue_declare(
                queue.as_str().into(),
                QueueDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
        channel
            .queue_bind(
                queue.as_str().into(),
                exchange.into(),
                binding.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        Rabbit {
            channel,
            queue,
            exchange: exchange.to_string(),
            _conn: conn,
        }
    }

    /// Takes what the queue holds now: (message_id, type, routing key, body).
    async fn drain(&self) -> Vec<(String, String, String, Value)> {
        use lapin::options::*;
        let mut out = Vec::new();
        while let Some(m) = self
            .channel
            .basic_get(self.queue.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            let p = &m.delivery.properties;
            out.push((
                p.message_id()
                    .as_ref()
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                p.kind().as_ref().map(|s| s.to_string()).unwrap_or_default(),
                m.delivery.routing_key.to_string(),
                serde_json::from_slice(&m.delivery.data).unwrap(),
            ));
        }
        out
    }

    async fn delete(self) {
        use lapin::options::*;
        let _ = self
            .channel
            .queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
            .await;
        let _ = self
            .channel
            .exchange_delete(
                self.exchange.as_str().into(),
                ExchangeDeleteOptions::default(),
            )
            .await;
    }
}

/// Waits until `check` holds, reading again every 200 ms, for at most `secs`.
async fn until<T>(secs: u64, what: &str, mut read: impl AsyncFnMut() -> (bool, T)) -> T
where
    T: std::fmt::Debug,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (done, value) = read().await;
        if done {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: {value:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The ids of the device's `message.received` events in the database, in seq order.
async fn recorded_ids(database_url: &str, device: &str) -> Vec<String> {
    let store = wuts_store::Store::connect(database_url, 1).await.unwrap();
    let ids = store
        .event_data_for_tests(device, "message.received")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    store.close().await;
    ids
}

async fn send_texts(sim: &SimServer, from: &str, to: &str, range: std::ops::Range<usize>) {
    let http = reqwest::Client::new();
    for i in range {
        let r = http
            .post(format!("{}/admin/send", sim.http_url()))
            .json(&json!({"from": from, "to": to, "text": format!("burst-{i}")}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
}

async fn inbound_reaches_both_brokers(b: Backend) {
    let nats = Nats::start().await;
    let stream = format!("WUTS{}", uuid::Uuid::new_v4().simple());
    let exchange = format!("wuts.test.{}", uuid::Uuid::new_v4().simple());
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (nats_url, stream_name, ex) = (nats.url(), stream.clone(), exchange.clone());
    let app = gateway_with(b, &sim, move |c| {
        c.events_nats_url = Some(nats_url);
        c.events_nats_stream = stream_name;
        c.events_amqp_url = Some(format!("amqp://guest:guest@{RABBIT}/%2f"));
        c.events_amqp_exchange = ex;
    })
    .await;
    let (tenant, _, admin) = app.register("brokers").await;
    let device = app.device(&admin, "d").await;
    let rabbit = Rabbit::bind(&exchange, &format!("{tenant}.#")).await;
    sim_post(&sim, "/admin/accounts", json!({"phone": "15558880002"})).await;
    pair(&app, &sim, &admin, "15558880001").await;
    wait_connected(&app, &admin).await;

    // Both outputs report themselves up, in GET /events/outputs and GET /ready.
    let outputs = until(20, "outputs up", async || {
        let (_, o) = app.get("/events/outputs", &admin).await;
        let up = o["outputs"]
            .as_array()
            .is_some_and(|a| a.len() == 2 && a.iter().all(|x| x["state"] == json!("up")));
        (up, o)
    })
    .await;
    assert_eq!(outputs["enabled"], json!(true), "{outputs}");
    assert_eq!(outputs["enabled_events"], Value::Null);
    assert_eq!(outputs["outputs"][0]["name"], json!("nats"));
    assert_eq!(outputs["outputs"][0]["destination"], json!(stream));
    assert_eq!(outputs["outputs"][1]["name"], json!("rabbitmq"));
    assert_eq!(
        outputs["outputs"][1]["target"],
        json!(format!("amqp://{RABBIT}/%2f"))
    );
    let (_, ready) = app.get("/ready", &admin).await;
    assert_eq!(
        ready["outputs"].as_array().map(Vec::len),
        Some(2),
        "{ready}"
    );

    send_texts(&sim, "15558880002", "15558880001", 0..20).await;
    let subject = format!("wuts.{tenant}.{device}.message.received");
    let on_nats = until(30, "20 messages on JetStream", async || {
        let got = nats.read_all(&stream, &subject).await;
        (got.len() >= 20, got)
    })
    .await;
    let ids = recorded_ids(&app.database_url, &device).await;
    assert_eq!(ids.len(), 20);
    let nats_ids: Vec<_> = on_nats.iter().map(|m| m.0.clone()).collect();
    assert_eq!(nats_ids, ids, "JetStream: not the recorded events in order");
    for (i, (id, subj, body)) in on_nats.iter().enumerate() {
        assert_eq!(subj, &subject);
        assert_eq!(body["id"], json!(id));
        assert_eq!(body["event"], json!("message.received"));
        assert_eq!(body["device_id"], json!(device));
        assert_eq!(
            body["data"]["content"],
            json!(format!("burst-{i}")),
            "{body}"
        );
    }
    let mut on_rabbit = Vec::new();
    until(30, "20 messages on RabbitMQ", async || {
        on_rabbit.extend(
            rabbit
                .drain()
                .await
                .into_iter()
                .filter(|m| m.1 == "message.received"),
        );
        (on_rabbit.len() >= 20, on_rabbit.len())
    })
    .await;
    let rabbit_ids: Vec<_> = on_rabbit.iter().map(|m| m.0.clone()).collect();
    assert_eq!(
        rabbit_ids, ids,
        "RabbitMQ: not the recorded events in order"
    );
    for (id, _, key, body) in &on_rabbit {
        assert_eq!(key, &format!("{tenant}.{device}.message.received"));
        assert_eq!(body["id"], json!(id));
    }

    // The tenant narrows what goes out: only message.sent from now on.
    let (_, user) = app.user(&admin, "user").await;
    let body = json!({"enabled_events": ["message.sent"]});
    let (st, r) = app
        .call(
            Method::PUT,
            "/events/outputs",
            Some(&user),
            Some(body.clone()),
        )
        .await;
    assert_error(st, &r, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (st, r) = app
        .call(
            Method::PUT,
            "/events/outputs",
            Some(&admin),
            Some(json!({"enabled_events": ["no.such.event"]})),
        )
        .await;
    assert_error(st, &r, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (st, r) = app
        .call(Method::PUT, "/events/outputs", Some(&admin), Some(body))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["enabled_events"], json!(["message.sent"]));
    send_texts(&sim, "15558880002", "15558880001", 20..21).await;
    let (st, sent) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": "15558880002", "text": "filtered"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{sent}");
    let sent_subject = format!("wuts.{tenant}.{device}.message.sent");
    until(30, "message.sent on JetStream", async || {
        let got = nats.read_all(&stream, &sent_subject).await;
        (!got.is_empty(), got.len())
    })
    .await;
    // The message.received recorded before it stayed out.
    assert_eq!(recorded_ids(&app.database_url, &device).await.len(), 21);
    assert_eq!(nats.read_all(&stream, &subject).await.len(), 20);
    app.stop().await;
    rabbit.delete().await;
}

/// Both brokers become unreachable in the middle of 1,000 inbound messages and come back:
/// every event arrives in order, once on JetStream, at least once with stable ids on RabbitMQ.
async fn broker_outage_during_a_burst(b: Backend) {
    const N: usize = 1000;
    let mut nats = Nats::start().await;
    let stream = format!("WUTS{}", uuid::Uuid::new_v4().simple());
    let exchange = format!("wuts.test.{}", uuid::Uuid::new_v4().simple());
    let relay = Cut::start(RABBIT).await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (nats_url, stream_name, ex, amqp) =
        (nats.url(), stream.clone(), exchange.clone(), relay.url());
    let app: TestApp = gateway_with(b, &sim, move |c| {
        c.events_nats_url = Some(nats_url);
        c.events_nats_stream = stream_name;
        c.events_amqp_url = Some(amqp);
        c.events_amqp_exchange = ex;
    })
    .await;
    let (tenant, _, admin) = app.register("outage").await;
    let device = app.device(&admin, "d").await;
    let rabbit = Rabbit::bind(&exchange, &format!("{tenant}.*.message.received")).await;
    sim_post(&sim, "/admin/accounts", json!({"phone": "15558880012"})).await;
    pair(&app, &sim, &admin, "15558880011").await;
    wait_connected(&app, &admin).await;

    send_texts(&sim, "15558880012", "15558880011", 0..N / 4).await;
    nats.down();
    relay.cut();
    send_texts(&sim, "15558880012", "15558880011", N / 4..N * 3 / 4).await;
    // The outputs say they are down while events wait.
    until(30, "both outputs down", async || {
        let (_, o) = app.get("/events/outputs", &admin).await;
        let down = o["outputs"]
            .as_array()
            .is_some_and(|a| a.iter().all(|x| x["state"] == json!("down")));
        (down, o)
    })
    .await;
    nats.up().await;
    relay.restore();
    send_texts(&sim, "15558880012", "15558880011", N * 3 / 4..N).await;

    check_burst(
        &app.database_url,
        &nats,
        &stream,
        &rabbit,
        &device,
        N,
        Recorded::All,
    )
    .await;
    let (_, o) = app.get("/events/outputs", &admin).await;
    assert!(
        o["outputs"][0]["retries"].as_u64().unwrap() > 0,
        "the outage was never seen: {o}"
    );
    app.stop().await;
    rabbit.delete().await;
}

enum Recorded {
    /// All `n` messages must be recorded.
    All,
    /// Whatever was recorded once recording settles.
    Settled,
}

/// Waits until both brokers hold all `n` recorded `message.received` events of the device and
/// checks them: JetStream exactly once in seq order; RabbitMQ in seq order once repeats (same
/// id) are dropped.
async fn check_burst(
    database_url: &str,
    nats: &Nats,
    stream: &str,
    rabbit: &Rabbit,
    device: &str,
    n: usize,
    recorded: Recorded,
) {
    let ids = match recorded {
        Recorded::All => {
            until(90, "every message recorded", async || {
                let ids = recorded_ids(database_url, device).await;
                (ids.len() >= n, ids.len())
            })
            .await;
            let ids = recorded_ids(database_url, device).await;
            assert_eq!(ids.len(), n);
            ids
        }
        Recorded::Settled => {
            // Across a SIGKILL the inbound side can still lose a message that was on the wire
            // (a known gateway/wa-sim gap, `crash::kill_during_inbound_burst`); what the outputs
            // promise is every recorded event, so wait until recording settles.
            let mut last = (0, Instant::now());
            until(90, "recording to settle", async || {
                let len = recorded_ids(database_url, device).await.len();
                if len != last.0 {
                    last = (len, Instant::now());
                }
                let settled =
                    len >= n || (len > n * 9 / 10 && last.1.elapsed() > Duration::from_secs(5));
                (settled, len)
            })
            .await;
            recorded_ids(database_url, device).await
        }
    };
    let n = ids.len();
    let subject = format!("wuts.*.{device}.message.received");
    until(90, "every event on JetStream", async || {
        let got = nats.read_all(stream, &subject).await;
        (got.len() >= n, got.len())
    })
    .await;
    // Read again: nothing beyond n (no duplicates).
    let got: Vec<String> = nats
        .read_all(stream, &subject)
        .await
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(got.len(), n, "JetStream holds duplicates");
    assert!(got == ids, "JetStream: not the recorded events in order");
    let mut on_rabbit: Vec<String> = Vec::new();
    until(90, "every event on RabbitMQ", async || {
        for m in rabbit.drain().await {
            if m.1 != "message.received" {
                continue;
            }
            if on_rabbit.last() != Some(&m.0) && !on_rabbit.contains(&m.0) {
                on_rabbit.push(m.0);
            }
        }
        (on_rabbit.len() >= n, on_rabbit.len())
    })
    .await;
    assert!(
        on_rabbit == ids,
        "RabbitMQ: not the recorded events in order"
    );
}

/// The gateway (the real binary) is SIGKILLed in the middle of 1,000 inbound messages and
/// started again: every event still reaches both brokers, in order, once on JetStream.
async fn gateway_killed_during_a_burst(b: Backend) {
    const N: usize = 1000;
    let nats = Nats::start().await;
    let stream = format!("WUTS{}", uuid::Uuid::new_v4().simple());
    let exchange = format!("wuts.test.{}", uuid::Uuid::new_v4().simple());
    let dir = tempfile::tempdir().unwrap();
    let (db, pg) = fresh_db(b, dir.path()).await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let master = uuid::Uuid::new_v4().to_string();
    let amqp = format!("amqp://guest:guest@{RABBIT}/%2f");
    let env = [
        ("WUTS_EVENTS_NATS_URL", nats.url()),
        ("WUTS_EVENTS_NATS_STREAM", stream.clone()),
        ("WUTS_EVENTS_AMQP_URL", amqp),
        ("WUTS_EVENTS_AMQP_EXCHANGE", exchange.clone()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let gw = Gateway::start_with(&db, &sim, &master, &env).await;
    let (token, device) = gw.tenant_with_device(&master, "killed").await;
    let rabbit = Rabbit::bind(&exchange, "#").await;
    sim_post(&sim, "/admin/accounts", json!({"phone": "15558880022"})).await;
    let (_, qr) = gw.call(Method::GET, "/qr", &token, None).await;
    sim_post(
        &sim,
        "/admin/scan-qr",
        json!({"qr": qr["data"]["qr_code"], "phone": "15558880021"}),
    )
    .await;
    gw.status_until_connected(&token).await;
    send_texts(&sim, "15558880022", "15558880021", 0..N / 2).await;
    gw.kill9();
    send_texts(&sim, "15558880022", "15558880021", N / 2..N).await;
    let gw = Gateway::start_with(&db, &sim, &master, &env).await;
    gw.status_until_connected(&token).await;
    check_burst(&db, &nats, &stream, &rabbit, &device, N, Recorded::Settled).await;
    drop(gw);
    rabbit.delete().await;
    drop_db(pg).await;
}
