//! Channels (newsletters) through the gateway (issue 14): a gateway device creates a channel, a
//! simulated phone follows it by invite and receives its text and image posts (the image
//! uploaded unencrypted), the phone's views show in the history, a second gateway device
//! follows, gets a post as `message.received` and marks it viewed; a phone's channel is
//! followed, paged through with the cursor and left, with `newsletter.join` and
//! `newsletter.leave`.

use crate::helpers::wa::{gateway, hook, phone_received, sim_post, two_accounts};
use crate::helpers::{png, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wa_sim::SimServer;

async fn held(sim: &SimServer, jid: &str) -> Value {
    let url = format!("{}/admin/newsletters/{jid}", sim.http_url());
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The posts of a channel as the device of `token` reads them.
async fn posts(app: &TestApp, token: &str, jid: &str, query: &str) -> Vec<Value> {
    let (st, r) = app
        .get(&format!("/newsletters/{jid}/messages{query}"), token)
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["count"], json!(r["messages"].as_array().unwrap().len()));
    r["messages"].as_array().unwrap().clone()
}

const A: &str = "15554440081";
const B: &str = "15554440082";
const C: &str = "15554440083";

both_backends!(a_channel_created_followed_posted_and_viewed);

async fn a_channel_created_followed_posted_and_viewed(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    sim_post(&sim, "/admin/accounts", json!({"phone": C})).await;
    let (a, user_b) = two_accounts(&app, &sim, "channels", [A, B]).await;

    let (st, r) = app
        .post(
            "/newsletters",
            &a,
            json!({"name": "Shop news", "description": "Deals every day"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let n = &r["newsletter"];
    let jid = n["id"].as_str().unwrap().to_string();
    assert!(jid.ends_with("@newsletter"), "{r}");
    assert_eq!(n["state"]["type"], json!("active"));
    assert_eq!(n["thread_metadata"]["name"]["text"], json!("Shop news"));
    assert_eq!(
        n["thread_metadata"]["description"]["text"],
        json!("Deals every day")
    );
    assert_eq!(n["thread_metadata"]["subscribers_count"], json!("0"));
    assert_eq!(n["viewer_metadata"]["role"], json!("owner"));

    let (st, r) = app.get(&format!("/newsletters/{jid}"), &a).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["newsletter"]["id"], json!(jid));
    let (st, inv) = app.get(&format!("/newsletters/{jid}/invite"), &a).await;
    assert_eq!(st, StatusCode::OK, "{inv}");
    let code = inv["invite_code"].as_str().unwrap().to_string();
    assert_eq!(
        inv["invite_link"],
        json!(format!("https://whatsapp.com/channel/{code}"))
    );
    assert_eq!(inv["jid"], json!(jid));

    // The phone C follows by the invite.
    sim_post(
        &sim,
        "/admin/newsletters/follow",
        json!({"phone": C, "invite": inv["invite_link"]}),
    )
    .await;
    let (_, r) = app.get(&format!("/newsletters/{jid}"), &a).await;
    assert_eq!(
        r["newsletter"]["thread_metadata"]["subscribers_count"],
        json!("1")
    );

    // A text and an image post reach the phone.
    let (st, r) = app
        .post(
            &format!("/newsletters/{jid}/messages"),
            &a,
            json!({"text": "first deal"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["status_type"], json!("text"));
    assert_eq!(r["newsletter"], json!(jid));
    let m = phone_received(&sim, C, "first deal").await;
    assert_eq!(m["chat"], json!(jid), "{m}");
    let (st, r) = app
        .post(
            &format!("/newsletters/{jid}/media"),
            &a,
            json!({"media_type": "image", "data": b64(&png(32, 24)), "caption": "photo deal"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["status_type"], json!("image"));
    let m = phone_received(&sim, C, "photo deal").await;
    assert_eq!(m["kind"], json!("image"), "{m}");

    // The phone views both; the history shows it.
    let server_ids: Vec<u64> = held(&sim, &jid).await["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["server_id"].as_u64().unwrap())
        .collect();
    assert_eq!(server_ids.len(), 2);
    sim_post(
        &sim,
        &format!("/admin/newsletters/{jid}/view"),
        json!({"phone": C, "server_ids": server_ids}),
    )
    .await;
    sim_post(
        &sim,
        &format!("/admin/newsletters/{jid}/react"),
        json!({"phone": C, "server_id": server_ids[0], "code": "🔥"}),
    )
    .await;
    let list = posts(&app, &a, &jid, "").await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["MessageServerID"], json!(server_ids[0]));
    assert_eq!(list[0]["Type"], json!("text"));
    assert_eq!(list[0]["Text"], json!("first deal"));
    assert_eq!(list[1]["Type"], json!("media"));
    assert!(list.iter().all(|p| p["ViewsCount"] == json!(1)), "{list:?}");
    assert_eq!(list[0]["ReactionCounts"], json!({"🔥": 1}));
    assert!(list[0]["MessageID"].as_str().is_some_and(|i| !i.is_empty()));

    // B follows through the gateway, gets the next post and views it.
    let rx_b = hook(&app, &user_b, &["message.received", "newsletter.join"]).await;
    let (st, r) = app
        .post(&format!("/newsletters/{jid}/subscribe"), &user_b, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r, json!({"success": true, "jid": jid, "subscribed": true}));
    let got = rx_b
        .until("newsletter.join", |r| {
            r.iter().any(|x| x.1["event"] == json!("newsletter.join"))
        })
        .await;
    let joined = got
        .iter()
        .find(|x| x.1["event"] == json!("newsletter.join"))
        .unwrap();
    assert_eq!(
        joined.1["data"]["newsletter_jid"],
        json!(jid),
        "{:?}",
        joined.1
    );
    assert_eq!(joined.1["data"]["name"], json!("Shop news"));
    let (_, r) = app.get("/newsletters", &user_b).await;
    assert_eq!(r["count"], json!(1), "{r}");
    assert_eq!(r["newsletters"][0]["id"], json!(jid));
    assert_eq!(
        r["newsletters"][0]["viewer_metadata"]["role"],
        json!("subscriber")
    );
    let (st, r) = app
        .post(
            &format!("/newsletters/{jid}/messages"),
            &a,
            json!({"text": "second deal"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let data = rx_b.data_of(r["message_id"].as_str().unwrap()).await;
    assert_eq!(data["chat_jid"], json!(jid), "{data}");
    assert_eq!(data["content"], json!("second deal"), "{data}");
    let sid = data["server_id"].as_u64().expect("a server id");
    assert_eq!(sid, server_ids[1] + 1);
    let (st, r) = app
        .post(
            &format!("/newsletters/{jid}/read"),
            &user_b,
            json!({"server_ids": [sid.to_string()]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r, json!({"success": true, "newsletter": jid, "count": 1}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = posts(&app, &a, &jid, "").await;
        if list.last().unwrap()["ViewsCount"] == json!(1) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B's view never counted: {list:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // B may not post to A's channel.
    let (st, r) = app
        .post(
            &format!("/newsletters/{jid}/messages"),
            &user_b,
            json!({"text": "mine"}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{r}");
    app.stop().await;
}

both_backends!(a_phones_channel_is_paged_and_left);

async fn a_phones_channel_is_paged_and_left(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    sim_post(&sim, "/admin/accounts", json!({"phone": C})).await;
    let (a, _) = two_accounts(&app, &sim, "channels-phone", [A, B]).await;
    let ch = sim_post(
        &sim,
        "/admin/newsletters",
        json!({"owner": C, "name": "Caio's channel"}),
    )
    .await;
    let jid = ch["jid"].as_str().unwrap().to_string();
    let mut ids = Vec::new();
    for t in ["one", "two", "three"] {
        let p = sim_post(
            &sim,
            &format!("/admin/newsletters/{jid}/post"),
            json!({"text": t}),
        )
        .await;
        ids.push(p["server_id"].as_u64().unwrap());
    }
    let rx = hook(&app, &a, &["newsletter.join", "newsletter.leave"]).await;
    let (st, r) = app
        .post(&format!("/newsletters/{jid}/subscribe"), &a, json!({}))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    rx.until("newsletter.join", |r| {
        r.iter().any(|x| {
            x.1["event"] == json!("newsletter.join") && x.1["data"]["newsletter_jid"] == json!(jid)
        })
    })
    .await;
    let (_, r) = app.get(&format!("/newsletters/{jid}"), &a).await;
    assert_eq!(
        r["newsletter"]["viewer_metadata"]["role"],
        json!("subscriber"),
        "{r}"
    );

    let page = posts(&app, &a, &jid, "?count=2").await;
    let got: Vec<u64> = page
        .iter()
        .map(|p| p["MessageServerID"].as_u64().unwrap())
        .collect();
    assert_eq!(got, vec![ids[1], ids[2]]);
    let older = posts(&app, &a, &jid, &format!("?count=2&before={}", ids[1])).await;
    assert_eq!(older.len(), 1, "{older:?}");
    assert_eq!(older[0]["MessageServerID"], json!(ids[0]));
    assert_eq!(older[0]["Text"], json!("one"));

    let (st, r) = app
        .call(
            Method::DELETE,
            &format!("/newsletters/{jid}/subscribe"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["subscribed"], json!(false));
    let got = rx
        .until("newsletter.leave", |r| {
            r.iter().any(|x| x.1["event"] == json!("newsletter.leave"))
        })
        .await;
    let left = got
        .iter()
        .find(|x| x.1["event"] == json!("newsletter.leave"))
        .unwrap();
    assert_eq!(left.1["data"]["newsletter_jid"], json!(jid));
    let (_, r) = app.get("/newsletters", &a).await;
    assert_eq!(r["count"], json!(0), "{r}");
    assert!(held(&sim, &jid).await["followers"]
        .as_object()
        .unwrap()
        .is_empty());
    app.stop().await;
}

both_backends!(channel_bad_input);

/// Each field's bad values answer `VALIDATION_ERROR` naming it; an unknown channel 404; a media
/// body over 32 MB is refused (413) before it is read.
async fn channel_bad_input(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway(b, &sim).await;
    let (a, _) = two_accounts(&app, &sim, "channels-bad", ["15554440091", "15554440092"]).await;
    let bad = |st: StatusCode, r: &Value, field: &str| {
        assert_eq!(st, StatusCode::BAD_REQUEST, "{r}");
        assert_eq!(r["error_code"], json!("VALIDATION_ERROR"), "{r}");
        assert_eq!(r["validation"][0]["field"], json!(field), "{r}");
    };
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (
            json!({"name": "ok", "description": "d".repeat(2049)}),
            "description",
        ),
        (json!({"name": "ok", "picture": b64(&png(4, 4))}), "picture"),
        (json!({"name": "ok", "picture": "%%%"}), "picture"),
        (json!({"name": "ok", "colour": "red"}), "colour"),
    ] {
        let (st, r) = app.post("/newsletters", &a, body).await;
        bad(st, &r, field);
    }
    for path in ["/newsletters/abc", "/newsletters/123@g.us/invite"] {
        let (st, r) = app.get(path, &a).await;
        bad(st, &r, "jid");
    }
    let (st, r) = app
        .get("/newsletters/120363999999999999@newsletter", &a)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{r}");
    let (st, r) = app.post("/newsletters", &a, json!({"name": "Mine"})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let jid = r["newsletter"]["id"].as_str().unwrap().to_string();
    for (q, field) in [
        ("?count=0", "count"),
        ("?count=101", "count"),
        ("?before=x", "before"),
    ] {
        let (st, r) = app
            .get(&format!("/newsletters/{jid}/messages{q}"), &a)
            .await;
        bad(st, &r, field);
    }
    for (body, field) in [
        (json!({"server_ids": []}), "server_ids"),
        (json!({"server_ids": ["12a"]}), "server_ids[0]"),
    ] {
        let (st, r) = app
            .post(&format!("/newsletters/{jid}/read"), &a, body)
            .await;
        bad(st, &r, field);
    }
    for body in [json!({}), json!({"text": " "})] {
        let (st, r) = app
            .post(&format!("/newsletters/{jid}/messages"), &a, body)
            .await;
        bad(st, &r, "text");
    }
    for (body, field) in [
        (json!({"media_type": "audio", "data": "AAAA"}), "media_type"),
        (json!({"data": "AAAA"}), "media_type"),
        (json!({"media_type": "image"}), "data"),
        (json!({"media_type": "image", "data": "!!"}), "data"),
        (
            json!({"media_type": "video", "data": b64(&png(4, 4))}),
            "data",
        ),
    ] {
        let (st, r) = app
            .post(&format!("/newsletters/{jid}/media"), &a, body)
            .await;
        bad(st, &r, field);
    }
    // 33 MB: refused on its announced length, before any of it is sent.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = app.base.trim_start_matches("http://").to_string();
        let mut s = tokio::net::TcpStream::connect(&host).await.unwrap();
        let head = format!(
            "POST /newsletters/{jid}/media HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {a}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nexpect: 100-continue\r\n\r\n",
            33 * 1024 * 1024
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("answered without the body")
            .unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("HTTP/1.1 413"), "{got:?}");
        assert!(got.contains("PAYLOAD_TOO_LARGE"), "{got:?}");
    }
    app.stop().await;
}
