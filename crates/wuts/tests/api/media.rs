//! Media end to end: two accounts on gateway devices over wa-sim. Each media kind sent through
//! the API (from base64, a data URI, or a URL streamed from a local server) reaches the other
//! account's webhook, and both sides download it through `GET /messages/{id}/media`
//! byte-identical after decryption. Bad input answers VALIDATION_ERROR naming the field.

use crate::helpers::wa::{gateway_with, hook, two_accounts};
use crate::helpers::{assert_error, Backend, TestApp};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wa_sim::SimServer;

use crate::helpers::png;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An MP4 container head (`ftyp`, `mvhd` of 7 s) followed by `len` bytes of payload.
fn mp4(len: usize) -> Vec<u8> {
    let mut f = vec![0, 0, 0, 0x18];
    f.extend(b"ftypmp42");
    f.extend([0, 0, 0, 0]);
    f.extend(b"mp42isom");
    f.extend([0, 0, 0, 0x6c]);
    f.extend(b"mvhd");
    f.extend([0u8; 12]);
    f.extend(1000u32.to_be_bytes());
    f.extend(6500u32.to_be_bytes());
    f.extend((0..len).map(|i| (i * 31 % 251) as u8));
    f
}

/// An Ogg Opus file of about 2 s: header pages, then audio pages.
fn opus() -> Vec<u8> {
    fn page(granule: u64, body: &[u8]) -> Vec<u8> {
        let mut p = b"OggS".to_vec();
        p.extend([0, 0]);
        p.extend(granule.to_le_bytes());
        p.extend([0; 12]);
        p.push(1);
        p.push(body.len() as u8);
        p.extend(body);
        p
    }
    let mut head = b"OpusHead".to_vec();
    head.extend([1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]);
    let mut f = page(0, &head);
    f.extend(page(0, b"OpusTags\0\0\0\0\0\0\0\0"));
    for i in 1..=100u64 {
        f.extend(page(
            i * 960,
            &vec![(i % 200) as u8; 20 + (i % 60) as usize],
        ));
    }
    f
}

