//! Groups through the gateway (issue 13): messages in a group both ways between two gateway
//! devices and a simulated phone that decrypts what it gets (sender keys fanned out by wa-sim),
//! creating and reading groups, participants, settings, invites, each with its events.

use crate::helpers::wa::{gateway, hook, lid_of, phone_received, two_accounts};
use crate::helpers::{assert_error, png, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::SimServer;

/// A group the simulator holds, as its admin API shows it.
async fn held(sim: &SimServer, gjid: &str) -> Value {
    let url = format!(
        "{}/admin/groups/{}",
        sim.http_url(),
        gjid.trim_end_matches("@g.us")
    );
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// A group of the caller's account and one other member, made through the API; its JID.
async fn create(app: &TestApp, token: &str, name: &str, member: &str) -> String {
    let (st, r) = app
        .post(
            "/groups",
            token,
            json!({"name": name, "participants": [member]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    r["group"]["jid"].as_str().unwrap().to_string()
}

both_backends!(texts_in_a_group_reach_the_members);

/// A and B (gateway devices) and C (a phone) in a group: A's text, image and poll reach B's
/// webhook from the group with A as sender, B's answer reaches A, C's phone reads them all, and
/// C's message reaches A and B with C's phone number and LID.
async fn texts_in_a_group_reach_the_members(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "groups", ["15554440051", "15554440052"]).await;
    let rx_a = hook(&app, &admin, &["message.received"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;
    let (_, group) = sim_post(
        &sim,
        "/admin/groups",
        json!({"creator": "15554440051", "subject": "team",
            "participants": ["15554440052", "15554440053"]}),
    )
    .await;
    let gjid = group["jid"].as_str().unwrap().to_string();

    let mut sent_ids = Vec::new();
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
        sent_ids.push(r["message_id"].as_str().unwrap().to_string());
    }

    // B's device confirmed delivery of A's text, and B reads it: A's status shows B's receipts.
    let id = &sent_ids[0];
    let (st, r) = app
        .post(
            &format!("/messages/{id}/read"),
            &user_b,
            json!({"chat_jid": gjid, "sender_jid": "15554440051@s.whatsapp.net"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (st, status) = app.get(&format!("/messages/{id}/status"), &admin).await;
        assert_eq!(st, StatusCode::OK, "{status}");
        let b_read = status["participants"].as_array().is_some_and(|l| {
            l.iter().any(|p| {
                p["jid"] == json!("15554440052@s.whatsapp.net") && p["status"] == json!("read")
            })
        });
        if b_read {
            assert_eq!(status["status"], json!("read"), "{status}");
            assert_eq!(status["is_group"], json!(true), "{status}");
            let p = &status["participants"][0];
            assert!(
                p["delivered_at"].is_string() && p["read_at"].is_string(),
                "{status}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "b's read never showed: {status}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A's image and poll reach B from the group; C's phone decrypts all of A's and B's.
    let image = format!("data:image/png;base64,{}", b64(&png(32, 24)));
    for (path, body, kind) in [
        (
            "/send/image",
            json!({"number": gjid, "image": image, "caption": "team photo"}),
            "image",
        ),
        (
            "/send/poll",
            json!({"to": gjid, "question": "Lunch?",
                "options": [{"option_name": "Yes"}, {"option_name": "No"}]}),
            "poll",
        ),
    ] {
        let (st, sent) = app.post(path, &admin, body).await;
        assert_eq!(st, StatusCode::OK, "{path}: {sent}");
        let d = rx_b.data_of(sent["message_id"].as_str().unwrap()).await;
        assert_eq!(d["message_type"], json!(kind), "{d}");
        assert_eq!(d["chat_jid"], json!(gjid), "{d}");
        assert_eq!(d["from"], json!("15554440051@s.whatsapp.net"), "{d}");
    }
    for (text, kind, sender) in [
        ("hello team", "text", "15554440051"),
        ("hi all", "text", "15554440052"),
        ("team photo", "image", "15554440051"),
        ("Lunch?", "poll", "15554440051"),
    ] {
        let m = phone_received(&sim, "15554440053", text).await;
        assert_eq!(m["chat"], json!(gjid), "{m}");
        assert_eq!(m["kind"], json!(kind), "{m}");
        assert_eq!(
            m["sender"],
            json!(format!("{sender}@s.whatsapp.net")),
            "{m}"
        );
    }

    // C's phone writes into the group: A and B read it with C's identities.
    let (st, _) = sim_post(
        &sim,
        "/admin/send",
        json!({"from": "15554440053", "to": gjid, "text": "from c"}),
    )
    .await;
    assert_eq!(st, 200);
    let lid_c = lid_of(&sim, "15554440053").await;
    for rx in [&rx_a, &rx_b] {
        let got = rx
            .until("c's group text", |r| {
                r.iter().any(|x| x.1["data"]["content"] == json!("from c"))
            })
            .await;
        let d = &got
            .iter()
            .find(|x| x.1["data"]["content"] == json!("from c"))
            .unwrap()
            .1["data"];
        assert_eq!(d["chat_jid"], json!(gjid), "{d}");
        assert_eq!(d["is_group"], json!(true), "{d}");
        assert_eq!(d["from_pn"], json!("15554440053@s.whatsapp.net"), "{d}");
        assert_eq!(d["from_lid"], json!(lid_c), "{d}");
    }
    app.stop().await;
    sim.stop().await;
}

async fn sim_post(sim: &SimServer, path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", sim.http_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

both_backends!(create_read_time_and_leave_a_group);

/// A creates a group with B (a gateway device) and C (a phone) through the API: B's webhook
/// gets `group.joined`, the simulator holds A as super admin, both read it back; A's timer
/// reaches B as `group.info`; B leaves and A sees two members. Bad input is refused by field.
async fn create_read_time_and_leave_a_group(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) =
        two_accounts(&app, &sim, "groupapi", ["15554440061", "15554440062"]).await;
    let rx_b = hook(
        &app,
        &user_b,
        &["group.joined", "group.info", "message.received"],
    )
    .await;
    let rx_a = hook(&app, &admin, &["message.sent"]).await;

    let (st, r) = app
        .post(
            "/groups",
            &admin,
            json!({"name": "team", "participants": ["+1 555 444 0062", "15554440063@s.whatsapp.net"],
                   "options": {"announcement": true}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let g = &r["group"];
    let gjid = g["jid"].as_str().unwrap().to_string();
    assert!(gjid.ends_with("@g.us"), "{r}");
    assert_eq!(g["name"], json!("team"));
    assert_eq!(g["is_announce"], json!(true), "{r}");
    assert_eq!(g["members_count"], json!(3), "{r}");
    let owner = g["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["jid"] == json!("15554440061@s.whatsapp.net"))
        .cloned()
        .unwrap_or_else(|| panic!("the creator is a member: {r}"));
    assert_eq!(owner["is_super_admin"], json!(true), "{owner}");
    assert_eq!(owner["phone_number"], json!("15554440061@s.whatsapp.net"));

    let got = rx_b
        .until("group.joined at b", |r| {
            r.iter().any(|x| x.1["event"] == json!("group.joined"))
        })
        .await;
    let joined = &got
        .iter()
        .find(|x| x.1["event"] == json!("group.joined"))
        .unwrap()
        .1["data"];
    assert_eq!(joined["group_jid"], json!(gjid), "{joined}");
    assert_eq!(joined["subject"], json!("team"), "{joined}");
    // Both see the group among their chats, with its name and size: B from the notification
    // (in the transaction that recorded group.joined), A from its own creation.
    for token in [&user_b, &admin] {
        let (st, chats) = app.get("/chats", token).await;
        assert_eq!(st, StatusCode::OK, "{chats}");
        let chat = chats["chats"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["jid"] == json!(gjid))
            .cloned()
            .unwrap_or_else(|| panic!("the group is not among the chats: {chats}"));
        assert_eq!(chat["type"], json!("group"), "{chat}");
        assert_eq!(chat["name"], json!("team"), "{chat}");
        assert_eq!(chat["participant_count"], json!(3), "{chat}");
    }
    let g_held = held(&sim, &gjid).await;
    assert_eq!(g_held["admins"], json!(["15554440061"]), "{g_held}");
    assert_eq!(g_held["announce"], json!(true), "{g_held}");

    let (st, list) = app.get("/groups", &user_b).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let listed = list["groups"].as_array().unwrap();
    assert!(listed.iter().any(|x| x["jid"] == json!(gjid)), "{list}");
    assert!(
        listed.iter().all(|x| x.get("participants").is_none()),
        "{list}"
    );
    let (st, one) = app.get(&format!("/groups/{gjid}"), &user_b).await;
    assert_eq!(st, StatusCode::OK, "{one}");
    assert_eq!(one["group"]["participants"].as_array().unwrap().len(), 3);

    let (st, r) = app
        .call(
            reqwest::Method::PUT,
            &format!("/groups/{gjid}/ephemeral"),
            Some(&admin),
            Some(json!({"duration_seconds": 604800})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["duration_seconds"], json!(604800));
    rx_b.until("the timer at b", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("group.info")
                && x.1["data"]["action"] == json!({"type": "ephemeral", "expiration": 604800})
        })
    })
    .await;
    // Later messages disappear on that timer, on both sides.
    let (st, r) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": gjid, "text": "timed"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let id = r["message_id"].as_str().unwrap();
    for rx in [&rx_a, &rx_b] {
        let d = rx.data_of(id).await;
        assert_eq!(d["ephemeral_expiration"], json!(604800), "{d}");
    }

    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/groups/{gjid}/leave"),
            Some(&user_b),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r, json!({"success": true}));
    let (st, one) = app.get(&format!("/groups/{gjid}"), &admin).await;
    assert_eq!(st, StatusCode::OK, "{one}");
    assert_eq!(one["group"]["members_count"], json!(2), "{one}");
    // B is no longer in it: WhatsApp refuses B's question.
    let (st, e) = app.get(&format!("/groups/{gjid}"), &user_b).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");

    // Bad input, by field.
    for (body, field) in [
        (json!({"name": "", "participants": ["15554440062"]}), "name"),
        (
            json!({"name": "x".repeat(101), "participants": ["15554440062"]}),
            "name",
        ),
        (json!({"name": "t", "participants": []}), "participants"),
        (
            json!({"name": "t", "participants": ["12"]}),
            "participants[0]",
        ),
        (
            json!({"name": "t", "participants": [gjid]}),
            "participants[0]",
        ),
        (
            json!({"name": "t", "participants": ["15554440062"],
                "options": {"parent_jid": "15554440062@s.whatsapp.net"}}),
            "options.parent_jid",
        ),
    ] {
        let (st, e) = app.post("/groups", &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["validation"][0]["field"], json!(field), "{body}: {e}");
    }
    let (st, e) = app.get("/groups/15554440062@s.whatsapp.net", &admin).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    let (st, e) = app
        .call(
            reqwest::Method::PUT,
            &format!("/groups/{gjid}/ephemeral"),
            Some(&admin),
            Some(json!({"duration_seconds": 5})),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["validation"][0]["field"], json!("duration_seconds"));
    app.stop().await;
    sim.stop().await;
}

both_backends!(participants_change_and_members_hear_of_it);

/// A adds B to a group, promotes, demotes and removes B through the API: each outcome per
/// participant, B hears each change, and a removed B stops receiving the group's messages.
async fn participants_change_and_members_hear_of_it(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "members", ["15554440071", "15554440072"]).await;
    let rx_b = hook(
        &app,
        &user_b,
        &["group.joined", "group.info", "message.received"],
    )
    .await;
    let gjid = create(&app, &admin, "crew", "15554440073").await;
    let path = format!("/groups/{gjid}/participants");

    // Added: B's device hears it joined; adding B again is refused for B alone.
    let (st, r) = app
        .post(&path, &admin, json!({"participants": ["15554440072"]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["action"], json!("add"));
    assert_eq!(r["participants"][0]["success"], json!(true), "{r}");
    rx_b.until("group.joined at b", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("group.joined") && x.1["data"]["group_jid"] == json!(gjid)
        })
    })
    .await;
    let (st, r) = app
        .post(
            &path,
            &admin,
            json!({"participants": ["15554440072", "15554440074"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["participants"][0]["success"], json!(false), "{r}");
    assert_eq!(r["participants"][0]["error"], json!("409"), "{r}");
    assert_eq!(r["participants"][1]["success"], json!(true), "{r}");

    // Promoted, then demoted: B hears both, the server holds the roles.
    for (action, admin_now) in [("promote", true), ("demote", false)] {
        let (st, r) = app
            .post(
                &path,
                &admin,
                json!({"participants": ["15554440072"], "action": action}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(r["participants"][0]["is_admin"], json!(admin_now), "{r}");
        rx_b.until(action, |r| {
            r.iter().any(|x| {
                x.1["event"] == json!("group.info")
                    && x.1["data"]["action"]["type"] == json!(action)
                    && x.1["data"]["participant"] == json!("15554440071@s.whatsapp.net")
            })
        })
        .await;
        let g = held(&sim, &gjid).await;
        let is_admin = g["admins"]
            .as_array()
            .unwrap()
            .contains(&json!("15554440072"));
        assert_eq!(is_admin, admin_now, "{g}");
    }

    // Removed (DELETE's default): B hears it and no longer gets the group's messages.
    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            &path,
            Some(&admin),
            Some(json!({"participants": ["15554440072"]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["action"], json!("remove"));
    rx_b.until("removed at b", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("group.info") && x.1["data"]["action"]["type"] == json!("remove")
        })
    })
    .await;
    let g = held(&sim, &gjid).await;
    assert!(
        !g["participants"]
            .as_array()
            .unwrap()
            .contains(&json!("15554440072")),
        "{g}"
    );
    let (st, _) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": gjid, "text": "after b left"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": "15554440072", "text": "direct"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // B's messages arrive in order: the direct one last, the group's never.
    let got = rx_b
        .until("the direct text at b", |r| {
            r.iter().any(|x| x.1["data"]["content"] == json!("direct"))
        })
        .await;
    assert!(
        !got.iter()
            .any(|x| x.1["data"]["content"] == json!("after b left")),
        "a removed member got the group's message"
    );

    // Bad input, by field.
    for (body, field) in [
        (json!({"participants": []}), "participants"),
        (
            json!({"participants": ["15554440072"], "action": "kick"}),
            "action",
        ),
        (json!({"participants": ["x"]}), "participants[0]"),
    ] {
        let (st, e) = app.post(&path, &admin, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["validation"][0]["field"], json!(field), "{body}: {e}");
    }
    app.stop().await;
    sim.stop().await;
}

both_backends!(settings_change_and_members_hear_of_them);

/// A changes the group's name, description and settings through `PATCH /groups/{jid}`: the
/// answer and the simulator show them, B hears each as `group.info`; once locked, B (not an
/// admin) cannot rename it.
async fn settings_change_and_members_hear_of_them(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) =
        two_accounts(&app, &sim, "settings", ["15554440081", "15554440082"]).await;
    let rx_b = hook(&app, &user_b, &["group.info"]).await;
    let gjid = create(&app, &admin, "club", "15554440082").await;
    let patch = |token: String, body: Value| {
        let (app, path) = (&app, format!("/groups/{gjid}"));
        async move {
            app.call(reqwest::Method::PATCH, &path, Some(&token), Some(body))
                .await
        }
    };

    // B writes to the group while anyone may.
    let (st, r) = app
        .post(
            "/send/text",
            &user_b,
            json!({"number": gjid, "text": "before"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");

    let (st, r) = patch(
        admin.clone(),
        json!({"name": "book club", "topic": "one book a month", "locked": true,
               "announcement": true, "join_approval": true, "member_add_mode": "admin"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let g = &r["group"];
    assert_eq!(g["name"], json!("book club"), "{r}");
    assert_eq!(g["topic"], json!("one book a month"), "{r}");
    assert_eq!(g["is_locked"], json!(true), "{r}");
    assert_eq!(g["is_announce"], json!(true), "{r}");
    assert_eq!(g["join_approval"], json!(true), "{r}");
    assert!(g.get("participants").is_none(), "{r}");
    let g_held = held(&sim, &gjid).await;
    assert_eq!(g_held["add_mode"], json!("admin_add"), "{g_held}");
    assert_eq!(g_held["description"], json!("one book a month"), "{g_held}");
    for kind in [
        "subject",
        "description",
        "locked",
        "announce",
        "membership_approval_mode",
        "member_add_mode",
    ] {
        rx_b.until(kind, |r| {
            r.iter().any(|x| {
                x.1["event"] == json!("group.info")
                    && x.1["data"]["action"]["type"] == json!(kind)
                    && x.1["data"]["participant"] == json!("15554440081@s.whatsapp.net")
            })
        })
        .await;
    }
    // Only admins send now: B's text is refused with the reason, A's goes.
    let (st, e) = app
        .post(
            "/send/text",
            &user_b,
            json!({"number": gjid, "text": "after"}),
        )
        .await;
    assert_error(st, &e, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert!(e.to_string().contains("only admins"), "{e}");
    let (st, r) = app
        .post(
            "/send/text",
            &admin,
            json!({"number": gjid, "text": "admins only"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");

    // The group's photo: set by A, held by the server for the group, A's own photo unchanged;
    // B (not an admin of the locked group) may not change it.
    const JPEG: &str = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AVN//2Q==";
    let (st, r) = app
        .post(
            &format!("/groups/{gjid}/picture"),
            &admin,
            json!({"image_base64": JPEG}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let picture_id = r["picture_id"].as_str().unwrap().to_string();
    let g_held = held(&sim, &gjid).await;
    assert_eq!(g_held["picture_id"], json!(picture_id), "{g_held}");
    let account: Value = reqwest::get(format!("{}/admin/accounts/15554440081", sim.http_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        account["picture_id"].is_null(),
        "the creator's own photo changed: {account}"
    );
    let (st, e) = app
        .post(
            &format!("/groups/{gjid}/picture"),
            &user_b,
            json!({"image_base64": JPEG}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (st, e) = app
        .post(
            &format!("/groups/{gjid}/picture"),
            &admin,
            json!({"image_base64": "iVBORw0KGgo="}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["validation"][0]["field"], json!("image_base64"), "{e}");

    // B is not an admin of a locked group: WhatsApp refuses, in the envelope.
    let (st, e) = patch(user_b.clone(), json!({"name": "mine now"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(e["success"], json!(false), "{e}");
    // Bad input.
    let (st, e) = patch(admin.clone(), json!({})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["validation"][0]["field"], json!("body"), "{e}");
    let (st, e) = patch(admin.clone(), json!({"member_add_mode": "anyone"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["validation"][0]["field"], json!("member_add_mode"), "{e}");
    let (st, e) = patch(admin.clone(), json!({"name": "x".repeat(101)})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    app.stop().await;
    sim.stop().await;
}

both_backends!(invites_reset_and_joins);

/// Invites: B leaves, A reads the link and B joins by it; A resets it, the old link fails with
/// a clear error and the new one works, as does a v4 invite (code, group, inviter); with join
/// approval on, a join waits for an admin (`pending_approval`).
async fn invites_reset_and_joins(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) = two_accounts(&app, &sim, "invites", ["15554440091", "15554440092"]).await;
    let gjid = create(&app, &admin, "open", "15554440092").await;
    let leave = || {
        let (app, path, token) = (&app, format!("/groups/{gjid}/leave"), user_b.clone());
        async move {
            let (st, r) = app
                .call(reqwest::Method::DELETE, &path, Some(&token), None)
                .await;
            assert_eq!(st, StatusCode::OK, "{r}");
        }
    };
    let members = || {
        let (app, path, token) = (&app, format!("/groups/{gjid}"), admin.clone());
        async move { app.get(&path, &token).await.1["group"]["members_count"].clone() }
    };

    leave().await;
    let (st, r) = app.get(&format!("/groups/{gjid}/invite"), &admin).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["group_jid"], json!(gjid));
    let link = r["invite_link"].as_str().unwrap().to_string();
    assert!(link.starts_with("https://chat.whatsapp.com/"), "{r}");
    let (st, again) = app.get(&format!("/groups/{gjid}/invite"), &admin).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(again["invite_link"], json!(link), "not regenerated");
    let (st, r) = app
        .post("/groups/join", &user_b, json!({"link": link}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        r,
        json!({"success": true, "pending_approval": false, "group_jid": gjid})
    );
    assert_eq!(members().await, json!(2));

    // Reset: the old link fails, the new one (and a v4 invite with its code) works.
    let (st, r) = app
        .post(&format!("/groups/{gjid}/invite/reset"), &admin, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert!(r["reset_at"].is_string(), "{r}");
    let new_link = r["invite_link"].as_str().unwrap().to_string();
    assert_ne!(new_link, link);
    leave().await;
    let (st, e) = app
        .post("/groups/join", &user_b, json!({"link": link}))
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["success"], json!(false), "{e}");
    let code = new_link.rsplit('/').next().unwrap().to_string();
    let (st, r) = app
        .post(
            "/groups/join",
            &user_b,
            json!({"code": code, "group_jid": gjid, "inviter_jid": "15554440091"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["pending_approval"], json!(false), "{r}");
    assert_eq!(members().await, json!(2));

    // Join approval on: a join waits.
    let (st, r) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/groups/{gjid}"),
            Some(&admin),
            Some(json!({"join_approval": true})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    leave().await;
    let (st, r) = app
        .post("/groups/join", &user_b, json!({"link": new_link}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["pending_approval"], json!(true), "{r}");
    assert_eq!(members().await, json!(1));

    // Bad input, by field.
    for (body, field) in [
        (json!({}), "link"),
        (json!({"link": "http://example.com/x"}), "link"),
        (json!({"code": "abc"}), "group_jid"),
        (json!({"code": "abc", "group_jid": gjid}), "inviter_jid"),
    ] {
        let (st, e) = app.post("/groups/join", &user_b, body.clone()).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["validation"][0]["field"], json!(field), "{body}: {e}");
    }
    app.stop().await;
    sim.stop().await;
}

both_backends!(communities_link_groups_and_hold_members);

/// A creates a community with B through the API: B hears it joined; a group made inside it
/// and a group linked to it show the community as parent (B hears the link as `group.info`);
/// linking twice is a conflict; unlinking clears the parent; C (a phone) added to the
/// community is in its announcement group, and removed, out of both. Bad input per field.
async fn communities_link_groups_and_hold_members(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (admin, user_b) =
        two_accounts(&app, &sim, "community", ["15554440091", "15554440092"]).await;
    let rx_b = hook(&app, &user_b, &["group.joined", "group.info"]).await;

    let (st, r) = app
        .post(
            "/communities",
            &admin,
            json!({"name": "street", "participants": ["15554440092"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let c = &r["community"];
    assert_eq!(c["is_community"], json!(true), "{r}");
    assert_eq!(c["name"], json!("street"), "{r}");
    let cjid = c["jid"].as_str().unwrap().to_string();
    rx_b.until("group.joined for the community at b", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("group.joined") && x.1["data"]["group_jid"] == json!(cjid)
        })
    })
    .await;
    // Its announcement group came with it, B in it.
    let (st, list) = app.get("/groups", &user_b).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let announcement = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["is_announcement_group"] == json!(true))
        .cloned()
        .unwrap_or_else(|| panic!("no announcement group at b: {list}"));
    assert_eq!(announcement["parent_jid"], json!(cjid), "{announcement}");
    assert_eq!(announcement["is_announce"], json!(true), "{announcement}");

    // A group made inside the community.
    let (st, r) = app
        .post(
            "/groups",
            &admin,
            json!({"name": "inside", "participants": ["15554440092"],
                "options": {"parent_jid": cjid, "join_approval": true}}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(r["group"]["parent_jid"], json!(cjid), "{r}");
    assert_eq!(r["group"]["join_approval"], json!(true), "{r}");

    // A plain group, linked and unlinked.
    let gjid = create(&app, &admin, "garden", "15554440092").await;
    let links = format!("/communities/{cjid}/groups");
    let (st, r) = app.post(&links, &admin, json!({"group_jid": gjid})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["linked"], json!(true), "{r}");
    rx_b.until("the link at b", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("group.info")
                && x.1["data"]["action"]["type"] == json!("link")
                && x.1["data"]["action"]["group_jid"] == json!(gjid)
        })
    })
    .await;
    let (_, one) = app.get(&format!("/groups/{gjid}"), &user_b).await;
    assert_eq!(one["group"]["parent_jid"], json!(cjid), "{one}");
    let (st, again) = app.post(&links, &admin, json!({"group_jid": gjid})).await;
    assert_error(st, &again, StatusCode::CONFLICT, "CONFLICT");
    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            &format!("{links}/{gjid}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["linked"], json!(false), "{r}");
    let (_, one) = app.get(&format!("/groups/{gjid}"), &admin).await;
    assert_eq!(one["group"]["parent_jid"], json!(null), "{one}");

    // Community members: C added (and so in the announcement group), then removed from all.
    let members = format!("/communities/{cjid}/participants");
    let (st, r) = app
        .post(
            &members,
            &admin,
            json!({"participants": ["+1 555 444 0093"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["action"], json!("add"));
    assert_eq!(r["jid"], json!(cjid));
    assert_eq!(r["participants"][0]["success"], json!(true), "{r}");
    let ajid = announcement["jid"].as_str().unwrap();
    let in_announcement = |g: &Value| {
        g["participants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "15554440093")
    };
    assert!(in_announcement(&held(&sim, ajid).await));
    let (st, r) = app
        .call(
            reqwest::Method::DELETE,
            &members,
            Some(&admin),
            Some(json!({"participants": ["15554440093"]})),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["action"], json!("remove"));
    assert!(!in_announcement(&held(&sim, ajid).await));
    assert!(!in_announcement(&held(&sim, &cjid).await));

    // Bad input, by field.
    for (path, body, field) in [
        ("/communities".to_string(), json!({"name": ""}), "name"),
        (
            "/communities".to_string(),
            json!({"name": "x", "participants": ["not a number"]}),
            "participants[0]",
        ),
        (
            links.clone(),
            json!({"group_jid": "15554440092"}),
            "group_jid",
        ),
        (links.clone(), json!({"group_jid": cjid}), "group_jid"),
        (
            "/groups".to_string(),
            json!({"name": "x", "participants": ["15554440092"],
                "options": {"community": true, "parent_jid": cjid}}),
            "options.parent_jid",
        ),
        (members.clone(), json!({"participants": []}), "participants"),
    ] {
        let (st, e) = app.post(&path, &admin, body).await;
        assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(e["validation"][0]["field"], json!(field), "{path}: {e}");
    }
    app.stop().await;
    sim.stop().await;
}
