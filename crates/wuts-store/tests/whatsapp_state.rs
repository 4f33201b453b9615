//! whatsapp-rust clients whose whole session state lives in our database (SQLite and PostgreSQL):
//! paired through wa-sim, stopped, started again from the database alone.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use wa_sim::SimServer;
use whatsapp_rust::bot::{Bot, BotHandle};
use whatsapp_rust::prelude::Event;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;
use whatsapp_rust::TokioRuntime;
use whatsapp_rust_tokio_transport::TokioWebSocketTransportFactory;
use whatsapp_rust_ureq_http_client::UreqHttpClient;
use wuts_core::token::TokenHash;
use wuts_core::{Device, Role, Tenant, User};
use wuts_store::users::NewUser;
use wuts_store::whatsapp::WaStore;
use wuts_store::Store;

struct Client {
    handle: BotHandle,
    events: mpsc::UnboundedReceiver<Arc<Event>>,
}

impl Client {
    async fn start(sim: &SimServer, state: WaStore) -> Self {
        let (tx, events) = mpsc::unbounded_channel();
        let bot = Bot::builder()
            .with_backend(state)
            .with_transport_factory(TokioWebSocketTransportFactory::new().with_url(sim.ws_url()))
            .with_http_client(UreqHttpClient::new())
            .with_runtime(TokioRuntime)
            .with_version((2, 3000, 1_030_000_000))
            .on_event(move |e, _| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(e);
                }
            })
            .build()
            .await
            .expect("bot builds");
        Self {
            handle: bot.spawn(),
            events,
        }
    }

    async fn wait_for(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Arc<Event> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(e)) if pred(&e) => return e,
                Ok(Some(_)) => continue,
                _ => panic!("timed out waiting for {what}"),
            }
        }
    }
}

/// A store with one tenant, user and `n` devices; answers the device ids.
async fn fixture(store: &Store, n: usize) -> Vec<String> {
    let now = 1_700_000_000_000;
    let tenant = Tenant {
        id: uuid::Uuid::new_v4().to_string(),
        name: format!("t-{}", uuid::Uuid::new_v4()),
        created_at: now,
        updated_at: now,
    };
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        email: "a@b.test".into(),
        role: Role::Admin,
        active: true,
        pending_webhook_url: None,
        created_at: now,
        updated_at: now,
    };
    store
        .create_tenant_with_user(
            &tenant,
            &NewUser {
                user: &user,
                password_hash: "x",
                token_hash: TokenHash::of(&uuid::Uuid::new_v4().to_string()),
            },
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let d = Device {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: tenant.id.clone(),
            user_id: user.id.clone(),
            name: format!("d{i}"),
            jid: None,
            phone_number: None,
            connected: false,
            last_seen: None,
            created_at: now,
            updated_at: now,
        };
        store.create_device(&d, None).await.unwrap();
        ids.push(d.id);
    }
    ids
}

