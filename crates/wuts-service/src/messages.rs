//! WUTS "messages": sending text (with reply and mentions). The other kinds are a later issue.

use crate::devices::Target;
use crate::instances::normalize_phone;
use crate::Services;
use std::time::Duration;
use wuts_core::error::DomainResult;
use wuts_core::events::{Event, MessageData};
use wuts_core::{time, Device, DomainError, FieldError};
use wuts_device::convert;
use wuts_store::events::NewEvent;
use wuts_store::messages::MessageRow;

pub const TEXT_MAX: usize = 4096;
/// The longest `delay` or `typingDuration` a request may ask for, in seconds.
pub const WAIT_MAX_SECS: f64 = 60.0;

/// The message a reply quotes.
#[derive(Debug, Clone, Default)]
pub struct Quoted {
    pub id: String,
    pub from_me: bool,
    /// The quoted text, when the caller gave it (we fill it from our records otherwise).
    pub text: Option<String>,
}

/// A text to send.
#[derive(Debug, Clone, Default)]
pub struct SendText {
    pub number: String,
    pub text: String,
    pub quoted: Option<Quoted>,
    /// JIDs or phone numbers to mention.
    pub mentions: Vec<String>,
    /// Seconds to wait before sending.
    pub delay: Option<f64>,
    /// Seconds of "typing…" shown before sending.
    pub typing: Option<f64>,
}

/// What a send answers.
pub struct Sent {
    pub device: Device,
    pub message_id: String,
    pub chat_jid: String,
    /// The recipient's phone-number JID and LID, each when known (groups: neither).
    pub recipient_pn: Option<String>,
    pub recipient_lid: Option<String>,
    pub sent_at: i64,
    pub processing_ms: i64,
    pub presence_sent: bool,
    pub presence_secs: f64,
    pub mentions: usize,
    pub quoted_found: bool,
}

/// A recipient as WUTS takes it: a phone number (normalised) or a full user or group JID.
pub fn recipient(field: &str, raw: &str) -> DomainResult<String> {
    let r = raw.trim();
    if r.is_empty() {
        return Err(DomainError::fields(vec![FieldError::new(
            field,
            "is required",
        )]));
    }
    if let Some((user, server)) = r.split_once('@') {
        let ok = matches!(server, "s.whatsapp.net" | "g.us" | "lid")
            && !user.is_empty()
            && user.bytes().all(|b| b.is_ascii_digit() || b == b'-');
        if ok {
            return Ok(r.to_string());
        }
        return Err(DomainError::fields(vec![FieldError::new(
            field,
            "invalid recipient JID",
        )
        .with_value(raw)]));
    }
    Ok(format!("{}@s.whatsapp.net", normalize_phone(field, r)?))
}

/// The most mentions one message may carry: a mention names a group member, and a group has
/// at most 1,024 of them.
pub const MENTIONS_MAX: usize = 1024;

/// A send's `mentions`: at most [`MENTIONS_MAX`] recipients, each a phone number or JID.
pub(crate) fn mentions(field: &str, raw: &[String]) -> DomainResult<Vec<String>> {
    if raw.len() > MENTIONS_MAX {
        return Err(DomainError::field(
            field,
            format!("at most {MENTIONS_MAX} mentions per message"),
        ));
    }
    raw.iter().map(|m| recipient(field, m)).collect()
}

/// Waits `secs` seconds (a send's `delay`, checked by [`seconds`]).
pub(crate) async fn pause(secs: f64) {
    if secs > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    }
}

pub(crate) fn seconds(field: &str, v: Option<f64>) -> DomainResult<f64> {
    match v {
        None => Ok(0.0),
        Some(s) if s.is_finite() && (0.0..=WAIT_MAX_SECS).contains(&s) => Ok(s),
        Some(_) => Err(DomainError::field(
            field,
            format!("must be between 0 and {WAIT_MAX_SECS} seconds"),
        )),
    }
}

fn jid(field: &str, s: &str) -> DomainResult<wuts_device::Jid> {
    s.parse()
        .map_err(|_| DomainError::field(field, "invalid recipient JID"))
}

impl Services {
    /// The device's live session, or DEVICE_NOT_READY.
    /// The device's live runtime when it is connected, else `DEVICE_NOT_READY` at once: the
    /// one way the use cases ask whether a device is connected.
    pub(crate) async fn connected_device(
        &self,
        device: &Device,
    ) -> DomainResult<std::sync::Arc<wuts_device::LiveDevice>> {
        match self.devices.get(&device.id).await {
            Some(l) if l.state().connected => Ok(l),
            _ => Err(DomainError::DeviceNotReady(
                "WhatsApp session is not connected".into(),
            )),
        }
    }

