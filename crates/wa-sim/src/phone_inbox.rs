//! What the simulated phones receive: each `<message>` handed to a device 0 is read here, one
//! at a time. A companion's peer request goes to [`crate::phone_history`]; a message from
//! another account (1:1, or a group's sender-key message with the distribution that comes with
//! it) is decrypted as a real phone would and kept for the admin API, so tests see what a phone
//! got.

use crate::proto::attr;
use crate::proto::keys::split_jid;
use crate::state::Sim;
use serde::Serialize;
use std::sync::Arc;
use wacore_binary::{Node, NodeContent};
use waproto::whatsapp as wa;

/// One message as a phone received it.
#[derive(Debug, Clone, Serialize)]
pub struct PhoneMessage {
    pub id: String,
    /// The chat: the sender's JID, or the group's.
    pub chat: String,
    /// The sending account's phone JID (`<phone>@s.whatsapp.net`).
    pub sender: String,
    /// `text`, `image`, `video`, `audio`, `document`, `sticker`, `poll`, `reaction`,
    /// `location`, `contact`, `protocol` or `other`.
    pub kind: String,
    /// The text, caption, poll name or reaction, when the message has one.
    pub text: Option<String>,
    /// Unix seconds, from the stanza.
    pub timestamp: u64,
    /// Audio and video: what the phone would show of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<PhoneMedia>,
}

/// What a phone shows of a voice note, an audio file or a video before downloading it.
#[derive(Debug, Clone, Serialize)]
pub struct PhoneMedia {
    pub mimetype: Option<String>,
    pub seconds: Option<u32>,
    pub file_length: Option<u64>,
    pub ptt: bool,
    /// The voice note's waveform points, as sent.
    pub waveform: Vec<u8>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The inline JPEG thumbnail, as sent.
    pub thumbnail_bytes: usize,
    pub gif_playback: bool,
}

fn media_of(m: &wa::Message) -> Option<PhoneMedia> {
    if let Some(a) = m.audio_message.as_option() {
        return Some(PhoneMedia {
            mimetype: a.mimetype.clone(),
            seconds: a.seconds,
            file_length: a.file_length,
            ptt: a.ptt.unwrap_or(false),
            waveform: a.waveform.clone().unwrap_or_default(),
            width: None,
            height: None,
            thumbnail_bytes: 0,
            gif_playback: false,
        });
    }
    m.video_message.as_option().map(|v| PhoneMedia {
        mimetype: v.mimetype.clone(),
        seconds: v.seconds,
        file_length: v.file_length,
        ptt: false,
        waveform: Vec::new(),
        width: v.width,
        height: v.height,
        thumbnail_bytes: v.jpeg_thumbnail.as_ref().map_or(0, Vec::len),
        gif_playback: v.gif_playback.unwrap_or(false),
    })
}

/// Reads what the phones receive, one message at a time.
pub async fn run(sim: Arc<Sim>, mut rx: tokio::sync::mpsc::UnboundedReceiver<(String, Node)>) {
    while let Some((phone, node)) = rx.recv().await {
        if let Err(e) = handle(&sim, &phone, &node).await {
            tracing::debug!(phone, "phone ignored a message: {e}");
        }
    }
}

/// The phone number behind a user part, when the JID is a LID.
fn phone_number(sim: &Sim, user: &str, jid: &str) -> String {
    if jid.ends_with("@lid") {
        if let Some(p) = sim.lock().lid_to_phone.get(user) {
            return p.clone();
        }
    }
    user.to_string()
}

