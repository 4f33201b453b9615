//! Messages end to end between two accounts on the gateway: texts both ways with receipts, and
//! every other kind (location, contact cards, polls, reactions, edits, deletes) reaching the
//! other account's webhook.

use crate::helpers::wa::{gateway, hook, pair, two_accounts, Receiver};
use crate::helpers::Backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

/// Two accounts, each on a device of the gateway, and their webhook receivers: the scenario
/// of `text_both_ways_reaches_webhooks`, one named step per method.
struct Talk {
    sim: SimServer,
    app: crate::helpers::TestApp,
    admin: String,
    user_b: String,
    rx_a: Receiver,
    rx_b: Receiver,
}

both_backends!(text_both_ways_reaches_webhooks);

/// A text sent through the API reaches the other side's webhook as `message.received` (with
/// both identities), the receipt comes back as `message.delivered`, and the phone's own text
/// arrives too.
async fn text_both_ways_reaches_webhooks(b: Backend) {
    let talk = Talk::start(b).await;
    let id = talk.a_text_reaches_b_and_its_receipt_comes_back().await;
    talk.the_status_follows_the_receipts(&id).await;
    talk.b_replies_quoting_and_mentioning_a(&id).await;
    talk.a_chat_timer_applies_to_both_sides().await;
    talk.a_group_timer_reaches_b().await;
    let phone_msg = talk.the_phones_text_is_acknowledged().await;
    talk.b_knows_a_by_its_push_name().await;
    talk.bad_receipts_and_sends_are_refused(&phone_msg).await;
    let Talk { sim, app, .. } = talk;
    app.stop().await;
    sim.stop().await;
}

