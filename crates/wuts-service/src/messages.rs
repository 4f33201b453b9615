//! WUTS "messages": sending. (Only text so far; the other kinds are a later issue.)

use crate::instances::normalize_phone;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, Device, DomainError, FieldError, Principal};

pub const TEXT_MAX: usize = 4096;

/// What a send answers.
pub struct Sent {
    pub device: Device,
    pub message_id: String,
    pub chat_jid: String,
    pub sent_at: i64,
    pub processing_ms: i64,
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

impl Services {
    pub async fn send_text(
        &self,
        caller: &Principal,
        device_id: Option<&str>,
        number: &str,
        text: &str,
    ) -> DomainResult<Sent> {
        let started = time::now_millis();
        let to = recipient("number", number)?;
        let n = text.chars().count();
        if n == 0 || n > TEXT_MAX {
            return Err(DomainError::field(
                "text",
                format!("must be 1 to {TEXT_MAX} characters"),
            ));
        }
        let device = self.resolve_device(caller, device_id).await?;
        let live = match self.devices.get(&device.id).await {
            Some(l) if l.state().connected => l,
            _ => {
                return Err(DomainError::DeviceNotReady(
                    "WhatsApp session is not connected".into(),
                ))
            }
        };
        let jid: wuts_device::Jid = to
            .parse()
            .map_err(|_| DomainError::field("number", "invalid recipient JID"))?;
        let message = wuts_device::wa::Message {
            conversation: Some(text.to_string()),
            ..Default::default()
        };
        let sent = live
            .client()
            .send_message(jid, message)
            .await
            .map_err(|e| DomainError::Unavailable(format!("failed to send text: {e}")))?;
        let now = time::now_millis();
        Ok(Sent {
            device,
            message_id: sent.message_id,
            chat_jid: to,
            sent_at: now,
            processing_ms: now - started,
        })
    }
}