async fn handle(sim: &Arc<Sim>, phone: &str, node: &Node) -> anyhow::Result<()> {
    let from = attr(node, "from").unwrap_or_default();
    if from.ends_with("@newsletter") {
        return channel_post(sim, phone, node, from);
    }
    // Groups and status posts come under a sender key.
    let group =
        (from.ends_with("@g.us") || from == crate::proto::status::BROADCAST).then(|| from.clone());
    let sender_jid = match &group {
        Some(_) => attr(node, "participant").unwrap_or_default(),
        None => from.clone(),
    };
    let (user, device) =
        split_jid(&sender_jid).ok_or_else(|| anyhow::anyhow!("bad sender {sender_jid}"))?;
    let sender = phone_number(sim, &user, &sender_jid);
    let encs: Vec<&Node> = node
        .children()
        .unwrap_or_default()
        .iter()
        .filter(|c| c.tag == "enc")
        .collect();
    if encs.is_empty() {
        anyhow::bail!("no enc");
    }
    let id = attr(node, "id").unwrap_or_default();
    if sender == phone && group.is_none() {
        if device == 0 {
            anyhow::bail!("a message from the phone itself");
        }
        let message = crate::phone::decrypt_from(sim, phone, phone, device, encs[0]).await?;
        return crate::phone_history::on_peer_request(sim, phone, device, &message, &id).await;
    }
    // The sender key is named by the sending device, as the stanza names it.
    let sender_device = format!("{sender}:{device}");
    let mut received: Option<wa::Message> = None;
    for enc in encs {
        let kind = attr(enc, "type").unwrap_or_default();
        let message = if kind == "skmsg" {
            let Some(g) = &group else {
                anyhow::bail!("a sender-key message outside a group");
            };
            let Some(NodeContent::Bytes(bytes)) = &enc.content else {
                anyhow::bail!("skmsg without bytes");
            };
            crate::phone::decrypt_group(sim, phone, g, &sender_device, bytes).await?
        } else {
            crate::phone::decrypt_from(sim, phone, &sender, device, enc).await?
        };
        if let (Some(g), Some(skdm)) = (&group, message.sender_key_distribution_message.as_option())
        {
            if let Some(bytes) = &skdm.axolotl_sender_key_distribution_message {
                crate::phone::accept_sender_key(sim, phone, g, &sender_device, bytes).await?;
            }
        }
        let message = match message.device_sent_message.as_option() {
            Some(sent) => sent.message.as_option().cloned().unwrap_or_default(),
            None => message,
        };
        if summary(&message).0 != "other" {
            received = Some(message);
        }
    }
    let Some(message) = received else {
        return Ok(());
    };
    let (kind, text) = summary(&message);
    let kept = PhoneMessage {
        id,
        chat: group.unwrap_or_else(|| format!("{sender}@s.whatsapp.net")),
        sender: format!("{sender}@s.whatsapp.net"),
        kind: kind.to_string(),
        text,
        timestamp: attr(node, "t").and_then(|t| t.parse().ok()).unwrap_or(0),
        media: media_of(&message),
    };
    if let Some(a) = sim.lock().accounts.get_mut(phone) {
        a.phone_messages.push(kept);
    }
    Ok(())
}

/// A channel post (plaintext, no Signal) the phone follows.
fn channel_post(sim: &Sim, phone: &str, node: &Node, from: String) -> anyhow::Result<()> {
    use buffa::Message as _;
    let Some(NodeContent::Bytes(bytes)) = node
        .get_optional_child("plaintext")
        .and_then(|p| p.content.as_ref())
    else {
        anyhow::bail!("a channel post without plaintext");
    };
    let message = wa::Message::decode_from_slice(bytes)?;
    let (kind, text) = summary(&message);
    let kept = PhoneMessage {
        id: attr(node, "id").unwrap_or_default(),
        chat: from.clone(),
        sender: from,
        kind: kind.to_string(),
        text,
        timestamp: attr(node, "t").and_then(|t| t.parse().ok()).unwrap_or(0),
        media: media_of(&message),
    };
    if let Some(a) = sim.lock().accounts.get_mut(phone) {
        a.phone_messages.push(kept);
    }
    Ok(())
}

/// The text, caption or name a message shows, when it has one.
pub fn text_of(m: &wa::Message) -> Option<String> {
    summary(m).1
}

/// What kind of message `m` is, and its text when it has one.
fn summary(m: &wa::Message) -> (&'static str, Option<String>) {
    if let Some(t) = &m.conversation {
        return ("text", Some(t.clone()));
    }
    if let Some(t) = m.extended_text_message.as_option() {
        return ("text", t.text.clone());
    }
    if let Some(i) = m.image_message.as_option() {
        return ("image", i.caption.clone());
    }
    if let Some(v) = m.video_message.as_option() {
        return ("video", v.caption.clone());
    }
    if m.audio_message.is_set() {
        return ("audio", None);
    }
    if let Some(d) = m.document_message.as_option() {
        return (
            "document",
            d.caption.clone().or_else(|| d.file_name.clone()),
        );
    }
    if m.sticker_message.is_set() {
        return ("sticker", None);
    }
    for poll in [
        &m.poll_creation_message,
        &m.poll_creation_message_v2,
        &m.poll_creation_message_v3,
    ] {
        if let Some(p) = poll.as_option() {
            return ("poll", p.name.clone());
        }
    }
    if let Some(r) = m.reaction_message.as_option() {
        return ("reaction", r.text.clone());
    }
    if let Some(l) = m.location_message.as_option() {
        return ("location", l.name.clone());
    }
    if let Some(c) = m.contact_message.as_option() {
        return ("contact", c.display_name.clone());
    }
    if m.protocol_message.is_set() {
        return ("protocol", None);
    }
    ("other", None)
}