    pub async fn send_text(&self, at: &Target, req: SendText) -> DomainResult<Sent> {
        let started = time::now_millis();
        let to = recipient("number", &req.number)?;
        let n = req.text.chars().count();
        if n == 0 || n > TEXT_MAX {
            return Err(DomainError::field(
                "text",
                format!("must be 1 to {TEXT_MAX} characters"),
            ));
        }
        let delay = seconds("delay", req.delay)?;
        let typing = seconds("typingDuration", req.typing)?;
        let mentions = mentions("mentions", &req.mentions)?;
        if let Some(q) = &req.quoted {
            if q.id.trim().is_empty() {
                return Err(DomainError::field("quoted.key.id", "is required"));
            }
        }
        let (device, live) = self.live(at).await?;
        let chat = jid("number", &to)?;
        let is_group = to.ends_with("@g.us");

        // The quoted message: what the caller said, completed from our records.
        let mut quoted_found = false;
        let quote = match &req.quoted {
            None => None,
            Some(q) => {
                let known = self.store.message(&device.id, &q.id).await?;
                quoted_found = known.is_some();
                let from_me = known.as_ref().map_or(q.from_me, |m| m.from_me);
                let text = q
                    .text
                    .clone()
                    .or_else(|| known.as_ref().and_then(|m| m.content.clone()));
                let participant = if from_me {
                    live.state().jid.clone()
                } else {
                    known
                        .as_ref()
                        .and_then(|m| m.sender_jid.clone())
                        .or_else(|| (!is_group).then(|| to.clone()))
                };
                Some(convert::text::Quote {
                    id: q.id.clone(),
                    participant,
                    text,
                })
            }
        };
        let message = convert::text::build(convert::text::Text {
            text: req.text.clone(),
            quote,
            mentions: mentions.clone(),
        });

        pause(delay).await;
        let presence_sent = typing > 0.0 && live.typing(&chat, typing).await;

        let out = self
            .deliver(
                &device,
                &live,
                Outgoing {
                    to: to.clone(),
                    message,
                    kind: "text".into(),
                    content: Some(req.text.clone()),
                },
            )
            .await?;
        let (message_id, recipient_pn, recipient_lid, sent_at) = (
            out.message_id,
            out.recipient_pn,
            out.recipient_lid,
            out.sent_at,
        );
        Ok(Sent {
            device,
            message_id,
            chat_jid: to,
            recipient_pn,
            recipient_lid,
            sent_at,
            processing_ms: sent_at - started,
            presence_sent,
            presence_secs: typing,
            mentions: mentions.len(),
            quoted_found,
        })
    }

    /// Sends a built message from a connected device and records it: the row exists before the
    /// send (so no receipt can arrive for a message we do not know) and is forgotten when the
    /// send fails; `message.sent` is recorded before this answers.
    pub(crate) async fn deliver(
        &self,
        device: &Device,
        live: &std::sync::Arc<wuts_device::LiveDevice>,
        out: Outgoing,
    ) -> DomainResult<Delivered> {
        self.deliver_as(device, live, out, None).await
    }

    /// [`Self::deliver`], for media job `job_id` when one sends it (its `message.sent` names
    /// the job, and settles it).
    pub(crate) async fn deliver_as(
        &self,
        device: &Device,
        live: &std::sync::Arc<wuts_device::LiveDevice>,
        out: Outgoing,
        job_id: Option<String>,
    ) -> DomainResult<Delivered> {
        let to = jid("number", &out.to)?;
        // WhatsApp takes a refused group message and says so only in its ack, after the send
        // answered: a group the account may not write to is refused here, clearly.
        if out.to.ends_with("@g.us") {
            live.check_group_send(&to).await?;
        }
        let message_id = live.new_message_id();
        let row = MessageRow {
            device_id: device.id.clone(),
            message_id: message_id.clone(),
            chat_jid: out.to.clone(),
            sender_jid: live.state().jid.clone(),
            from_me: true,
            is_group: out.to.ends_with("@g.us"),
            message_type: out.kind.clone(),
            content: out.content.clone(),
            sent_at: time::now_millis(),
            status: "queued".into(),
            delivered_at: None,
            read_at: None,
            played_at: None,
        };
        // Messages follow the chat's disappearing timer, as the phone's do.
        let timer = self.store.chat_timer(&device.id, &out.to).await?;
        // Durable before anything is sent: a restart sends what is still queued.
        let queued = wuts_store::outbox::Queued {
            device_id: device.id.clone(),
            message_id: message_id.clone(),
            chat_jid: out.to.clone(),
            payload: out.message.encode(),
            timer: i64::from(timer),
            queued_at: row.sent_at,
            message_type: out.kind.clone(),
            job_id: job_id.clone(),
        };
        self.store.queue_message(&row, &queued).await?;
        // The rest runs on its own task: a caller that hangs up while the message waits for
        // its slot does not leave it queued until the next restart.
        let (this, device, live) = (self.clone(), device.clone(), live.clone());
        let pending = Pending {
            message_id,
            timer,
            out,
            caller_waits: true,
            job_id,
        };
        tokio::spawn(async move { this.send_queued(&device, &live, pending).await })
            .await
            .map_err(|e| DomainError::Internal(format!("send task failed: {e}")))?
    }

