//! The message kinds beyond text that need no media: location, contact cards, polls,
//! reactions; and changes to sent messages: edit, delete.

use crate::devices::Target;
use crate::messages::{recipient, Delivered, Outgoing};
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, Device, DomainError, FieldError};
use wuts_device::convert;

/// At most this many characters in a poll question, option, contact field or caption.
pub const FIELD_MAX: usize = 1024;
/// Poll options WhatsApp accepts.
pub const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=12;
/// At most this many cards in one contacts message.
pub const CONTACTS_MAX: usize = 100;

/// What a send of any kind answers.
pub struct SentKind {
    pub device: Device,
    pub message_id: String,
    pub chat_jid: String,
    pub sent_at: i64,
    pub processing_ms: i64,
}

/// A static location.
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
    pub comment: Option<String>,
}

/// One point of a live location.
#[derive(Debug, Clone, Default)]
pub struct LiveLocation {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_in_meters: Option<u32>,
    pub speed_in_mps: Option<f32>,
    pub degrees_clockwise_from_magnetic_north: Option<u32>,
    pub caption: Option<String>,
    pub sequence_number: Option<i64>,
    pub time_offset: Option<u32>,
}

/// A contact card.
#[derive(Debug, Clone, Default)]
pub struct ContactCard {
    pub display_name: String,
    pub phone: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub email: Option<String>,
}

/// How a message is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteType {
    ForEveryone,
    ForMe,
}

/// What a delete answers.
pub struct Deleted {
    pub device: Device,
    pub chat_jid: String,
    pub deleted_at: i64,
    pub elapsed_minutes: i64,
    pub processing_ms: i64,
}

/// WhatsApp's limit for deleting a message for everyone (about two and a half days).
pub const REVOKE_WINDOW_MINUTES: i64 = 60 * 60;

fn short(field: &str, v: &Option<String>) -> DomainResult<()> {
    crate::fields::at_most(field, v, FIELD_MAX)
}

/// A latitude and longitude, both required and in range.
fn coordinates(lat: Option<f64>, lng: Option<f64>) -> DomainResult<(f64, f64)> {
    let lat = lat
        .filter(|v| (-90.0..=90.0).contains(v))
        .ok_or_else(|| DomainError::field("latitude", "required, between -90 and 90"))?;
    let lng = lng
        .filter(|v| (-180.0..=180.0).contains(v))
        .ok_or_else(|| DomainError::field("longitude", "required, between -180 and 180"))?;
    Ok((lat, lng))
}

fn required(field: &str, v: &str) -> DomainResult<String> {
    crate::fields::required(field, v, FIELD_MAX)
}

/// A vCard 3.0 for a card, with the WhatsApp id so the receiver can message the number.
fn vcard(c: &ContactCard, digits: &str) -> String {
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace(';', "\\;")
            .replace(',', "\\,")
            .replace('\n', "\\n")
    };
    let mut v = format!(
        "BEGIN:VCARD\nVERSION:3.0\nFN:{}\nN:{};{};;;\n",
        esc(&c.display_name),
        esc(c.last_name.as_deref().unwrap_or("")),
        esc(c.first_name.as_deref().unwrap_or(""))
    );
    if let Some(org) = &c.company {
        v.push_str(&format!("ORG:{}\n", esc(org)));
    }
    if let Some(email) = &c.email {
        v.push_str(&format!("EMAIL:{}\n", esc(email)));
    }
    v.push_str(&format!("TEL;type=CELL;waid={digits}:+{digits}\nEND:VCARD"));
    v
}

/// A reaction to send: to whom, on which message, which emoji (empty removes ours).
#[derive(Debug, Clone, Copy)]
pub struct Reaction<'a> {
    pub number: &'a str,
    pub message_id: &'a str,
    pub reaction: &'a str,
    pub from_me: Option<bool>,
    /// The original author, for other people's messages in groups.
    pub participant: Option<&'a str>,
}

impl Services {
    /// Resolves the caller's connected device and sends `out`.
    pub(crate) async fn send_kind(&self, at: &Target, out: Outgoing) -> DomainResult<SentKind> {
        let started = time::now_millis();
        let (device, live) = self.live(at).await?;
        let chat_jid = out.to.clone();
        let Delivered {
            message_id,
            sent_at,
            ..
        } = self.deliver(&device, &live, out).await?;
        Ok(SentKind {
            device,
            message_id,
            chat_jid,
            sent_at,
            processing_ms: sent_at - started,
        })
    }

