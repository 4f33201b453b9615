//! Groups through the gateway (issue 13, in part): messages in a group both ways between two
//! gateway devices, over wa-sim's group protocol (sender keys fanned out by the server). The
//! `/groups*` endpoints are still to come; the group here is made by the simulated phones.

use crate::helpers::wa::{gateway, hook, two_accounts};
use crate::helpers::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::SimServer;

both_backends!(texts_in_a_group_reach_the_members);

/// A and B (gateway devices) and C (a phone) in a group: A's text reaches B's webhook from the
/// group with A as sender, and B's answer reaches A.
async fn texts_in_a_group_reach_the_members(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "groups", ["15554440051", "15554440052"]).await;
    let rx_a = hook(&app, &admin, &["message.received"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;
    let group: Value = reqwest::Client::new()
        .post(format!("{}/admin/groups", sim.http_url()))
        .json(&json!({"creator": "15554440051", "subject": "team",
            "participants": ["15554440052", "15554440053"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gjid = group["jid"].as_str().unwrap().to_string();

    for (from, rx, text, sender) in [
        (&admin, &rx_b, "hello team", "15554440051@s.whatsapp.net"),
        (&user_b, &rx_a, "hi all", "15554440052@s.whatsapp.net"),
    ] {
        let (st, r) = app
            .post("/send/text", from, json!({"number": gjid, "text": text}))
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["chat_jid"], json!(gjid));
        let got = rx
            .until(text, |r| {
                r.iter().any(|x| x.1["data"]["content"] == json!(text))
            })
            .await;
        let data = &got
            .iter()
            .find(|x| x.1["data"]["content"] == json!(text))
            .unwrap()
            .1["data"];
        assert_eq!(data["chat_jid"], json!(gjid), "{data}");
        assert_eq!(data["is_group"], json!(true), "{data}");
        assert_eq!(data["from"], json!(sender), "{data}");
    }
    app.stop().await;
    sim.stop().await;
}
