//! Text between two accounts through the simulator, with delivery and read receipts.

mod common;

use common::{init_logs, paired, text_of};
use wa_sim::SimServer;
use whatsapp_rust::prelude::Event;
use whatsapp_rust::wacore::types::presence::ReceiptType;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

fn text(s: &str) -> wa::Message {
    wa::Message {
        conversation: Some(s.to_string()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_both_ways_with_receipts() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut a, mut b) = tokio::join!(paired(&sim, "15550002001"), paired(&sim, "15550002002"));
    let jid_a: Jid = "15550002001@s.whatsapp.net".parse().unwrap();
    let jid_b: Jid = "15550002002@s.whatsapp.net".parse().unwrap();

    let sent = a
        .handle
        .client()
        .send_message(jid_b.clone(), text("hello from a"))
        .await
        .expect("send");
    let got = b
        .wait_for(20, "a's text at b", |e| {
            text_of(e).as_deref() == Some("hello from a")
        })
        .await;
    let info = got.messages().next().unwrap().info.clone();
    assert_eq!(info.source.sender.user, "15550002001");
    // An inactive client (no presence sent) acknowledges delivery as `inactive`.
    a.wait_for(20, "delivery receipt at a", |e| {
        matches!(e, Event::Receipt(r)
            if r.message_ids.contains(&sent.message_id)
                && matches!(r.r#type, ReceiptType::Delivered | ReceiptType::Inactive))
    })
    .await;

    b.handle
        .client()
        .mark_as_read(&jid_a, None, &[info.id.as_str()])
        .await
        .expect("read");
    a.wait_for(20, "read receipt at a", |e| {
        matches!(e, Event::Receipt(r) if r.message_ids.contains(&sent.message_id) && r.r#type == ReceiptType::Read)
    })
    .await;

    b.handle
        .client()
        .send_message(jid_a, text("hi back"))
        .await
        .expect("reply");
    a.wait_for(20, "b's reply at a", |e| {
        text_of(e).as_deref() == Some("hi back")
    })
    .await;
    a.stop().await;
    b.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_of_one_account_both_receive() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut a, mut b1) = tokio::join!(paired(&sim, "15550003001"), paired(&sim, "15550003002"));
    let mut b2 = paired(&sim, "15550003002").await;
    let (_, dump) = common::admin_get(&sim, "/admin/accounts/15550003002").await;
    assert_eq!(
        dump["devices"].as_array().unwrap().len(),
        3,
        "phone + two companions: {dump}"
    );

    let jid_b: Jid = "15550003002@s.whatsapp.net".parse().unwrap();
    a.handle
        .client()
        .send_message(jid_b, text("to both"))
        .await
        .expect("send");
    b1.wait_for(20, "text at b1", |e| {
        text_of(e).as_deref() == Some("to both")
    })
    .await;
    b2.wait_for(20, "text at b2", |e| {
        text_of(e).as_deref() == Some("to both")
    })
    .await;

    // A message sent from one companion reaches the account's other companion as its own.
    let jid_a: Jid = "15550003001@s.whatsapp.net".parse().unwrap();
    b1.handle
        .client()
        .send_message(jid_a, text("from b1"))
        .await
        .expect("send");
    a.wait_for(20, "b1's text at a", |e| {
        text_of(e).as_deref() == Some("from b1")
    })
    .await;
    let echo = b2
        .wait_for(20, "b1's text mirrored at b2", |e| {
            e.messages().any(|m| {
                m.info.source.is_from_me && {
                    let msg = &m.message;
                    msg.conversation.as_deref() == Some("from b1")
                        || msg
                            .device_sent_message
                            .as_option()
                            .and_then(|d| d.message.as_option())
                            .and_then(|m| m.conversation.as_deref())
                            == Some("from b1")
                }
            })
        })
        .await;
    assert!(echo.messages().next().unwrap().info.source.is_from_me);
    for c in [a, b1, b2] {
        c.stop().await;
    }
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_to_an_offline_device_arrives_when_it_reconnects() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut a, b) = tokio::join!(paired(&sim, "15550004001"), paired(&sim, "15550004002"));
    let backend_b = b.backend.clone();
    b.stop().await;
    // Offline for the server once its socket is gone.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, dump) = common::admin_get(&sim, "/admin/accounts/15550004002").await;
        if dump["devices"][1]["online"] == serde_json::json!(false) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "b never went offline: {dump}"
        );
        tokio::task::yield_now().await;
    }
    let jid_b: Jid = "15550004002@s.whatsapp.net".parse().unwrap();
    let sent = a
        .handle
        .client()
        .send_message(jid_b, text("while you were away"))
        .await
        .expect("send");
    a.wait_for(
        20,
        "server ack of the text",
        |e| matches!(e, Event::ServerAck(ack) if ack.id == sent.message_id),
    )
    .await;
    let (_, dump) = common::admin_get(&sim, "/admin/accounts/15550004002").await;
    assert_eq!(
        dump["queued"]["15550004002:1@s.whatsapp.net"],
        serde_json::json!(1),
        "{dump}"
    );

    let mut b = common::TestClient::start(&sim, backend_b).await;
    let got = b
        .wait_for(40, "queued text at b", |e| {
            text_of(e).as_deref() == Some("while you were away")
        })
        .await;
    assert!(
        got.messages().next().unwrap().info.is_offline,
        "delivered from the offline queue"
    );
    a.wait_for(
        20,
        "delivery receipt at a",
        |e| matches!(e, Event::Receipt(r) if r.message_ids.contains(&sent.message_id)),
    )
    .await;
    let (_, dump) = common::admin_get(&sim, "/admin/accounts/15550004002").await;
    assert!(dump["queued"].as_object().unwrap().is_empty(), "{dump}");
    a.stop().await;
    b.stop().await;
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_typing() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (a, mut b) = tokio::join!(paired(&sim, "15550010001"), paired(&sim, "15550010002"));
    let jid_a: Jid = "15550010001@s.whatsapp.net".parse().unwrap();
    let jid_b: Jid = "15550010002@s.whatsapp.net".parse().unwrap();
    b.handle
        .client()
        .presence()
        .subscribe(jid_a.clone())
        .await
        .expect("subscribe");
    a.handle
        .client()
        .presence()
        .set_available()
        .await
        .expect("available");
    b.wait_for(
        20,
        "a's presence",
        |e| matches!(e, Event::Presence(p) if p.from.user == "15550010001" && !p.unavailable),
    )
    .await;
    a.handle
        .client()
        .chatstate()
        .send_composing(&jid_b)
        .await
        .expect("typing");
    b.wait_for(20, "a typing", |e| matches!(e, Event::ChatPresence(_)))
        .await;
    a.stop().await;
    b.stop().await;
    sim.stop().await;
}
