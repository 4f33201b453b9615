//! One task per WebSocket: handshake, then encrypted nodes in both directions. Anything hostile
//! (bad header, bad handshake, undecryptable frame, unknown node) ends this connection only.

use crate::noise::Step;
use crate::proto::{self, Session};
use crate::state::{Outbound, Sim};
use crate::transport::{frame, Framer, Secure};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, info};

/// Largest WebSocket message accepted (a frame is at most 16 MiB).
const MAX_MESSAGE: usize = 17 * 1024 * 1024;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// Handshake messages are a few hundred bytes; more than this pending is hostile.
const HANDSHAKE_MAX: usize = 64 * 1024;

pub async fn upgrade(ws: WebSocketUpgrade, State(sim): State<Arc<Sim>>) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            if let Err(e) = serve(sim, socket).await {
                info!("connection closed: {e}");
            }
        })
}

/// Reads frames until one is complete.
async fn next_frame(
    socket: &mut WebSocket,
    framer: &mut Framer,
    backlog: &mut Vec<bytes::BytesMut>,
) -> anyhow::Result<bytes::BytesMut> {
    loop {
        if !backlog.is_empty() {
            return Ok(backlog.remove(0));
        }
        match socket.next().await {
            Some(Ok(Message::Binary(data))) => {
                backlog.extend(framer.feed(&data)?);
                if backlog.is_empty() && framer.buffered() > HANDSHAKE_MAX {
                    anyhow::bail!("oversized handshake frame");
                }
            }
            Some(Ok(Message::Close(_))) | None => anyhow::bail!("closed by client"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => anyhow::bail!("socket: {e}"),
        }
    }
}

async fn serve(sim: Arc<Sim>, mut socket: WebSocket) -> anyhow::Result<()> {
    let mut framer = Framer::new();
    let mut backlog = Vec::new();
    let hello = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        next_frame(&mut socket, &mut framer, &mut backlog),
    )
    .await??;
    let established = match sim.identity.respond(&hello)? {
        Step::Done { reply, established } => {
            socket.send(Message::Binary(frame(&reply)?.into())).await?;
            *established
        }
        Step::AwaitFinish { reply, pending } => {
            socket.send(Message::Binary(frame(&reply)?.into())).await?;
            let finish = tokio::time::timeout(
                HANDSHAKE_TIMEOUT,
                next_frame(&mut socket, &mut framer, &mut backlog),
            )
            .await??;
            pending.finish(&finish)?
        }
    };
    let mut secure = Secure::new(established.read, established.write);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let conn = sim.register_conn(tx);
    let mut session = Session::new(conn.clone());
    let result = async {
        proto::login::start(
            &sim,
            &mut session,
            &established.payload,
            established.client_static,
        );
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Outbound::Node(node)) => {
                        debug!(conn = conn.id, tag = %node.tag, "send");
                        socket.send(Message::Binary(secure.seal(&node)?.into())).await?;
                    }
                    Some(Outbound::CloseWith(node)) => {
                        socket.send(Message::Binary(secure.seal(&node)?.into())).await?;
                        let _ = socket.send(Message::Close(None)).await;
                        return Ok(());
                    }
                    Some(Outbound::Close) | None => {
                        let _ = socket.send(Message::Close(None)).await;
                        return Ok(());
                    }
                },
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Binary(data))) => {
                        for f in framer.feed(&data)? {
                            let node = secure.open(f)?;
                            debug!(conn = conn.id, tag = %node.tag, "recv");
                            proto::dispatch(&sim, &mut session, node)?;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => anyhow::bail!("socket: {e}"),
                }
            }
        }
    }
    .await;
    sim.drop_conn(conn.id);
    result
}