    /// Waits for the device's slot, sends a queued message, and records the outcome and the
    /// `message.sent` event: for a send through the API and for one an earlier run left queued
    /// alike.
    pub(crate) async fn send_queued(
        &self,
        device: &Device,
        live: &wuts_device::LiveDevice,
        p: Pending,
    ) -> DomainResult<Delivered> {
        let Pending {
            message_id,
            timer,
            out,
            caller_waits,
            job_id,
        } = p;
        let to = out.to.as_str();
        let chat = jid("number", to)?;
        let is_group = to.ends_with("@g.us");
        // The event reads the message as a received one is read: one shape both ways.
        let (quoted_message_id, mentions) = out.message.reply_context();
        let kind = out.message.read().fields;
        self.pacer.turn(&device.id).await;
        if let Err(e) = live
            .send_with_timer(chat.clone(), out.message, &message_id, timer)
            .await
        {
            // A caller hears of the failure, so the message is forgotten; one nobody waits for
            // stays queued for the next start.
            if caller_waits {
                self.store.drop_queued(&device.id, &message_id).await?;
            }
            return Err(DomainError::Unavailable(format!(
                "failed to send {}: {e}",
                out.kind
            )));
        }
        self.store.mark_sent(&device.id, &message_id).await?;
        let (recipient_pn, recipient_lid) = if is_group {
            (None, None)
        } else {
            live.identities_of(&chat).await
        };
        let sent_at = time::now_millis();
        let data = MessageData {
            message_id: message_id.clone(),
            from: live.state().jid.clone(),
            from_pn: live.state().jid.clone(),
            from_lid: None,
            to: Some(
                recipient_pn
                    .clone()
                    .or(recipient_lid.clone())
                    .unwrap_or(to.to_string()),
            ),
            to_pn: recipient_pn.clone(),
            to_lid: recipient_lid.clone(),
            chat_jid: to.to_string(),
            is_group,
            is_from_me: true,
            message_type: out.kind.clone(),
            content: out.content.clone(),
            timestamp: time::rfc3339(sent_at),
            push_name: None,
            ephemeral_expiration: (timer > 0).then_some(timer),
            quoted_message_id,
            mentions,
            from_queue: (!caller_waits).then_some(true),
            server_id: None,
            job_id: job_id.clone(),
            kind,
        };
        self.store
            .record_event(
                &device.id,
                &NewEvent::new(&Event::MessageSent(data)),
                sent_at,
            )
            .await?;
        if let Some(job_id) = &job_id {
            self.store.finish_job(job_id, &message_id, sent_at).await?;
        }
        Ok(Delivered {
            message_id,
            recipient_pn,
            recipient_lid,
            sent_at,
        })
    }
}

/// A message sent and recorded.
/// A message on its way out: where, what, and what its row and `message.sent` event say.
pub(crate) struct Outgoing {
    /// The recipient's JID (as [`recipient`] answers it).
    pub to: String,
    pub message: convert::Built,
    /// `message_type` of the row and the event (`text`, `image`, `poll`, ...).
    pub kind: String,
    /// The text a reader sees for it (row and event `content`).
    pub content: Option<String>,
}

/// An outgoing message in the outbox: its id and disappearing timer, and whether a caller is
/// waiting for the outcome (an API send) or not (one an earlier run left queued).
pub(crate) struct Pending {
    pub message_id: String,
    pub timer: u32,
    pub out: Outgoing,
    pub caller_waits: bool,
    /// The media job that sends it, when one does.
    pub job_id: Option<String>,
}

pub(crate) struct Delivered {
    pub message_id: String,
    pub recipient_pn: Option<String>,
    pub recipient_lid: Option<String>,
    pub sent_at: i64,
}
