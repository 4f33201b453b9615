//! The phone's chat history and its answers to on-demand history requests: a companion asks its
//! phone (a peer message with a `HISTORY_SYNC_ON_DEMAND` data operation) and the phone uploads
//! the chat's older messages as an encrypted, compressed history blob to the media servers and
//! tells the companion where it is (`HistorySyncNotification`), as WhatsApp's phones do.

// Protobuf literals keep `..Default::default()` so new schema fields need no edit here.
#![allow(clippy::needless_update)]

use crate::state::Sim;
use buffa::Message as _;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::sync::Arc;
use waproto::whatsapp as wa;

/// One message of a chat as the phone keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryMessage {
    pub id: String,
    pub from_me: bool,
    pub text: String,
    /// Unix seconds.
    pub timestamp: u64,
}

/// Keeps a message in `phone`'s history of `chat`.
pub fn remember(sim: &Sim, phone: &str, chat: &str, m: HistoryMessage) {
    if let Some(a) = sim.lock().accounts.get_mut(phone) {
        let chat = a.history.entry(chat.to_string()).or_default();
        chat.push(m);
        chat.sort_by_key(|m| m.timestamp);
    }
}

/// A companion's request to its phone: answers the history it asks for; anything else is
/// ignored.
pub(crate) async fn on_peer_request(
    sim: &Arc<Sim>,
    phone: &str,
    device: u16,
    message: &wa::Message,
    request_id: &str,
) -> anyhow::Result<()> {
    let Some(request) = message
        .protocol_message
        .as_option()
        .and_then(|p| p.peer_data_operation_request_message.as_option())
    else {
        anyhow::bail!("not a peer data operation");
    };
    let Some(on_demand) = request.history_sync_on_demand_request.as_option() else {
        anyhow::bail!("not a history request");
    };
    let chat = on_demand.chat_jid.clone().unwrap_or_default();
    let before = on_demand.oldest_msg_timestamp_ms.unwrap_or(i64::MAX) / 1000;
    let count = on_demand.on_demand_msg_count.unwrap_or(50).clamp(1, 500) as usize;
    answer(sim, phone, device, &chat, before, count, request_id).await
}

/// Sends `device` the history of `chat` before `before` (unix seconds), newest `count`.
async fn answer(
    sim: &Arc<Sim>,
    phone: &str,
    device: u16,
    chat: &str,
    before: i64,
    count: usize,
    request_id: &str,
) -> anyhow::Result<()> {
    let messages: Vec<HistoryMessage> = {
        let inner = sim.lock();
        let all = inner
            .accounts
            .get(phone)
            .and_then(|a| a.history.get(chat))
            .cloned()
            .unwrap_or_default();
        let older: Vec<HistoryMessage> = all
            .into_iter()
            .filter(|m| (m.timestamp as i64) < before)
            .collect();
        older[older.len().saturating_sub(count)..].to_vec()
    };
    let history = wa::HistorySync {
        sync_type: wa::history_sync::HistorySyncType::ON_DEMAND,
        conversations: vec![wa::Conversation {
            id: chat.to_string(),
            messages: messages
                .iter()
                .enumerate()
                .map(|(i, m)| wa::HistorySyncMsg {
                    message: wa::WebMessageInfo {
                        key: wa::MessageKey {
                            remote_jid: Some(chat.to_string()),
                            from_me: Some(m.from_me),
                            id: Some(m.id.clone()),
                            participant: None,
                            ..Default::default()
                        }
                        .into(),
                        message: wa::Message {
                            conversation: Some(m.text.clone()),
                            ..Default::default()
                        }
                        .into(),
                        message_timestamp: Some(m.timestamp),
                        participant: (!m.from_me).then(|| chat.to_string()),
                        ..Default::default()
                    }
                    .into(),
                    msg_order_id: Some(i as u64 + 1),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }],
        chunk_order: Some(1),
        progress: Some(100),
        ..Default::default()
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&history.encode_to_vec())?;
    let compressed = z.finish()?;
    let enc = wacore::upload::encrypt_media(&compressed, wacore::download::MediaType::History)?;
    let direct_path = crate::media::store(sim, "md-msg-hist", enc.data_to_upload.into());
    let notification = wa::message::HistorySyncNotification {
        file_sha256: Some(enc.file_sha256.to_vec()),
        file_length: Some(compressed.len() as u64),
        media_key: Some(enc.media_key.to_vec()),
        file_enc_sha256: Some(enc.file_enc_sha256.to_vec()),
        direct_path: Some(direct_path),
        sync_type: Some(wa::message::HistorySyncType::ON_DEMAND),
        chunk_order: Some(1),
        progress: Some(100),
        peer_data_request_session_id: Some(request_id.to_string()),
        oldest_msg_in_chunk_timestamp_sec: messages.first().map(|m| m.timestamp as i64),
        ..Default::default()
    };
    let message = wa::Message {
        protocol_message: wa::message::ProtocolMessage {
            r#type: Some(wa::message::protocol_message::Type::HISTORY_SYNC_NOTIFICATION),
            history_sync_notification: notification.into(),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    };
    crate::phone::send_to_own_device(sim, phone, device, &message).await
}