impl Talk {
    /// Both accounts registered, webhooks configured, paired and connected.
    async fn start(b: Backend) -> Talk {
        let sim = SimServer::start("127.0.0.1:0").await.unwrap();
        let app = gateway(b, &sim).await;
        let (rx_a, url_a) = Receiver::start(vec![]).await;
        let (rx_b, url_b) = Receiver::start(vec![]).await;
        let (_, _, admin) = app.register("talk").await;
        let (_, user_b) = app.user(&admin, "user").await;
        app.device(&admin, "a").await;
        app.device(&user_b, "b").await;
        let events = json!([
            "message.received",
            "message.delivered",
            "message.read",
            "chat.presence",
            "offline.sync_completed",
            "group.info"
        ]);
        app.post(
            "/webhook",
            &admin,
            json!({"webhook_url": url_a, "enabled_events": events}),
        )
        .await;
        app.post(
            "/webhook",
            &user_b,
            json!({"webhook_url": url_b, "enabled_events": events}),
        )
        .await;
        pair(&app, &sim, &admin, "15554440011").await;
        pair(&app, &sim, &user_b, "15554440012").await;
        for t in [&admin, &user_b] {
            let deadline = Instant::now() + Duration::from_secs(30);
            while app.get("/status", t).await.1["data"]["connected"] != json!(true) {
                assert!(Instant::now() < deadline, "not connected");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Talk {
            sim,
            app,
            admin,
            user_b,
            rx_a,
            rx_b,
        }
    }

    /// A text from A reaches B with both identities; the delivery receipt comes back to A.
    async fn a_text_reaches_b_and_its_receipt_comes_back(&self) -> String {
        let Talk {
            sim: _,
            app,
            admin,
            user_b: _,
            rx_a,
            rx_b,
        } = self;
        let (st, sent) = app
            .post(
                "/send/text",
                admin,
                json!({"number": "+1 555 444 0012", "text": "hello b"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{sent}");
        assert_eq!(sent["status"], json!("sent"));
        assert_eq!(sent["chat_jid"], json!("15554440012@s.whatsapp.net"));
        let id = sent["message_id"].as_str().unwrap().to_string();
        let got = rx_b
            .until("message.received at b", |r| {
                r.iter().any(|x| x.1["event"] == json!("message.received"))
            })
            .await;
        let data = &got
            .iter()
            .find(|x| x.1["event"] == json!("message.received"))
            .unwrap()
            .1["data"];
        assert_eq!(data["message_id"], json!(id));
        assert_eq!(data["content"], json!("hello b"));
        assert_eq!(data["from"], json!("15554440011@s.whatsapp.net"));
        assert!(
            data["from_lid"]
                .as_str()
                .is_some_and(|l| l.ends_with("@lid")),
            "both identities: {data}"
        );
        rx_a.until("message.delivered at a", |r| {
            r.iter().any(|x| {
                x.1["event"] == json!("message.delivered")
                    && x.1["data"]["message_ids"]
                        .as_array()
                        .unwrap()
                        .contains(&json!(id))
            })
        })
        .await;
        id
    }

    /// The sent message's status follows the receipts: delivered, then read by B.
    async fn the_status_follows_the_receipts(&self, id: &str) {
        let Talk {
            sim: _,
            app,
            admin,
            user_b,
            rx_a,
            rx_b: _,
        } = self;
        // The sent message's status follows the receipts: delivered, then read by B through the API.
        let status_until = |want: &'static str| {
            let (app, admin, id) = (app, admin, id.to_string());
            async move {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let (st, s) = app.get(&format!("/messages/{id}/status"), admin).await;
                    assert_eq!(st, StatusCode::OK, "{s}");
                    if s["status"] == json!(want) {
                        return s;
                    }
                    assert!(Instant::now() < deadline, "status never {want}: {s}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let s = status_until("delivered").await;
        assert_eq!(s["chat_jid"], json!("15554440012@s.whatsapp.net"));
        assert_eq!(s["is_group"], json!(false));
        assert!(
            s["delivered_at"].is_string() && s["read_at"].is_null(),
            "{s}"
        );
        let (st, r) = app
            .post(
                &format!("/messages/{id}/read"),
                user_b,
                json!({"chat_jid": "15554440011@s.whatsapp.net", "sender_jid": "15554440011"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["receipt_type"], json!("read"));
        assert_eq!(r["message_ids"], json!([id]));
        let s = status_until("read").await;
        assert!(s["read_at"].is_string(), "{s}");
        rx_a.until("message.read at a", |r| {
            r.iter().any(|x| {
                x.1["event"] == json!("message.read")
                    && x.1["data"]["message_ids"]
                        .as_array()
                        .unwrap()
                        .contains(&json!(id))
            })
        })
        .await;
        let (st, e) = app.get("/messages/NOSUCHID/status", admin).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
        // B received it, but did not send it: no status there.
        let (st, _) = app.get(&format!("/messages/{id}/status"), user_b).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }

    /// B replies, quoting A's message and mentioning A.
    async fn b_replies_quoting_and_mentioning_a(&self, id: &str) {
        let Talk {
            sim: _,
            app,
            admin: _,
            user_b,
            rx_a,
            rx_b: _,
        } = self;
        // B replies, quoting A's message and mentioning A; the answer names both identities.
        let (st, reply) = app
            .post(
                "/send/text",
                user_b,
                json!({"number": "15554440011", "text": "@15554440011 got it",
                       "quoted": {"key": {"id": id, "fromMe": false}},
                       "mentioned": ["15554440011"], "typingDuration": 0.2}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{reply}");
        assert_eq!(reply["metadata"]["quoted_message_found"], json!(true));
        assert_eq!(reply["metadata"]["mentions_processed"], json!(1));
        assert_eq!(reply["metadata"]["presence_sent"], json!(true));
        assert_eq!(
            reply["recipient"]["phone_jid"],
            json!("15554440011@s.whatsapp.net")
        );
        assert!(
            reply["recipient"]["lid"]
                .as_str()
                .is_some_and(|l| l.ends_with("@lid")),
            "{reply}"
        );
        let reply_id = reply["message_id"].as_str().unwrap().to_string();
        let got = rx_a
            .until("the reply at a", |r| {
                r.iter()
                    .any(|x| x.1["data"]["message_id"] == json!(reply_id))
            })
            .await;
        let data = &got
            .iter()
            .find(|x| x.1["data"]["message_id"] == json!(reply_id))
            .unwrap()
            .1["data"];
        assert_eq!(data["content"], json!("@15554440011 got it"));
        // B's "typing…" before the reply reached A as chat.presence, with both of B's identities;
        // each connection's offline sync was reported.
        let got = rx_a
            .until("chat.presence at a", |r| {
                r.iter().any(|x| x.1["event"] == json!("chat.presence"))
            })
            .await;
        let typing = &got
            .iter()
            .find(|x| x.1["event"] == json!("chat.presence"))
            .unwrap()
            .1["data"];
        assert_eq!(
            typing["sender_pn"],
            json!("15554440012@s.whatsapp.net"),
            "{typing}"
        );
        assert!(
            typing["sender_lid"]
                .as_str()
                .is_some_and(|l| l.ends_with("@lid")),
            "{typing}"
        );
        assert!(got
            .iter()
            .any(|x| x.1["event"] == json!("offline.sync_completed")));
        assert_eq!(data["quoted_message_id"], json!(id));
        assert_eq!(data["mentions"], json!(["15554440011@s.whatsapp.net"]));
    }

    /// A turns on disappearing messages with B: both sides' messages carry the timer.
    async fn a_chat_timer_applies_to_both_sides(&self) {
        let Talk {
            sim: _,
            app,
            admin,
            user_b,
            rx_a,
            rx_b,
        } = self;
        // A turns on disappearing messages in the chat with B: B's client sees the timer.
        let (st, r) = app
            .call(
                reqwest::Method::PUT,
                "/chats/15554440012@s.whatsapp.net/disappearing",
                Some(admin),
                Some(json!({"preset": "7d"})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["seconds"], json!(604800));
        assert_eq!(r["preset"], json!("7d"));
        rx_b.until("the timer at b", |r| {
            r.iter().any(|x| {
                x.1["data"]["message_type"] == json!("ephemeral_setting")
                    && x.1["data"]["ephemeral_expiration"] == json!(604800)
                    && x.1["data"]["from"] == json!("15554440011@s.whatsapp.net")
            })
        })
        .await;

        // From then on both sides' messages in that chat disappear after 7 days, as a phone's do:
        // A's because A set it, B's because B's device saw A set it.
        for (from, to, rx, text) in [
            (&admin, "15554440012", &rx_b, "from a, timed"),
            (&user_b, "15554440011", &rx_a, "from b, timed"),
        ] {
            let (st, r) = app
                .post("/send/text", from, json!({"number": to, "text": text}))
                .await;
            assert_eq!(st, StatusCode::OK, "{r}");
            rx.until(text, |r| {
                r.iter().any(|x| {
                    x.1["data"]["content"] == json!(text)
                        && x.1["data"]["ephemeral_expiration"] == json!(604800)
                })
            })
            .await;
        }
    }

    /// In a group of A and B, A sets the timer: the server holds it and B is told.
    async fn a_group_timer_reaches_b(&self) {
        let Talk {
            sim,
            app,
            admin,
            user_b: _,
            rx_a: _,
            rx_b,
        } = self;
        // In a group of A and B, A sets the timer: the server holds it and B's device is told.
        let group: Value = reqwest::Client::new()
            .post(format!("{}/admin/groups", sim.http_url()))
            .json(
                &json!({"creator": "15554440011", "subject": "team", "participants": ["15554440012"]}),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let gjid = group["jid"].as_str().unwrap().to_string();
        let (st, r) = app
            .call(
                reqwest::Method::PUT,
                &format!("/chats/{gjid}/disappearing"),
                Some(admin),
                Some(json!({"seconds": 86400})),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["preset"], json!("24h"));
        let held: Value = reqwest::get(format!("{}/admin/groups/{gjid}", sim.http_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(held["ephemeral"], json!(86400), "{held}");
        let got = rx_b
            .until("the group timer at b", |r| {
                r.iter().any(|x| {
                    x.1["event"] == json!("group.info") && x.1["data"]["group_jid"] == json!(gjid)
                })
            })
            .await;
        let info = &got
            .iter()
            .find(|x| x.1["event"] == json!("group.info"))
            .unwrap()
            .1["data"];
        assert!(info.to_string().contains("86400"), "{info}");
    }

    /// A's phone writes to B; B acknowledges it through the API and the phone gets the receipts.
    async fn the_phones_text_is_acknowledged(&self) -> String {
        let Talk {
            sim,
            app,
            admin: _,
            user_b,
            rx_a: _,
            rx_b,
        } = self;
        // The simulated phone of A writes to B; B acknowledges it through the API, and the phone
        // gets the receipts.
        let res = reqwest::Client::new()
            .post(format!("{}/admin/send", sim.http_url()))
            .json(&json!({"from": "15554440011", "to": "15554440012", "text": "from a's phone"}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let got = rx_b
            .until("the phone's text at b", |r| {
                r.iter()
                    .any(|x| x.1["data"]["content"] == json!("from a's phone"))
            })
            .await;
        let phone_msg = got
            .iter()
            .find(|x| x.1["data"]["content"] == json!("from a's phone"))
            .unwrap()
            .1["data"]["message_id"]
            .as_str()
            .unwrap()
            .to_string();
        for kind in ["delivered", "read"] {
            let (st, r) = app
                .post(
                    &format!("/messages/{phone_msg}/{kind}"),
                    user_b,
                    json!({"chat_jid": "15554440011@s.whatsapp.net"}),
                )
                .await;
            assert_eq!(st, StatusCode::OK, "{r}");
            assert_eq!(r["sender_jid"], json!("15554440011@s.whatsapp.net"));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let dump: Value =
                reqwest::get(format!("{}/admin/accounts/15554440011", sim.http_url()))
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
            let kinds: Vec<&str> = dump["receipts"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["ids"].as_array().unwrap().contains(&json!(phone_msg)))
                .filter_map(|r| r["type"].as_str())
                .collect();
            if kinds.contains(&"delivery") && kinds.contains(&"read") {
                break;
            }
            assert!(Instant::now() < deadline, "phone receipts: {dump}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        phone_msg
    }

    /// B's contacts list A by the push name its messages carried.
    async fn b_knows_a_by_its_push_name(&self) {
        let Talk {
            sim: _,
            app,
            admin: _,
            user_b,
            rx_a: _,
            rx_b: _,
        } = self;
        // B's contacts: A, by the push name its messages carried.
        let (st, c) = app.get("/contacts", user_b).await;
        assert_eq!(st, StatusCode::OK, "{c}");
        let a = c["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["jid"] == json!("15554440011@s.whatsapp.net"))
            .cloned()
            .unwrap_or_else(|| panic!("A not among B's contacts: {c}"));
        assert_eq!(a["push_name"], json!("Sim 15554440011"), "{a}");
        assert!(
            a["lid"].as_str().is_some_and(|l| l.ends_with("@lid")),
            "{a}"
        );
    }

    /// Receipt requests and sends that cannot be right, and a device without a session.
    async fn bad_receipts_and_sends_are_refused(&self, phone_msg: &str) {
        let Talk {
            sim: _,
            app,
            admin,
            user_b,
            rx_a: _,
            rx_b: _,
        } = self;
        // Receipt requests that cannot be right.
        for body in [
            json!({}),
            json!({"chat_jid": "nope"}),
            json!({"chat_jid": "120363000000000001@g.us"}),
            json!({"chat_jid": "15554440011", "timestamp": -1}),
        ] {
            let (st, e) = app
                .post(&format!("/messages/{phone_msg}/read"), user_b, body.clone())
                .await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
            assert_eq!(e["error_code"], json!("VALIDATION_ERROR"));
        }

        // Bad input and a device without a session.
        let (st, e) = app
            .post("/send/text", admin, json!({"number": "12", "text": "x"}))
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
        let (st, e) = app
            .post(
                "/send/text",
                admin,
                json!({"number": "15554440012", "text": ""}),
            )
            .await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
        let (_, _, other) = app.register("idle").await;
        app.device(&other, "idle").await;
        let (st, e) = app
            .post(
                "/send/text",
                &other,
                json!({"number": "15554440012", "text": "x"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error_code"], json!("DEVICE_NOT_READY"));
        let (st, e) = app
            .post(
                "/messages/X/read",
                &other,
                json!({"chat_jid": "15554440012"}),
            )
            .await;
        assert_eq!(st, StatusCode::CONFLICT, "{e}");
        for body in [
            json!({"number": "15554440012", "text": "x", "delay": 61}),
            json!({"number": "15554440012", "text": "x", "quoted": {"key": {"id": ""}}}),
            json!({"number": "15554440012", "text": "x", "mentions": ["abc"]}),
        ] {
            let (st, e) = app.post("/send/text", admin, body.clone()).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        }
    }
}

both_backends!(message_kinds_reach_the_other_account);

/// Location, contact cards, a poll, a reaction, an edit and a delete sent through the API reach
/// the other account's webhook with their type and fields.
async fn message_kinds_reach_the_other_account(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "kinds", ["15554440031", "15554440032"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;
    let send = |path: &'static str, body: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let (st, r) = app.post(path, admin, body).await;
            assert_eq!(st, StatusCode::OK, "{path}: {r}");
            r["message_id"].as_str().unwrap().to_string()
        }
    };

    let id = send(
        "/send/location",
        json!({"to": "15554440032", "latitude": 38.72, "longitude": -9.14, "name": "Lisbon"}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("location"));
    assert_eq!(d["location"]["latitude"], json!(38.72));
    assert_eq!(d["location"]["name"], json!("Lisbon"));

    let id = send(
        "/send/live-location",
        json!({"to": "15554440032", "latitude": 38.7, "longitude": -9.1, "speed_in_mps": 1.5,
               "caption": "walking", "sequence_number": 3}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("live_location"));
    assert_eq!(d["content"], json!("walking"));
    assert_eq!(d["location"]["sequence_number"], json!(3));

    let id = send(
        "/send/contact",
        json!({"to": "15554440032", "contact": {"display_name": "Ana", "phone": "+351 912 345 678"}}),
    )
    .await;
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("contact"));
    assert!(d["contacts"][0]["vcard"]
        .as_str()
        .unwrap()
        .contains("waid=351912345678"));

    let (st, r) = app
        .post(
            "/send/contacts",
            &admin,
            json!({"to": "15554440032", "contacts": [
                {"display_name": "Ana", "phone": "351912345678"},
                {"display_name": "Rui", "phone": "351912345679"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["contact_count"], json!(2));
    let d = rx_b.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(d["message_type"], json!("contacts"));
    assert_eq!(d["contacts"].as_array().unwrap().len(), 2);

    let (st, r) = app
        .post(
            "/send/poll",
            &admin,
            json!({"to": "15554440032", "question": "Lunch?",
                   "options": [{"option_name": "Yes"}, {"option_name": "No"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["options_count"], json!(2));
    assert_eq!(r["multiple_choice"], json!(false));
    let poll_id = r["message_id"].as_str().unwrap().to_string();
    let d = rx_b.data_of(&poll_id).await;
    assert_eq!(d["message_type"], json!("poll"));
    assert_eq!(d["content"], json!("Lunch?"));
    assert_eq!(d["poll"]["options"], json!(["Yes", "No"]));

    // A reacts to its own poll; then edits and deletes a text.
    let (st, r) = app
        .post(
            "/send/reaction",
            &admin,
            json!({"number": "15554440032", "messageId": poll_id, "reaction": "👍"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["metadata"]["reaction_emoji"], json!("👍"));
    let d = rx_b.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(d["message_type"], json!("reaction"));
    assert_eq!(d["reaction"], json!("👍"));
    assert_eq!(d["original_message_id"], json!(poll_id));
    // The reacted message is the reactor's own (the key is from the reactor's side).
    assert_eq!(d["original_by_sender"], json!(true));

    let text_id = send(
        "/send/text",
        json!({"number": "15554440032", "text": "typo"}),
    )
    .await;
    rx_b.data_of(&text_id).await;
    let (st, r) = app
        .call(
            reqwest::Method::PUT,
            &format!("/messages/{text_id}"),
            Some(&admin),
            Some(json!({"to": "15554440032", "message": "fixed"})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["message"], json!("Message edited successfully"));
    rx_b.until("the edit", |r| {
        r.iter().any(|x| {
            x.1["data"]["message_type"] == json!("edit")
                && x.1["data"]["original_message_id"] == json!(text_id)
                && x.1["data"]["content"] == json!("fixed")
        })
    })
    .await;
    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            "/messages/delete",
            Some(&admin),
            Some(
                json!({"messageId": text_id, "chatJid": "15554440032@s.whatsapp.net",
                        "deleteType": "for_everyone"}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["delete_type"], json!("for_everyone"));
    rx_b.until("the revoke", |r| {
        r.iter().any(|x| {
            x.1["data"]["message_type"] == json!("revoke")
                && x.1["data"]["original_message_id"] == json!(text_id)
        })
    })
    .await;
    // Gone from our records: no status, no second delete.
    let (st, _) = app
        .get(&format!("/messages/{text_id}/status"), &admin)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Bad input names the field.
    for (path, body, field) in [
        (
            "/send/location",
            json!({"to": "15554440032", "latitude": 91, "longitude": 0}),
            "latitude",
        ),
        (
            "/send/location",
            json!({"to": "15554440032", "latitude": 1}),
            "longitude",
        ),
        (
            "/send/location",
            json!({"to": "1", "latitude": 1, "longitude": 1}),
            "to",
        ),
        (
            "/send/live-location",
            json!({"to": "15554440032", "latitude": 1, "longitude": 181}),
            "longitude",
        ),
        (
            "/send/live-location",
            json!({"to": "15554440032", "latitude": 1, "longitude": 1,
                   "degrees_clockwise_from_magnetic_north": 400}),
            "degrees_clockwise_from_magnetic_north",
        ),
        (
            "/send/contact",
            json!({"to": "15554440032", "contact": {"phone": "351912345678"}}),
            "contact.display_name",
        ),
        (
            "/send/contacts",
            json!({"to": "15554440032", "contacts": []}),
            "contacts",
        ),
        (
            "/send/poll",
            json!({"to": "15554440032", "question": "q", "options": [{"option_name": "a"}]}),
            "options",
        ),
        (
            "/send/poll",
            json!({"to": "15554440032", "question": "q",
            "options": [{"option_name": "a"}, {"option_name": "a"}]}),
            "options[1].option_name",
        ),
        (
            "/send/poll",
            json!({"to": "15554440032", "options": [{"option_name": "a"}, {"option_name": "b"}]}),
            "question",
        ),
        (
            "/send/reaction",
            json!({"number": "15554440032", "reaction": "x"}),
            "messageId",
        ),
    ] {
        let (st, e) = app.post(path, &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{path} {body}: {e}");
        assert!(
            e.to_string().contains(&format!("\"{field}\"")),
            "{path} should name {field}: {e}"
        );
    }
    let (st, e) = app
        .call(
            reqwest::Method::DELETE,
            "/messages/delete",
            Some(&admin),
            Some(json!({"messageId": "X", "chatJid": "15554440032", "deleteType": "sideways"})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (st, e) = app
        .call(
            reqwest::Method::PUT,
            "/messages/NOTOURS",
            Some(&admin),
            Some(json!({"to": "15554440032", "message": "x"})),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    app.stop().await;
    sim.stop().await;
}
