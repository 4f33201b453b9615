//! The simulated phone acting as the other party through the admin API: sending, reading,
//! blocking.

mod common;

use common::{admin_get, admin_post, init_logs, paired, text_of};
use serde_json::json;
use wa_sim::SimServer;
use whatsapp_rust::prelude::Event;
use whatsapp_rust::wacore::types::presence::ReceiptType;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_sends_reads_and_blocks() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut a, mut b) = tokio::join!(paired(&sim, "15550008001"), paired(&sim, "15550008002"));

    // B's phone writes to A: A's companion receives it; B's companion sees it as its own.
    let (st, sent) = admin_post(&sim, "/admin/send", json!({"from": "15550008002", "to": "15550008001@s.whatsapp.net", "text": "from the phone"})).await;
    assert_eq!(st, 200, "{sent}");
    let got = a
        .wait_for(20, "the phone's text", |e| {
            text_of(e).as_deref() == Some("from the phone")
        })
        .await;
    let info = got.messages().next().unwrap().info.clone();
    assert_eq!(info.source.sender.user, "15550008002");
    assert_eq!(info.id, sent["id"].as_str().unwrap());
    b.wait_for(20, "the phone's text mirrored", |e| {
        e.messages().any(|m| {
            let mirrored = m
                .message
                .device_sent_message
                .as_option()
                .and_then(|d| d.message.as_option())
                .and_then(|m| m.conversation.as_deref());
            let direct = m.message.conversation.as_deref();
            m.info.source.is_from_me
                && (mirrored == Some("from the phone") || direct == Some("from the phone"))
        })
    })
    .await;

    // A writes to B; B's phone reads it: A sees the read receipt.
    let jid_b: Jid = "15550008002@s.whatsapp.net".parse().unwrap();
    let out = a
        .handle
        .client()
        .send_message(
            jid_b,
            wa::Message {
                conversation: Some("read me".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    b.wait_for(20, "a's text", |e| text_of(e).as_deref() == Some("read me"))
        .await;
    let (st, _) = admin_post(
        &sim,
        "/admin/read",
        json!({"phone": "15550008002", "chat": "15550008001", "ids": [out.message_id]}),
    )
    .await;
    assert_eq!(st, 200);
    a.wait_for(20, "read receipt from b's phone", |e| {
        matches!(e, Event::Receipt(r) if r.message_ids.contains(&out.message_id) && r.r#type == ReceiptType::Read)
    })
    .await;

    // B's phone blocks A.
    let (st, list) = admin_post(
        &sim,
        "/admin/block",
        json!({"phone": "15550008002", "jid": "15550008001@s.whatsapp.net"}),
    )
    .await;
    assert_eq!(st, 200);
    let (_, dump_a) = admin_get(&sim, "/admin/accounts/15550008001").await;
    assert_eq!(list["blocklist"], json!([dump_a["lid"]]));
    let (_, dump_b) = admin_get(&sim, "/admin/accounts/15550008002").await;
    assert_eq!(dump_b["blocklist"], json!([dump_a["lid"]]));
    let (st, list) = admin_post(
        &sim,
        "/admin/block",
        json!({"phone": "15550008002", "jid": "15550008001", "block": false}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(list["blocklist"], json!([]));
    a.stop().await;
    b.stop().await;
    sim.stop().await;
}
