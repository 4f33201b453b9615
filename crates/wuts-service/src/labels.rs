//! WUTS "labels" (WhatsApp Business): create, rename, recolour and delete labels, put them on
//! chats and messages; kept per device (with what the account's other devices change) so that
//! `GET /chats` shows each chat's labels and `GET /labels` lists them.

use crate::devices::Target;
use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError, FieldError};
use wuts_store::labels::LabelChange;
pub use wuts_store::labels::LabelRow;

/// WhatsApp's label colours are indexes 0–19; names at most 100 characters.
pub const LABEL_COLORS: i64 = 20;
pub const LABEL_NAME_MAX: usize = 100;

/// A label as it is after a change.
#[derive(Debug, Clone)]
pub struct LabelState {
    pub label_id: String,
    pub name: Option<String>,
    pub color: Option<i64>,
    pub deleted: bool,
}

/// A label id (WhatsApp's are small numbers; any 1–64 letters and digits are taken).
pub fn label_id(field: &str, raw: &str) -> DomainResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DomainError::fields(vec![FieldError::new(
            field,
            "must be a label id (1–64 letters and digits)",
        )
        .with_value(raw)]));
    }
    Ok(id.to_string())
}

fn message_id(raw: &str) -> DomainResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DomainError::fields(vec![FieldError::new(
            "id",
            "must be a message id (letters and digits)",
        )
        .with_value(raw)]));
    }
    Ok(id.to_string())
}

impl Services {
    /// Creates, renames or recolours a label (`name` is needed when it is new), or deletes it
    /// (`deleted`; its chats and messages lose it).
    pub async fn edit_label(
        &self,
        at: &Target,
        id: &str,
        name: Option<&str>,
        color: Option<i64>,
        deleted: bool,
    ) -> DomainResult<LabelState> {
        let id = label_id("labelId", id)?;
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().count() > LABEL_NAME_MAX) {
            return Err(DomainError::field(
                "name",
                format!("at most {LABEL_NAME_MAX} characters"),
            ));
        }
        if let Some(c) = color {
            if !(0..LABEL_COLORS).contains(&c) {
                return Err(DomainError::fields(vec![FieldError::new(
                    "color",
                    format!("must be a colour index 0–{}", LABEL_COLORS - 1),
                )
                .with_value(c.to_string())]));
            }
        }
        let (device, live) = self.live(at).await?;
        let known = self.store.label(&device.id, &id).await?;
        let (name, color) = if deleted {
            (None, None)
        } else {
            let name = name
                .map(str::to_string)
                .or_else(|| known.as_ref().filter(|k| !k.2).and_then(|k| k.0.clone()))
                .ok_or_else(|| DomainError::field("name", "is required for a new label"))?;
            let color = color
                .or_else(|| known.as_ref().and_then(|k| k.1))
                .unwrap_or(0);
            (Some(name), Some(color))
        };
        live.edit_label(
            &id,
            name.as_deref().unwrap_or_default(),
            color.unwrap_or(0) as i32,
            deleted,
        )
        .await?;
        let change = LabelChange::Edit {
            label_id: id.clone(),
            name: name.clone(),
            color,
            deleted,
        };
        self.store
            .apply_label_change(&device.id, &change, None, time::now_millis())
            .await?;
        Ok(LabelState {
            label_id: id,
            name,
            color,
            deleted,
        })
    }

    /// A label the device knows and has not deleted.
    async fn existing_label(&self, device_id: &str, id: &str) -> DomainResult<()> {
        match self.store.label(device_id, id).await? {
            Some((_, _, false)) => Ok(()),
            _ => Err(DomainError::NotFound(format!(
                "no label {id} (create it with PUT /labels/{id})"
            ))),
        }
    }

    /// Puts a label on a chat (`labeled`) or takes it off; answers the chat's JID.
    pub async fn label_chat(
        &self,
        at: &Target,
        chat: &str,
        id: &str,
        labeled: bool,
    ) -> DomainResult<String> {
        let chat = recipient("jid", chat)?;
        let id = label_id("label_id", id)?;
        let (device, live) = self.live(at).await?;
        self.existing_label(&device.id, &id).await?;
        let jid: wuts_device::Jid = chat
            .parse()
            .map_err(|_| DomainError::field("jid", "invalid JID"))?;
        live.label_chat(&id, &jid, labeled).await?;
        let change = LabelChange::Chat {
            label_id: id,
            chat_jid: chat.clone(),
            labeled,
        };
        self.store
            .apply_label_change(&device.id, &change, None, time::now_millis())
            .await?;
        Ok(chat)
    }

    /// Puts a label on a message of a chat (`labeled`) or takes it off; answers the chat's JID.
    pub async fn label_message(
        &self,
        at: &Target,
        message: &str,
        chat: Option<&str>,
        id: &str,
        labeled: bool,
    ) -> DomainResult<String> {
        let message = message_id(message)?;
        let chat = match chat.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => recipient("chat_jid", c)?,
            None => return Err(DomainError::field("chat_jid", "is required")),
        };
        let id = label_id("label_id", id)?;
        let (device, live) = self.live(at).await?;
        self.existing_label(&device.id, &id).await?;
        let jid: wuts_device::Jid = chat
            .parse()
            .map_err(|_| DomainError::field("chat_jid", "invalid JID"))?;
        live.label_message(&id, &jid, &message, labeled).await?;
        let change = LabelChange::Message {
            label_id: id,
            chat_jid: chat.clone(),
            message_id: message,
            labeled,
        };
        self.store
            .apply_label_change(&device.id, &change, None, time::now_millis())
            .await?;
        Ok(chat)
    }

    /// The device's labels.
    pub async fn labels(&self, at: &Target) -> DomainResult<Vec<LabelRow>> {
        let device = self.device(at).await?;
        Ok(self.store.list_labels(&device.id).await?)
    }
}
