//! Device events recorded in the database under their catalogue names, for webhook delivery.

use wuts_core::events::{Event, MessageData, ReceiptData};
use wuts_core::{time, Device};
use wuts_store::Store;

pub(crate) async fn record(store: &Store, device: &Device, event: Event) {
    let name = event.name();
    if let Err(e) = store
        .record_event(&device.id, &NewEvent::new(&event), time::now_millis())
        .await
    {
        tracing::error!(device_id = %device.id, event = name, "cannot record event: {e}");
    }
}

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

fn context_of(m: &wa::Message) -> Option<&wa::ContextInfo> {
    macro_rules! ctx {
        ($($f:ident),+) => {
            None$(.or_else(|| m.$f.as_option().and_then(|e| e.context_info.as_option())))+
        };
    }
    ctx!(
        extended_text_message,
        image_message,
        video_message,
        audio_message,
        document_message,
        sticker_message
    )
}

/// The message a message replies to and whom it mentions, from its context.
pub(crate) fn reply_context(m: &wa::Message) -> (Option<String>, Vec<String>) {
    let context = context_of(m);
    (
        context.and_then(|c| c.stanza_id.clone()),
        context.map(|c| c.mentioned_jid.clone()).unwrap_or_default(),
    )
}

/// `message.received` (or `message.sent` for what the account sent from another device).
pub(crate) fn message_event(
    info: &MessageInfo,
    message: &wa::Message,
    sender: &Identities,
    own: Option<&str>,
) -> Event {
    let context = context_of(message);
    let crate::convert::Kind {
        message_type,
        content,
        fields: mut kind,
    } = crate::convert::read(message);
    // A timer change carries its timer in the message itself, not in a context.
    let timer = kind
        .remove("ephemeral_expiration")
        .and_then(|v| v.as_u64())
        .and_then(|v| u32::try_from(v).ok());
    let from_me = info.source.is_from_me;
    let chat_jid = bare(&info.source.chat);
    // What we know of the other side of a one-to-one chat we sent in: its JID.
    let peer = (!info.source.is_group).then(|| chat_jid.clone());
    let (to, to_pn, to_lid) = if from_me {
        let pn = peer.clone().filter(|j| j.ends_with("@s.whatsapp.net"));
        let lid = peer.clone().filter(|j| j.ends_with("@lid"));
        (peer.or(Some(chat_jid.clone())), pn, lid)
    } else {
        let own = own.map(str::to_string);
        (own.clone(), own, None)
    };
    let data = MessageData {
        message_id: info.id.to_string(),
        from: sender.primary(),
        from_pn: sender.pn.clone(),
        from_lid: sender.lid.clone(),
        to,
        to_pn,
        to_lid,
        chat_jid,
        is_group: info.source.is_group,
        is_from_me: from_me,
        message_type: message_type.to_string(),
        content,
        timestamp: info.timestamp.to_rfc3339(),
        push_name: Some(info.push_name.clone()).filter(|p| !p.is_empty()),
        ephemeral_expiration: timer.or(context.and_then(|c| c.expiration).filter(|e| *e > 0)),
        quoted_message_id: context.and_then(|c| c.stanza_id.clone()),
        mentions: context.map(|c| c.mentioned_jid.clone()).unwrap_or_default(),
        from_queue: None,
        server_id: (info.source.chat.server == whatsapp_rust::Server::Newsletter
            && info.server_id > 0)
            .then_some(info.server_id as u64),
        job_id: None,
        kind,
    };
    if from_me {
        Event::MessageSent(data)
    } else {
        Event::MessageReceived(data)
    }
}

