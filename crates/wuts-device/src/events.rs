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
use whatsapp_rust::prelude::Client;
use whatsapp_rust::wacore::types::message::MessageInfo;
use whatsapp_rust::wacore::types::presence::ReceiptType;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;
use wuts_store::messages::{MessageRow, NewEvent, ReceiptKind};

pub(crate) fn bare(j: &Jid) -> String {
    j.to_non_ad().to_string()
}

/// A contact's two identities: the phone-number JID and the LID, each when known.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Identities {
    pub pn: Option<String>,
    pub lid: Option<String>,
}

impl Identities {
    /// The JID to show first: the phone number when known.
    pub fn primary(&self) -> Option<String> {
        self.pn.clone().or(self.lid.clone())
    }
}

/// Both identities of a contact: what the stanza carried, completed from the client's LID/PN
/// mapping (senders arriving as a bare `@lid` get their phone number when WhatsApp told us it).
pub(crate) async fn identities(
    client: Option<&Client>,
    primary: &Jid,
    alt: Option<&Jid>,
) -> Identities {
    let mut ids = Identities::default();
    for j in std::iter::once(primary).chain(alt) {
        if j.is_lid() {
            ids.lid = ids.lid.or(Some(bare(j)));
        } else if j.is_pn() {
            ids.pn = ids.pn.or(Some(bare(j)));
        }
    }
    if let Some(client) = client {
        if ids.pn.is_none() || ids.lid.is_none() {
            if let Ok(Some(e)) = client.get_lid_pn_entry(primary).await {
                ids.pn = ids
                    .pn
                    .or(Some(format!("{}@s.whatsapp.net", e.phone_number)));
                ids.lid = ids.lid.or(Some(format!("{}@lid", e.lid)));
            }
        }
    }
    ids
}

pub(crate) fn text_of(m: &wa::Message) -> Option<String> {
    m.conversation.clone().or_else(|| {
        m.extended_text_message
            .as_option()
            .and_then(|e| e.text.clone())
    })
}

fn context_of(m: &wa::Message) -> Option<&wa::ContextInfo> {
    m.extended_text_message
        .as_option()
        .and_then(|e| e.context_info.as_option())
}

/// `message.received` (or `message.sent` for what the account sent from another device).
pub(crate) fn message_event(
    info: &MessageInfo,
    message: &wa::Message,
    sender: &Identities,
    own: Option<&str>,
) -> (&'static str, Value) {
    let context = context_of(message);
    let (message_type, content, details) = kind_of(message);
    let data = json!({
        "message_id": info.id.to_string(),
        "from": sender.primary(),
        "from_pn": sender.pn,
        "from_lid": sender.lid,
        "to": own,
        "chat_jid": bare(&info.source.chat),
        "is_group": info.source.is_group,
        "content": content,
        "message_type": message_type,
        "timestamp": info.timestamp.to_rfc3339(),
        "is_from_me": info.source.is_from_me,
        "push_name": info.push_name,
        "ephemeral_expiration": context.and_then(|c| c.expiration).filter(|e| *e > 0),
        "quoted_message_id": context.and_then(|c| c.stanza_id.clone()),
        "mentions": context.map(|c| c.mentioned_jid.clone()).unwrap_or_default(),
    });
    let mut data = data;
    if let (Some(d), Value::Object(x)) = (data.as_object_mut(), details) {
        d.extend(x);
    }
    (
        if info.source.is_from_me {
            "message.sent"
        } else {
            "message.received"
        },
        data,
    )
}

