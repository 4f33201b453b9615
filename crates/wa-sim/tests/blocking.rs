//! Block and unblock: in the account dump, in the client's blocklist, and in delivery.

mod common;

use common::{admin_get, init_logs, paired, text_of};
use serde_json::json;
use wa_sim::SimServer;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_and_unblock() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut a, b) = tokio::join!(paired(&sim, "15550005001"), paired(&sim, "15550005002"));
    let (_, b_dump) = admin_get(&sim, "/admin/accounts/15550005002").await;
    let b_lid = b_dump["lid"].as_str().unwrap().to_string();
    let jid_a: Jid = "15550005001@s.whatsapp.net".parse().unwrap();
    let jid_b: Jid = "15550005002@s.whatsapp.net".parse().unwrap();

    // A learns B's LID from B's first message (its stanza carries both identities).
    let msg = |s: &str| wa::Message {
        conversation: Some(s.into()),
        ..Default::default()
    };
    b.handle
        .client()
        .send_message(jid_a.clone(), msg("hi"))
        .await
        .expect("send");
    a.wait_for(20, "b's first text", |e| {
        text_of(e).as_deref() == Some("hi")
    })
    .await;

    a.handle
        .client()
        .blocking()
        .block(&jid_b)
        .await
        .expect("block");
    let (_, dump) = admin_get(&sim, "/admin/accounts/15550005001").await;
    assert_eq!(dump["blocklist"], json!([b_lid]), "{dump}");
    let list = a
        .handle
        .client()
        .blocking()
        .get_blocklist()
        .await
        .expect("blocklist");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].jid.to_string(), b_lid);
    assert!(a
        .handle
        .client()
        .blocking()
        .is_blocked(&jid_b)
        .await
        .unwrap());

    // A blocked contact's messages are not delivered.
    b.handle
        .client()
        .send_message(jid_a.clone(), msg("can you hear me"))
        .await
        .expect("send");
    let quiet = a
        .try_wait_for(3, |e| text_of(e).as_deref() == Some("can you hear me"))
        .await;
    assert!(quiet.is_none(), "a blocked contact's text was delivered");

    a.handle
        .client()
        .blocking()
        .unblock(&jid_b)
        .await
        .expect("unblock");
    let (_, dump) = admin_get(&sim, "/admin/accounts/15550005001").await;
    assert_eq!(dump["blocklist"], json!([]), "{dump}");
    assert!(a
        .handle
        .client()
        .blocking()
        .get_blocklist()
        .await
        .unwrap()
        .is_empty());
    b.handle
        .client()
        .send_message(jid_a, msg("and now"))
        .await
        .expect("send");
    a.wait_for(20, "text after unblock", |e| {
        text_of(e).as_deref() == Some("and now")
    })
    .await;
    a.stop().await;
    b.stop().await;
    sim.stop().await;
}