/// What a receipt does to our messages, and its event: `message.delivered`, or `message.read`
/// (played voice notes and videos too, with `receipt_type: "played"`).
pub(crate) async fn receipt_event(
    client: Option<&Client>,
    r: &whatsapp_rust::wacore::types::events::Receipt,
) -> Option<(ReceiptKind, Event)> {
    let (kind, wire) = match r.r#type {
        ReceiptType::Delivered | ReceiptType::Inactive => (ReceiptKind::Delivered, "delivered"),
        ReceiptType::Read | ReceiptType::ReadSelf => (ReceiptKind::Read, "read"),
        ReceiptType::Played | ReceiptType::PlayedSelf => (ReceiptKind::Played, "played"),
        _ => return None,
    };
    let from = identities(client, &r.source.sender, r.source.sender_alt.as_ref()).await;
    let data = ReceiptData {
        message_ids: r.message_ids.iter().map(|i| i.to_string()).collect(),
        from: from.primary(),
        from_pn: from.pn,
        from_lid: from.lid,
        chat_jid: bare(&r.source.chat),
        // whatsapp-rust leaves `is_group` unset on receipts: the chat says it.
        is_group: r.source.is_group || {
            use whatsapp_rust::wacore_binary::JidExt as _;
            r.source.chat.is_group()
        },
        receipt_type: wire.to_string(),
        by_me: matches!(r.r#type, ReceiptType::ReadSelf | ReceiptType::PlayedSelf),
        timestamp: r.timestamp.to_rfc3339(),
    };
    let event = match kind {
        ReceiptKind::Delivered => Event::MessageDelivered(data),
        _ => Event::MessageRead(data),
    };
    Some((kind, event))
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
        let event = message_event(&m.info, &m.message, &sender, own);
        let (Event::MessageSent(data) | Event::MessageReceived(data)) = &event else {
            unreachable!("message_event makes message events")
        };
        if data.message_type == "ephemeral_setting" {
            let secs = data.ephemeral_expiration.unwrap_or(0);
            timers.push((bare(&m.info.source.chat), secs));
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
            message_type: data.message_type.clone(),
            content: data.content.clone(),
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
        let event = NewEvent::with_id(message_event_id(&device.id, &m.info), &event);
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
    let Some((kind, event)) = receipt_event(client, r).await else {
        return Ok(());
    };
    // In a group, who sent it (by phone number when known); not our own other devices.
    let participant = match &event {
        Event::MessageDelivered(d) | Event::MessageRead(d) if d.is_group && !d.by_me => {
            d.from_pn.clone().or_else(|| d.from.clone())
        }
        _ => None,
    };
    let ids: Vec<String> = r.message_ids.iter().map(|i| i.to_string()).collect();
    let event = NewEvent::new(&event);
    store
        .apply_receipt(
            &device.id,
            &ids,
            kind,
            participant.as_deref(),
            r.timestamp.timestamp_millis(),
            &event,
            time::now_millis(),
        )
        .await
}

/// Inbound messages as the client reports them. The durability hook recorded them already,
/// except what bypasses it: newsletter messages and placeholder recoveries (recording twice
/// would change nothing, but costs a transaction per message).
pub(crate) async fn on_messages(
    at: &crate::connection::At<'_>,
    batch: &[whatsapp_rust::wacore::types::events::InboundMessage],
) {
    use whatsapp_rust::wacore_binary::JidExt as _;
    let bypassed: Vec<_> = batch
        .iter()
        .filter(|m| m.info.source.chat.is_newsletter() || m.info.unavailable_request_id.is_some())
        .cloned()
        .collect();
    if bypassed.is_empty() {
        return;
    }
    let own = at.state.borrow().jid.clone();
    let client = Some(at.client.as_ref());
    if let Err(e) =
        record_messages(at.store, client, at.device, own.as_deref(), &bypassed, None).await
    {
        tracing::error!(device_id = %at.device.id, "cannot record messages: {e}");
    }
}

/// A receipt: applied to our messages with its event.
pub(crate) async fn on_receipt(
    at: &crate::connection::At<'_>,
    r: &whatsapp_rust::wacore::types::events::Receipt,
) {
    if let Err(e) = record_receipt(at.store, Some(at.client.as_ref()), at.device, r).await {
        tracing::error!(device_id = %at.device.id, "cannot record receipt: {e}");
    }
}
