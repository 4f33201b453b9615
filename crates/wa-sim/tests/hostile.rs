//! Hostile or broken input closes that one connection and never the server.

mod common;

use common::{admin_get, admin_post, init_logs, paired};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use wa_sim::SimServer;

/// Sends `frames` on a fresh socket and answers whether the server closed it within 5 s.
async fn closed_after(sim: &SimServer, frames: Vec<Vec<u8>>) -> bool {
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.ws_url())
        .await
        .expect("ws connects");
    for f in frames {
        if ws.send(Message::Binary(f.into())).await.is_err() {
            return true;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return true,
            Ok(Some(Ok(_))) => continue,
            Err(_) => return false,
        }
    }
}

fn framed(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = header.to_vec();
    let n = payload.len();
    v.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    v.extend_from_slice(payload);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_only_that_connection() {
    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let header = [b'W', b'A', 6, 3];
    // Not the WhatsApp header at all.
    assert!(closed_after(&sim, vec![b"GET / HTTP/1.1\r\n\r\n".to_vec()]).await);
    // The header, then a frame that is not a handshake message.
    assert!(closed_after(&sim, vec![framed(&header, &[0xff; 64])]).await);
    // A client hello with a short ephemeral key (protobuf field 2 = client hello, field 1 = 3 bytes).
    assert!(
        closed_after(
            &sim,
            vec![framed(&header, &[0x12, 0x05, 0x0a, 0x03, 1, 2, 3])]
        )
        .await
    );
    // An oversized handshake frame.
    let mut big = header.to_vec();
    big.extend_from_slice(&[0xff, 0xff, 0xff]);
    big.extend(std::iter::repeat_n(0u8, 1024 * 1024));
    assert!(closed_after(&sim, vec![big]).await);
    // A WebSocket message over the 17 MiB limit.
    assert!(closed_after(&sim, vec![vec![0u8; 18 * 1024 * 1024]]).await);
    // Text messages and empty binaries are ignored until the handshake times out or the peer
    // leaves; the server stays up meanwhile.
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.ws_url())
        .await
        .unwrap();
    ws.send(Message::Text("hello".into())).await.unwrap();
    drop(ws);

    // The server still serves: the admin API answers and a real client pairs and connects.
    let (st, _) = admin_post(&sim, "/admin/accounts", json!({"phone": "15550009999"})).await;
    assert_eq!(st, 201);
    let (st, _) = admin_post(&sim, "/admin/accounts", json!({"phone": "12"})).await;
    assert_eq!(st, 400);
    let (st, _) = admin_get(&sim, "/admin/accounts/404404404").await;
    assert_eq!(st, 404);
    let (st, e) = admin_post(&sim, "/admin/scan-qr", json!({"qr": "not,a,real,qr"})).await;
    assert!(st == 404 || st == 400, "{e}");
    let c = paired(&sim, "15550009998").await;
    c.stop().await;
    sim.stop().await;
}

/// A client that completes a real XX handshake with a registration payload, then sends `node`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_node_after_handshake_closes_the_connection() {
    use wacore::libsignal::protocol::KeyPair;
    use wacore_binary::builder::NodeBuilder;
    use wacore_noise::framing::{encode_frame, FrameDecoder};
    use wacore_noise::XxHandshakeState;
    use waproto::buffa::Message as _;

    init_logs();
    let sim = SimServer::start("127.0.0.1:0").await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(sim.ws_url())
        .await
        .unwrap();
    // A registration: the server starts pairing and keeps the socket open for the QR.
    let reg = waproto::whatsapp::client_payload::DevicePairingRegistrationData {
        e_ident: Some(vec![7u8; 32]),
        e_regid: Some(vec![0, 0, 0, 1]),
        ..Default::default()
    };
    let payload = waproto::whatsapp::ClientPayload {
        device_pairing_data: waproto::buffa::MessageField::some(reg),
        ..Default::default()
    };
    let header = wacore_binary::consts::WA_CONN_HEADER;
    let mut hs = XxHandshakeState::new(
        KeyPair::generate(&mut rand::rng()),
        payload.encode_to_vec(),
        &header,
    )
    .unwrap();
    ws.send(Message::Binary(
        encode_frame(&hs.build_client_hello().unwrap(), Some(&header))
            .unwrap()
            .into(),
    ))
    .await
    .unwrap();
    let mut dec = FrameDecoder::new();
    let hello = loop {
        if let Some(Ok(Message::Binary(b))) = ws.next().await {
            dec.feed(&b);
            if let Some(f) = dec.decode_frame() {
                break f;
            }
        }
    };
    let finish = hs
        .read_server_hello_and_build_client_finish(&hello)
        .unwrap();
    ws.send(Message::Binary(encode_frame(&finish, None).unwrap().into()))
        .await
        .unwrap();
    let out = hs.finish().unwrap();
    // The server asks the client to show QR codes and keeps the socket open...
    let first = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    assert!(
        matches!(first, Ok(Some(Ok(Message::Binary(_))))),
        "pair-device expected: {first:?}"
    );
    // ...until the client sends a stanza the server does not know.
    let node = NodeBuilder::new("bogus-stanza").attr("x", "1").build();
    let plain = wacore_binary::marshal(&node).unwrap();
    let cipher = out.write_cipher.encrypt_with_counter(0, &plain).unwrap();
    let _ = ws
        .send(Message::Binary(encode_frame(&cipher, None).unwrap().into()))
        .await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                _ => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "connection left open");
    let c = paired(&sim, "15550009997").await;
    c.stop().await;
    sim.stop().await;
}