/// A message's type as WUTS names it, its text (when it has one) and the fields of its kind.
pub(crate) fn kind_of(m: &wa::Message) -> (&'static str, Option<String>, Value) {
    use wa::message::protocol_message::Type as P;
    if let Some(text) = text_of(m) {
        return ("text", Some(text), json!({}));
    }
    if let Some(md) = crate::media::media_details(m) {
        return (md.kind.as_str(), md.caption, md.fields);
    }
    if let Some(b) = crate::business::business_kind(m) {
        return b;
    }
    if let Some(l) = m.location_message.as_option() {
        return (
            "location",
            l.name.clone(),
            json!({"location": {"latitude": l.degrees_latitude, "longitude": l.degrees_longitude,
                "name": l.name, "address": l.address, "url": l.url, "comment": l.comment}}),
        );
    }
    if let Some(l) = m.live_location_message.as_option() {
        return (
            "live_location",
            l.caption.clone(),
            json!({"location": {"latitude": l.degrees_latitude, "longitude": l.degrees_longitude,
                "live": true, "accuracy_in_meters": l.accuracy_in_meters,
                "speed_in_mps": l.speed_in_mps, "sequence_number": l.sequence_number}}),
        );
    }
    if let Some(c) = m.contact_message.as_option() {
        return (
            "contact",
            c.display_name.clone(),
            json!({"contacts": [{"display_name": c.display_name, "vcard": c.vcard}]}),
        );
    }
    if let Some(a) = m.contacts_array_message.as_option() {
        let cards: Vec<Value> = a
            .contacts
            .iter()
            .map(|c| json!({"display_name": c.display_name, "vcard": c.vcard}))
            .collect();
        return (
            "contacts",
            a.display_name.clone(),
            json!({"contacts": cards}),
        );
    }
    let poll = m
        .poll_creation_message
        .as_option()
        .or(m.poll_creation_message_v2.as_option())
        .or(m.poll_creation_message_v3.as_option());
    if let Some(p) = poll {
        let options: Vec<Option<String>> =
            p.options.iter().map(|o| o.option_name.clone()).collect();
        return (
            "poll",
            p.name.clone(),
            json!({"poll": {"options": options,
                "multiple_choice": p.selectable_options_count.unwrap_or(0) != 1}}),
        );
    }
    if let Some(r) = m.reaction_message.as_option() {
        let target = r.key.as_option();
        return (
            "reaction",
            r.text.clone(),
            json!({"reaction": r.text, "original_message_id": target.and_then(|k| k.id.clone()),
                "original_by_sender": target.and_then(|k| k.from_me)}),
        );
    }
    if let Some(p) = m.protocol_message.as_option() {
        let target = p.key.as_option().and_then(|k| k.id.clone());
        match p.r#type {
            Some(P::EphemeralSetting) => {
                return (
                    "ephemeral_setting",
                    None,
                    json!({"ephemeral_expiration": p.ephemeral_expiration.unwrap_or(0)}),
                )
            }
            Some(P::Revoke) => {
                return ("revoke", None, json!({"original_message_id": target}));
            }
            Some(P::MessageEdit) => {
                let text = p.edited_message.as_option().and_then(text_of);
                return ("edit", text, json!({"original_message_id": target}));
            }
            _ => {}
        }
    }
    ("unknown", None, json!({}))
}