/// A minimal WebP (RIFF header, VP8 chunk); `animated` sets the VP8X animation flag.
fn webp(animated: bool, pad: usize) -> Vec<u8> {
    let mut body = b"WEBP".to_vec();
    if animated {
        body.extend(b"VP8X");
        body.extend(10u32.to_le_bytes());
        body.extend([0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
    body.extend(b"VP8 ");
    body.extend((pad as u32).to_le_bytes());
    body.extend(vec![0x55u8; pad]);
    let mut f = b"RIFF".to_vec();
    f.extend((body.len() as u32).to_le_bytes());
    f.extend(body);
    f
}

/// A local file server: `/video.mp4` serves `video`, `/stall` never answers.
async fn file_server(video: Vec<u8>) -> String {
    let app = axum::Router::new()
        .route(
            "/video.mp4",
            axum::routing::get(move || {
                let v = video.clone();
                async move { ([("content-type", "video/mp4")], v) }
            }),
        )
        .route(
            "/stall",
            axum::routing::get(|| async {
                std::future::pending::<()>().await;
                ""
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// `GET /messages/{id}/media`: status, bytes, content type.
pub(crate) async fn download(
    app: &TestApp,
    token: &str,
    id: &str,
) -> (StatusCode, Vec<u8>, String) {
    let res = app
        .http
        .get(format!("{}/messages/{id}/media", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let st = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (st, res.bytes().await.unwrap().to_vec(), ct)
}

both_backends!(every_media_kind_round_trips);

async fn every_media_kind_round_trips(b: Backend) {
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let app = gateway_with(b, &sim, |c| {
        c.media_allow_private_urls = true;
        c.media_download_timeout_secs = 2;
    })
    .await;
    let (admin, user_b) = two_accounts(&app, &sim, "media", ["15554440051", "15554440052"]).await;
    let rx_b = hook(&app, &user_b, &["message.received"]).await;

    // Sends, checks the webhook at B, and that both sides download the same bytes.
    let round_trip = |path: &'static str, body: Value, bytes: Vec<u8>, kind: &'static str| {
        let (app, admin, user_b, rx_b) = (&app, &admin, &user_b, &rx_b);
        async move {
            let (st, sent) = app.post(path, admin, body).await;
            assert_eq!(st, StatusCode::OK, "{path}: {sent}");
            assert_eq!(sent["success"], json!(true));
            let id = sent["message_id"].as_str().unwrap().to_string();
            let d = rx_b.data_of(&id).await;
            assert_eq!(d["message_type"], json!(kind), "{d}");
            assert_eq!(d["media"]["file_length"], json!(bytes.len()), "{d}");
            let (st, got, _) = download(app, user_b, &id).await;
            assert_eq!(st, StatusCode::OK);
            assert!(
                got == bytes,
                "{kind}: received media differs after decryption"
            );
            let (st, got, _) = download(app, admin, &id).await;
            assert_eq!(st, StatusCode::OK);
            assert!(got == bytes, "{kind}: sent media differs");
            (sent, d)
        }
    };

    let image = png(64, 48);
    let (sent, d) = round_trip(
        "/send/image",
        json!({"number": "15554440052", "image": format!("data:image/png;base64,{}", b64(&image)),
            "caption": "a *bold* picture"}),
        image,
        "image",
    )
    .await;
    assert_eq!(sent["metadata"]["image_format"], json!("png"));
    assert_eq!(d["content"], json!("a *bold* picture"));
    assert_eq!(d["media"]["width"], json!(64));
    assert_eq!(d["media"]["mime_type"], json!("image/png"));

    // A 5 MB video from a URL: downloaded to a file and streamed to WhatsApp.
    let video = mp4(5 * 1024 * 1024);
    let files = file_server(video.clone()).await;
    let (sent, d) = round_trip(
        "/send/video",
        json!({"number": "15554440052", "video_url": format!("{files}/video.mp4"), "caption": "clip"}),
        video,
        "video",
    )
    .await;
    assert_eq!(sent["metadata"]["video_duration_seconds"], json!(7));
    assert_eq!(d["media"]["seconds"], json!(7));

    let voice = opus();
    let (sent, d) = round_trip(
        "/send/audio",
        json!({"number": "15554440052", "audio": b64(&voice), "ptt": true}),
        voice,
        "audio",
    )
    .await;
    assert_eq!(sent["metadata"]["waveform_generated"], json!(true));
    assert_eq!(sent["metadata"]["audio_duration_seconds"], json!(2));
    assert_eq!(d["media"]["ptt"], json!(true));
    assert_eq!(d["media"]["has_waveform"], json!(true));

    let pdf = [b"%PDF-1.4\n".as_slice(), &[7u8; 3000]].concat();
    let (_, d) = round_trip(
        "/send/document",
        json!({"number": "15554440052", "document": b64(&pdf), "file_name": "report.pdf",
            "caption": "the report"}),
        pdf,
        "document",
    )
    .await;
    assert_eq!(d["media"]["file_name"], json!("report.pdf"));
    assert_eq!(d["media"]["mime_type"], json!("application/pdf"));

    // A large base64 document goes through a temporary file, streamed.
    let big: Vec<u8> = (0..4_500_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let (_, d) = round_trip(
        "/send/document",
        json!({"number": "15554440052", "document": b64(&big), "file_name": "data.bin",
            "mime_type": "application/x-custom"}),
        big,
        "document",
    )
    .await;
    assert_eq!(d["media"]["mime_type"], json!("application/x-custom"));

    let sticker = webp(true, 2000);
    let (sent, d) = round_trip(
        "/send/sticker",
        json!({"to": "15554440052", "sticker": b64(&sticker)}),
        sticker,
        "sticker",
    )
    .await;
    assert_eq!(sent["is_animated"], json!(true));
    assert_eq!(sent["message"], json!("Sticker sent successfully"));
    assert_eq!(d["media"]["is_animated"], json!(true));

    // Media from A's phone: B downloads it; after WhatsApp's copy expires, the download asks
    // the sending phone to upload it again and still answers the same bytes.
    let photo = png(30, 20);
    let sent: Value = reqwest::Client::new()
        .post(format!("{}/admin/send-image", sim.http_url()))
        .json(
            &json!({"from": "15554440051", "to": "15554440052", "image": b64(&photo),
            "mime": "image/png", "caption": "from the phone"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    let d = rx_b.data_of(&id).await;
    assert_eq!(d["message_type"], json!("image"), "{d}");
    assert_eq!(d["content"], json!("from the phone"));
    let res = reqwest::Client::new()
        .post(format!("{}/admin/media/expire", sim.http_url()))
        .json(&json!({"direct_path": sent["direct_path"]}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let (st, got, ct) = download(&app, &user_b, &id).await;
    assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&got));
    assert_eq!(ct, "image/png");
    assert!(got == photo, "re-uploaded media differs");
    // Again: from the gateway's memory.
    let (st, got, _) = download(&app, &user_b, &id).await;
    assert_eq!(st, StatusCode::OK);
    assert!(got == photo);

    // Bad input names the field.
    let bad = |path: &'static str, body: Value, field: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let (st, e) = app.post(path, admin, body).await;
            assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
            assert_eq!(e["validation"][0]["field"], json!(field), "{path}: {e}");
            e
        }
    };
    let to = "15554440052";
    bad("/send/image", json!({"number": to}), "image").await;
    bad(
        "/send/image",
        json!({"number": to, "image": "aGk=", "image_url": "http://x"}),
        "image",
    )
    .await;
    bad(
        "/send/image",
        json!({"number": to, "image": "%%% not base64"}),
        "image",
    )
    .await;
    bad(
        "/send/image",
        json!({"number": to, "image": b64(b"just some text")}),
        "image",
    )
    .await;
    bad(
        "/send/image",
        json!({"number": to, "image": b64(&png(2, 2)), "caption": "x".repeat(1025)}),
        "caption",
    )
    .await;
    bad(
        "/send/sticker",
        json!({"to": to, "sticker": b64(&png(2, 2))}),
        "sticker",
    )
    .await;
    bad(
        "/send/sticker",
        json!({"to": to, "sticker": b64(&webp(false, 600 * 1024))}),
        "sticker",
    )
    .await;
    bad(
        "/send/audio",
        json!({"number": to, "audio": b64(&[0xff, 0xfb, 0x90, 0x44, 0, 0, 0, 0]), "ptt": true}),
        "audio",
    )
    .await;
    bad(
        "/send/document",
        json!({"number": to, "document_url": format!("{files}/video.mp4")}),
        "file_name",
    )
    .await;
    bad(
        "/send/image",
        json!({"number": to, "image_url": "http://127.0.0.1:1/nothing.png"}),
        "image_url",
    )
    .await;
    bad(
        "/send/image",
        json!({"number": to, "image_url": "ftp://example.com/a.png"}),
        "image_url",
    )
    .await;
    // A URL that never answers is given up at its deadline (2 s here), not held.
    let started = Instant::now();
    let e = bad(
        "/send/image",
        json!({"number": to, "image_url": format!("{files}/stall")}),
        "image_url",
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10), "{e}");
    assert!(e["validation"][0]["message"]
        .as_str()
        .unwrap()
        .contains("within 2 s"));

    // Another tenant cannot fetch this tenant's media; an unknown id is 404.
    let (_, _, other) = app.register("other").await;
    let (st, _, _) = download(&app, &other, "3EB0NOPE").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    app.stop().await;
    sim.stop().await;
}

both_backends!(private_media_urls_are_refused);

/// By default a client's URL may not make the gateway reach loopback or private addresses,
/// by literal or by a name resolving to one.
async fn private_media_urls_are_refused(b: Backend) {
    let app = TestApp::start(b).await;
    let (_, _, admin) = app.register("ssrf").await;
    app.device(&admin, "d").await;
    for url in [
        "http://127.0.0.1:8080/a.png",
        "http://localhost/a.png",
        "http://10.0.0.7/a.png",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/a.png",
        "http://192.168.1.1/a.png",
    ] {
        let (st, e) = app
            .post(
                "/send/image",
                &admin,
                json!({"number": "15550001111", "image_url": url}),
            )
            .await;
        assert_error(st, &e, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(
            e["validation"][0]["field"],
            json!("image_url"),
            "{url}: {e}"
        );
    }
    app.stop().await;
}