async fn pair(sim: &SimServer, state: WaStore, phone: &str) -> Client {
    let mut c = Client::start(sim, state).await;
    let e = c
        .wait_for("qr", |e| matches!(e, Event::PairingQrCode(_)))
        .await;
    let Event::PairingQrCode(q) = &*e else {
        unreachable!()
    };
    let res = reqwest::Client::new()
        .post(format!("{}/admin/scan-qr", sim.http_url()))
        .json(&serde_json::json!({"qr": q.code, "phone": phone}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    c.wait_for("connected", |e| matches!(e, Event::Connected(_)))
        .await;
    c
}

async fn state_survives_restart(url: &str) {
    let store = Store::connect(url, 4).await.unwrap();
    store.migrate().await.unwrap();
    let ids = fixture(&store, 2).await;
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (a, b) = tokio::join!(
        pair(
            &sim,
            WaStore::new(store.clone(), ids[0].clone()),
            "15551110001"
        ),
        pair(
            &sim,
            WaStore::new(store.clone(), ids[1].clone()),
            "15551110002"
        )
    );
    let jid_a: Jid = "15551110001@s.whatsapp.net".parse().unwrap();
    let jid_b: Jid = "15551110002@s.whatsapp.net".parse().unwrap();
    a.handle
        .client()
        .send_message(
            jid_b.clone(),
            wa::Message {
                conversation: Some("before".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut b = b;
    b.wait_for("text before restart", |e| {
        e.messages()
            .any(|m| m.message.conversation.as_deref() == Some("before"))
    })
    .await;
    a.handle.shutdown().await;
    b.handle.shutdown().await;

    // Everything the clients need is in the database: they log in again without a QR, with
    // their Signal sessions intact.
    let mut a = Client::start(&sim, WaStore::new(store.clone(), ids[0].clone())).await;
    let mut b = Client::start(&sim, WaStore::new(store.clone(), ids[1].clone())).await;
    a.wait_for("a connected again", |e| {
        assert!(
            !matches!(e, Event::PairingQrCode(_)),
            "a asked for a QR again"
        );
        matches!(e, Event::Connected(_))
    })
    .await;
    b.wait_for("b connected again", |e| {
        assert!(
            !matches!(e, Event::PairingQrCode(_)),
            "b asked for a QR again"
        );
        matches!(e, Event::Connected(_))
    })
    .await;
    b.handle
        .client()
        .send_message(
            jid_a,
            wa::Message {
                conversation: Some("after".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    a.wait_for("text after restart", |e| {
        e.messages()
            .any(|m| m.message.conversation.as_deref() == Some("after"))
    })
    .await;
    a.handle.shutdown().await;
    b.handle.shutdown().await;

    // Deleting a device takes its state with it.
    let tenant_id: String = {
        use sqlx::Row;
        let r = sqlx::query("SELECT tenant_id FROM devices WHERE id = $1")
            .bind(&ids[0])
            .fetch_one(&store.pool_for_tests())
            .await
            .unwrap();
        r.get(0)
    };
    assert!(store.delete_device(&tenant_id, &ids[0]).await.unwrap());
    assert_eq!(store.count_wa_state_for_tests(&ids[0]).await, 0);
    assert!(store.count_wa_state_for_tests(&ids[1]).await > 0);
    sim.stop().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    state_survives_restart(&format!("sqlite://{}/wuts.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_state_survives_restart() {
    with_pg_database(|url| async move { state_survives_restart(&url).await }).await;
}

/// Redelivered inbound messages are recorded once, under the id they first got.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/wuts.db", dir.path().display()), 2)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ids = fixture(&store, 1).await;
    let batch = vec![
        (
            "m1".to_string(),
            "message.received",
            r#"{"n":1}"#.to_string(),
        ),
        (
            "m2".to_string(),
            "message.received",
            r#"{"n":2}"#.to_string(),
        ),
    ];
    store.record_events_once(&ids[0], &batch, 1).await.unwrap();
    store
        .record_events_once(&ids[0], &batch[1..], 2)
        .await
        .unwrap();
    let events = store.all_events_for_tests(&ids[0]).await;
    assert_eq!(events, vec!["message.received", "message.received"]);
    store.close().await;
}

/// A sealed store writes nothing, through any clone; a new store of the same device writes again.
/// A wiped store's late writes cannot bring the session back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_and_wiped_stores_write_nothing() {
    use wacore::store::traits::{DeviceStore, SignalStore};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}/wuts.db", dir.path().display()), 2)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ids = fixture(&store, 1).await;

    let old = WaStore::new(store.clone(), ids[0].clone());
    let client_side = old.clone();
    old.create().await.unwrap();
    old.seal().await;
    client_side.put_identity("a", [7; 32]).await.unwrap();
    assert_eq!(client_side.load_identity("a").await.unwrap(), None);

    let next = WaStore::new(store.clone(), ids[0].clone());
    next.put_identity("a", [8; 32]).await.unwrap();
    client_side.delete_identity("a").await.unwrap();
    assert_eq!(next.load_identity("a").await.unwrap(), Some([8; 32]));

    next.wipe().await.unwrap();
    next.save(&wacore::store::Device::new()).await.unwrap();
    assert!(!next.exists().await.unwrap());
    assert_eq!(next.load_identity("a").await.unwrap(), None);
    store.close().await;
}

fn presence(id: String) -> wuts_store::events::NewEvent {
    let event = wuts_core::events::Event::ChatPresence(Default::default());
    wuts_store::events::NewEvent::with_id(id, &event)
}

/// Concurrent writers of one device's events (the durability hook and the event handler do
/// this) get distinct, gap-free numbers, on both databases.
async fn event_numbers_unique(url: &str) {
    let store = Store::connect(url, 8).await.unwrap();
    store.migrate().await.unwrap();
    let ids = fixture(&store, 1).await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let (store, device) = (store.clone(), ids[0].clone());
        tasks.push(tokio::spawn(async move {
            store
                .record_event(&device, &presence(format!("e{i}")), 1)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seqs: Vec<i64> = store
        .pending_events(&ids[0], 1000)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=64).collect::<Vec<i64>>());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_event_numbers_unique() {
    let dir = tempfile::tempdir().unwrap();
    event_numbers_unique(&format!("sqlite://{}/wuts.db", dir.path().display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_event_numbers_unique() {
    with_pg_database(|url| async move { event_numbers_unique(&url).await }).await;
}

/// Runs `test` against a throw-away PostgreSQL database (skipped with `WUTS_TEST_PG_URL=off`).
async fn with_pg_database<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let admin = match std::env::var("WUTS_TEST_PG_URL") {
        Ok(v) if v == "off" => return,
        Ok(v) => v,
        Err(_) => "postgres://postgres@127.0.0.1:5432/postgres".into(),
    };
    let db = format!("wuts_t_{}", uuid::Uuid::new_v4().simple());
    let admin_store = Store::connect(&admin, 1).await.unwrap();
    admin_store
        .execute_for_tests(&format!("CREATE DATABASE {db}"))
        .await;
    let base = admin.rsplit_once('/').unwrap().0;
    test(format!("{base}/{db}")).await;
    admin_store
        .execute_for_tests(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .await;
}
