//! Device events recorded in the database under their catalogue names, for webhook delivery.

use wuts_core::{time, Device};
use wuts_store::Store;

pub(crate) async fn record(store: &Store, device: &Device, event: &str, data: serde_json::Value) {
    let id = uuid::Uuid::new_v4().to_string();
    if let Err(e) = store
        .record_event(
            &device.id,
            &id,
            event,
            &data.to_string(),
            time::now_millis(),
        )
        .await
    {
        tracing::error!(device_id = %device.id, event, "cannot record event: {e}");
    }
}

use serde_json::{json, Value};
use whatsapp_rust::wacore::types::message::MessageInfo;
use whatsapp_rust::wacore::types::presence::ReceiptType;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

fn bare(j: &Jid) -> String {
    j.to_non_ad().to_string()
}

/// The phone-number and LID identities of a sender, whichever the stanza carried first.
fn identities(primary: &Jid, alt: Option<&Jid>) -> (Option<String>, Option<String>) {
    let mut pn = None;
    let mut lid = None;
    for j in std::iter::once(primary).chain(alt) {
        match j.server.to_string().as_str() {
            "lid" => lid = lid.or(Some(bare(j))),
            "s.whatsapp.net" => pn = pn.or(Some(bare(j))),
            _ => {}
        }
    }
    (pn, lid)
}

fn text_of(m: &wa::Message) -> Option<String> {
    m.conversation.clone().or_else(|| {
        m.extended_text_message
            .as_option()
            .and_then(|e| e.text.clone())
    })
}

/// `message.received` (or `message.sent` for what the account sent from another device).
pub(crate) fn message_event(
    info: &MessageInfo,
    message: &wa::Message,
    own: Option<&str>,
) -> (&'static str, Value) {
    let (from, from_lid) = identities(&info.source.sender, info.source.sender_alt.as_ref());
    let content = text_of(message);
    let data = json!({
        "message_id": info.id.to_string(),
        "from": from.clone().or(from_lid.clone()),
        "from_pn": from,
        "from_lid": from_lid,
        "to": own,
        "chat_jid": bare(&info.source.chat),
        "is_group": info.source.is_group,
        "content": content,
        "message_type": if content.is_some() { "text" } else { "unknown" },
        "timestamp": info.timestamp.to_rfc3339(),
        "is_from_me": info.source.is_from_me,
        "push_name": info.push_name,
    });
    (
        if info.source.is_from_me {
            "message.sent"
        } else {
            "message.received"
        },
        data,
    )
}

/// `message.delivered` / `message.read` from a receipt.
pub(crate) fn receipt_event(
    r: &whatsapp_rust::wacore::types::events::Receipt,
) -> Option<(&'static str, Value)> {
    let name = match r.r#type {
        ReceiptType::Delivered | ReceiptType::Inactive => "message.delivered",
        ReceiptType::Read | ReceiptType::ReadSelf => "message.read",
        _ => return None,
    };
    let (from, from_lid) = identities(&r.source.sender, r.source.sender_alt.as_ref());
    Some((
        name,
        json!({
            "message_ids": r.message_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            "from": from.clone().or(from_lid.clone()),
            "from_pn": from,
            "from_lid": from_lid,
            "chat_jid": bare(&r.source.chat),
            "timestamp": r.timestamp.to_rfc3339(),
        }),
    ))
}

/// The id of an inbound message's event: the same every time WhatsApp redelivers that message,
/// so a redelivery after a crash is recorded (and delivered) once, with one id.
pub(crate) fn message_event_id(device_id: &str, info: &MessageInfo) -> String {
    use sha2::{Digest, Sha256};
    let key = format!(
        "{device_id}|{}|{}|{}",
        info.source.chat, info.source.sender, info.id
    );
    let digest = Sha256::digest(key.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Records a batch of inbound messages before WhatsApp is acknowledged (durability hook), and
/// idempotently: recording the same messages again changes nothing.
pub(crate) async fn record_messages(
    store: &Store,
    device: &Device,
    own: Option<&str>,
    batch: &[whatsapp_rust::wacore::types::events::InboundMessage],
) -> Result<(), wuts_store::StoreError> {
    let rows: Vec<(String, &str, String)> = batch
        .iter()
        .map(|m| {
            let (name, data) = message_event(&m.info, &m.message, own);
            (
                message_event_id(&device.id, &m.info),
                name,
                data.to_string(),
            )
        })
        .collect();
    store
        .record_events_once(&device.id, &rows, time::now_millis())
        .await
}