    pub async fn send_location(
        &self,
        at: &Target,
        to: &str,
        l: Location,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let (lat, lng) = coordinates(l.latitude, l.longitude)?;
        for (f, v) in [
            ("name", &l.name),
            ("address", &l.address),
            ("url", &l.url),
            ("comment", &l.comment),
        ] {
            short(f, v)?;
        }
        let message = convert::location::build(convert::location::Location {
            latitude: lat,
            longitude: lng,
            name: l.name.clone(),
            address: l.address.clone(),
            url: l.url.clone(),
            comment: l.comment.clone(),
        });
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "location".into(),
                content: l.name,
            },
        )
        .await
    }

    /// One point of a live location.
    pub async fn send_live_location(
        &self,
        at: &Target,
        to: &str,
        l: LiveLocation,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let (lat, lng) = coordinates(l.latitude, l.longitude)?;
        if l.speed_in_mps.is_some_and(|v| !v.is_finite() || v < 0.0) {
            return Err(DomainError::field("speed_in_mps", "must be 0 or more"));
        }
        if l.degrees_clockwise_from_magnetic_north
            .is_some_and(|v| v > 359)
        {
            return Err(DomainError::field(
                "degrees_clockwise_from_magnetic_north",
                "must be 0 to 359",
            ));
        }
        short("caption", &l.caption)?;
        let message = convert::location::build_live(convert::location::LiveLocation {
            latitude: lat,
            longitude: lng,
            accuracy_in_meters: l.accuracy_in_meters,
            speed_in_mps: l.speed_in_mps,
            degrees_clockwise_from_magnetic_north: l.degrees_clockwise_from_magnetic_north,
            caption: l.caption.clone(),
            sequence_number: l.sequence_number,
            time_offset: l.time_offset,
        });
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "live_location".into(),
                content: l.caption,
            },
        )
        .await
    }

    /// One card as a contact message, several as a contacts-array message.
    pub async fn send_contacts(
        &self,
        at: &Target,
        to: &str,
        cards: Vec<ContactCard>,
        field: &str,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        if cards.is_empty() || cards.len() > CONTACTS_MAX {
            return Err(DomainError::field(
                field,
                format!("1 to {CONTACTS_MAX} contacts are required"),
            ));
        }
        let mut built = Vec::with_capacity(cards.len());
        let mut errors: Vec<FieldError> = Vec::new();
        for (i, c) in cards.iter().enumerate() {
            let at = |f: &str| {
                if cards.len() == 1 && field == "contact" {
                    format!("contact.{f}")
                } else {
                    format!("{field}[{i}].{f}")
                }
            };
            let name = required(&at("display_name"), &c.display_name);
            let digits = crate::instances::normalize_phone(&at("phone"), &c.phone);
            match (name, digits) {
                (Ok(name), Ok(digits)) => built.push(convert::contact::Card {
                    display_name: name,
                    vcard: vcard(c, &digits),
                }),
                (a, b) => {
                    for e in [a.err(), b.err()].into_iter().flatten() {
                        match e {
                            DomainError::Validation { fields, .. } => errors.extend(fields),
                            other => return Err(other),
                        }
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::fields(errors));
        }
        let kind = if built.len() == 1 {
            "contact"
        } else {
            "contacts"
        };
        let message = convert::contact::build(built);
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: kind.into(),
                content: None,
            },
        )
        .await
    }

    /// A poll with 2–12 distinct options; single or multiple choice. The poll's secret (voters
    /// derive their keys from it) is generated here.
    pub async fn send_poll(
        &self,
        at: &Target,
        to: &str,
        question: &str,
        options: &[String],
        multiple: bool,
    ) -> DomainResult<SentKind> {
        let to = recipient("to", to)?;
        let question = required("question", question)?;
        if !POLL_OPTIONS.contains(&options.len()) {
            return Err(DomainError::field(
                "options",
                "Poll must have between 2 and 12 options",
            ));
        }
        let mut names: Vec<String> = Vec::with_capacity(options.len());
        for (i, o) in options.iter().enumerate() {
            let o = required(&format!("options[{i}].option_name"), o)?;
            if names.contains(&o) {
                return Err(DomainError::fields(vec![FieldError::new(
                    format!("options[{i}].option_name"),
                    "options must be distinct",
                )]));
            }
            names.push(o);
        }
        let secret = {
            use rand::RngCore;
            let mut s = vec![0u8; 32];
            rand::rng().fill_bytes(&mut s);
            s
        };
        let message = convert::poll::build(convert::poll::Poll {
            question: question.clone(),
            options: names,
            multiple,
            secret,
        });
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "poll".into(),
                content: Some(question),
            },
        )
        .await
    }

    /// Reacts to a message (an empty reaction removes ours).
    pub async fn send_reaction(&self, at: &Target, r: &Reaction<'_>) -> DomainResult<SentKind> {
        let Reaction {
            number,
            message_id,
            reaction,
            from_me,
            participant,
        } = *r;
        let to = recipient("number", number)?;
        let target = required("messageId", message_id)?;
        if reaction.chars().count() > 16 {
            return Err(DomainError::field(
                "reaction",
                "one emoji (or empty to remove)",
            ));
        }
        let participant = match participant.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(recipient("participant", p)?),
            None => None,
        };
        let device = self.device(at).await?;
        // Our own message when the caller does not say: whether we sent it, from our records.
        let known = self.store.message(&device.id, &target).await?;
        let from_me = from_me.unwrap_or_else(|| known.as_ref().is_some_and(|m| m.from_me));
        let participant = participant.or_else(|| {
            (to.ends_with("@g.us") && !from_me)
                .then(|| known.as_ref().and_then(|m| m.sender_jid.clone()))
                .flatten()
        });
        if to.ends_with("@g.us") && !from_me && participant.is_none() {
            return Err(DomainError::field(
                "participant",
                "the author of the message is required in a group",
            ));
        }
        let message = convert::reaction::build(convert::reaction::Reaction {
            chat: to.clone(),
            message_id: target.clone(),
            from_me,
            participant,
            emoji: reaction.to_string(),
        });
        self.send_kind(
            at,
            Outgoing {
                to: to.to_string(),
                message,
                kind: "reaction".into(),
                content: Some(reaction.to_string()),
            },
        )
        .await
    }

    /// Edits the text of a message this device sent.
    pub async fn edit_message(
        &self,
        at: &Target,
        message_id: &str,
        to: &str,
        text: &str,
    ) -> DomainResult<(Device, i64)> {
        let to = recipient("to", to)?;
        let text = required("message", text)?;
        let (device, live) = self.live(at).await?;
        match self.store.message(&device.id, message_id.trim()).await? {
            Some(m) if m.from_me => {}
            _ => {
                return Err(DomainError::NotFound(
                    "message not found among this device's sent messages".into(),
                ))
            }
        }
        live.edit(&to, message_id.trim(), &text)
            .await
            .map_err(|e| DomainError::Unavailable(format!("failed to edit: {e}")))?;
        let now = time::now_millis();
        self.store
            .set_message_content(&device.id, message_id.trim(), &text)
            .await?;
        Ok((device, now))
    }

    /// Deletes a message: for everyone (revoked on WhatsApp, within its time limit, only our
    /// own) or for us (forgotten here).
    pub async fn delete_message(
        &self,
        at: &Target,
        message_id: &str,
        chat_jid: &str,
        kind: DeleteType,
    ) -> DomainResult<Deleted> {
        let started = time::now_millis();
        let chat = recipient("chatJid", chat_jid)?;
        let id = required("messageId", message_id)?;
        let device = self.device(at).await?;
        let known = self.store.message(&device.id, &id).await?;
        let elapsed_minutes = known.as_ref().map_or(0, |m| (started - m.sent_at) / 60_000);
        if kind == DeleteType::ForEveryone {
            let live = self.connected_device(&device).await?;
            match &known {
                Some(m) if m.from_me => {}
                Some(_) => {
                    return Err(DomainError::Forbidden(
                        "only messages this device sent can be deleted for everyone".into(),
                    ))
                }
                None => {
                    return Err(DomainError::NotFound(
                        "message not found among this device's messages".into(),
                    ))
                }
            }
            if elapsed_minutes > REVOKE_WINDOW_MINUTES {
                return Err(DomainError::Conflict(format!(
                    "WhatsApp allows deleting for everyone within {REVOKE_WINDOW_MINUTES} minutes"
                )));
            }
            live.revoke(&chat, &id)
                .await
                .map_err(|e| DomainError::Unavailable(format!("failed to delete: {e}")))?;
        }
        self.store.delete_message(&device.id, &id).await?;
        let now = time::now_millis();
        Ok(Deleted {
            device,
            chat_jid: chat,
            deleted_at: now,
            elapsed_minutes,
            processing_ms: now - started,
        })
    }
}