/// What a receipt does to our messages, and its event: `message.delivered`, or `message.read`
/// (played voice notes and videos too, with `receipt_type: "played"`).
pub(crate) async fn receipt_event(
    client: Option<&Client>,
    r: &whatsapp_rust::wacore::types::events::Receipt,
) -> Option<(ReceiptKind, &'static str, Value)> {
    let (kind, name, wire) = match r.r#type {
        ReceiptType::Delivered | ReceiptType::Inactive => {
            (ReceiptKind::Delivered, "message.delivered", "delivered")
        }
        ReceiptType::Read | ReceiptType::ReadSelf => (ReceiptKind::Read, "message.read", "read"),
        ReceiptType::Played | ReceiptType::PlayedSelf => {
            (ReceiptKind::Played, "message.read", "played")
        }
        _ => return None,
    };
    let from = identities(client, &r.source.sender, r.source.sender_alt.as_ref()).await;
    Some((
        kind,
        name,
        json!({
            "message_ids": r.message_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
            "from": from.primary(),
            "from_pn": from.pn,
            "from_lid": from.lid,
            "chat_jid": bare(&r.source.chat),
            "is_group": r.source.is_group,
            "receipt_type": wire,
            "by_me": matches!(r.r#type, ReceiptType::ReadSelf | ReceiptType::PlayedSelf),
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

/// Records a batch of inbound messages (rows and events, one transaction) before WhatsApp is
/// acknowledged (durability hook), and idempotently: recording them again changes nothing.
/// What was last written about each sender (so an unchanged push name costs no write).
pub(crate) type SendersSeen =
    std::sync::Mutex<std::collections::HashMap<String, wuts_store::chats::ContactChange>>;

pub(crate) async fn record_messages(
    store: &Store,
    client: Option<&Client>,
    device: &Device,
    own: Option<&str>,
    batch: &[whatsapp_rust::wacore::types::events::InboundMessage],
    seen: Option<&SendersSeen>,
) -> Result<(), wuts_store::StoreError> {
    let mut rows = Vec::with_capacity(batch.len());
    let mut senders: Vec<(String, wuts_store::chats::ContactChange)> = Vec::new();
    let mut timers: Vec<(String, u32)> = Vec::new();
    let mut media = Vec::new();
    for m in batch {
        if let Some(md) = crate::media::media_details(&m.message) {
            media.push(wuts_store::media::MediaRow {
                reference: md.reference(),
                device_id: device.id.clone(),
                message_id: m.info.id.to_string(),
                media_type: md.kind.as_str().to_string(),
                mime_type: md.mime_type,
                file_name: md.file_name,
                file_length: md.file_length.and_then(|l| i64::try_from(l).ok()),
            });
        }
        let sender = identities(
            client,
            &m.info.source.sender,
            m.info.source.sender_alt.as_ref(),
        )
        .await;
        let (name, data) = message_event(&m.info, &m.message, &sender, own);
        if data["message_type"] == "ephemeral_setting" {
            let secs = data["ephemeral_expiration"].as_u64().unwrap_or(0);
            timers.push((bare(&m.info.source.chat), u32::try_from(secs).unwrap_or(0)));
        }
        if let (Some(pn), false) = (&sender.pn, m.info.source.is_from_me) {
            let push_name = Some(m.info.push_name.clone()).filter(|p| !p.is_empty());
            if push_name.is_some() || sender.lid.is_some() {
                senders.push((
                    pn.clone(),
                    wuts_store::chats::ContactChange {
                        lid: sender.lid.clone(),
                        push_name,
                        ..Default::default()
                    },
                ));
            }
        }
        let row = MessageRow {
            device_id: device.id.clone(),
            message_id: m.info.id.to_string(),
            chat_jid: bare(&m.info.source.chat),
            sender_jid: sender.primary(),
            from_me: m.info.source.is_from_me,
            is_group: m.info.source.is_group,
            message_type: data["message_type"]
                .as_str()
                .unwrap_or("unknown")
                .to_string(),
            content: data["content"].as_str().map(str::to_string),
            sent_at: m.info.timestamp.timestamp_millis(),
            status: if m.info.source.is_from_me {
                "sent"
            } else {
                "received"
            }
            .to_string(),
            delivered_at: None,
            read_at: None,
            played_at: None,
        };
        let event = NewEvent {
            id: message_event_id(&device.id, &m.info),
            name,
            data: data.to_string(),
        };
        rows.push((row, event));
    }
    if let Some(seen) = seen {
        let known = seen.lock().unwrap_or_else(|p| p.into_inner());
        senders.retain(|(jid, c)| known.get(jid) != Some(c));
        senders.dedup_by(|a, b| a == b);
    }
    store
        .record_messages(&rows, &senders, &timers, &media, time::now_millis())
        .await?;
    if let Some(seen) = seen {
        let mut known = seen.lock().unwrap_or_else(|p| p.into_inner());
        for (jid, c) in senders {
            known.insert(jid, c);
        }
    }
    Ok(())
}

/// Applies a receipt to the messages it names and records its event, in one transaction.
pub(crate) async fn record_receipt(
    store: &Store,
    client: Option<&Client>,
    device: &Device,
    r: &whatsapp_rust::wacore::types::events::Receipt,
) -> Result<(), wuts_store::StoreError> {
    let Some((kind, name, data)) = receipt_event(client, r).await else {
        return Ok(());
    };
    let ids: Vec<String> = r.message_ids.iter().map(|i| i.to_string()).collect();
    let event = NewEvent {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        data: data.to_string(),
    };
    store
        .apply_receipt(
            &device.id,
            &ids,
            kind,
            r.timestamp.timestamp_millis(),
            &event,
            time::now_millis(),
        )
        .await
}
