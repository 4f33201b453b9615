//! What a history sync holds: its chats and messages as the `history.sync` event lists them,
//! and as message rows for our records.

use whatsapp_rust::waproto::whatsapp as wa;
use wuts_core::events::{HistoryChat, HistoryMessage};
use wuts_store::messages::MessageRow;

/// At most this many messages of a history sync are listed in its event.
const HISTORY_EVENT_MESSAGES: usize = 1000;

/// The chats of a history sync with their messages (id, sender side, time, type, text).
pub(crate) fn history_chats(sync: &wa::HistorySync) -> Vec<HistoryChat> {
    let mut left = HISTORY_EVENT_MESSAGES;
    sync.conversations
        .iter()
        .map(|c| {
            let messages: Vec<HistoryMessage> = c
                .messages
                .iter()
                .filter_map(|m| m.message.as_option())
                .take(left)
                .map(|w| {
                    let key = w.key.as_option();
                    let k = w
                        .message
                        .as_option()
                        .map(crate::convert::read)
                        .unwrap_or_default();
                    let (kind, content) = (k.message_type, k.content);
                    HistoryMessage {
                        message_id: key.and_then(|k| k.id.clone()),
                        from_me: key.and_then(|k| k.from_me).unwrap_or(false),
                        participant: w
                            .participant
                            .clone()
                            .or_else(|| key.and_then(|k| k.participant.clone())),
                        timestamp: w.message_timestamp,
                        message_type: kind.to_string(),
                        content,
                    }
                })
                .collect();
            left -= messages.len();
            HistoryChat {
                chat_jid: c.id.clone(),
                messages,
            }
        })
        .collect()
}

/// The history's messages as rows of the device's message records (sent ones with the status
/// WhatsApp kept, received ones as `received`).
pub(crate) fn history_rows(device_id: &str, sync: &wa::HistorySync) -> Vec<MessageRow> {
    use wa::web_message_info::Status;
    let mut rows = Vec::new();
    for c in &sync.conversations {
        let is_group = c.id.ends_with("@g.us");
        for w in c.messages.iter().filter_map(|m| m.message.as_option()) {
            let Some(key) = w.key.as_option() else {
                continue;
            };
            let Some(id) = key.id.clone() else { continue };
            let from_me = key.from_me.unwrap_or(false);
            let Some(k) = w.message.as_option().map(crate::convert::read) else {
                continue;
            };
            let (kind, content) = (k.message_type, k.content);
            let status = if from_me {
                match w.status {
                    Some(Status::PLAYED) => "played",
                    Some(Status::READ) => "read",
                    Some(Status::DELIVERY_ACK) => "delivered",
                    _ => "pending",
                }
            } else {
                "received"
            };
            let sender = if from_me {
                None
            } else {
                w.participant
                    .clone()
                    .or_else(|| key.participant.clone())
                    .or_else(|| (!is_group).then(|| c.id.clone()))
            };
            rows.push(MessageRow {
                device_id: device_id.to_string(),
                message_id: id,
                chat_jid: c.id.clone(),
                sender_jid: sender,
                from_me,
                is_group,
                message_type: kind.to_string(),
                content,
                sent_at: w.message_timestamp.unwrap_or(0) as i64 * 1000,
                status: status.to_string(),
                delivered_at: None,
                read_at: None,
                played_at: None,
            });
        }
    }
    rows
}
