//! Receipts: the delivery status of what a device sent (from the receipts WhatsApp reported),
//! and the delivery and read receipts a device sends for what it received.

use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, Device, DomainError, Principal};
use wuts_store::messages::MessageRow;

/// At most this many message ids per receipt request.
pub const RECEIPT_IDS_MAX: usize = 1000;

/// Which receipt to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptSend {
    Delivered,
    Read,
}

impl ReceiptSend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Read => "read",
        }
    }
}

/// A receipt request.
#[derive(Debug, Clone, Default)]
pub struct ReceiptRequest {
    pub chat_jid: String,
    /// The author of the messages; required in groups, the chat itself otherwise.
    pub sender_jid: Option<String>,
    /// The messages; the path id when empty.
    pub message_ids: Vec<String>,
    /// Unix seconds the caller wants reported (read receipts); now when absent.
    pub timestamp: Option<i64>,
}

/// What a receipt request answers.
pub struct ReceiptsSent {
    pub device: Device,
    pub chat_jid: String,
    pub sender_jid: String,
    pub message_ids: Vec<String>,
    /// Unix milliseconds.
    pub at: i64,
}

impl Services {
    /// The delivery status of one of the device's outbound messages.
    pub async fn message_status(
        &self,
        caller: &Principal,
        device_id: Option<&str>,
        message_id: &str,
    ) -> DomainResult<MessageRow> {
        let device = self.resolve_device(caller, device_id).await?;
        match self.store.message(&device.id, message_id.trim()).await? {
            Some(m) if m.from_me => Ok(m),
            _ => Err(DomainError::NotFound(
                "message not found among this device's sent messages".into(),
            )),
        }
    }

    /// Sends delivery or read receipts for messages the device received.
    pub async fn send_receipts(
        &self,
        caller: &Principal,
        device_id: Option<&str>,
        path_id: &str,
        kind: ReceiptSend,
        req: ReceiptRequest,
    ) -> DomainResult<ReceiptsSent> {
        let chat_jid = recipient("chat_jid", &req.chat_jid)?;
        let is_group = chat_jid.ends_with("@g.us");
        let sender_jid = match req.sender_jid.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => recipient("sender_jid", s)?,
            _ if is_group => {
                return Err(DomainError::field(
                    "sender_jid",
                    "is required for a group chat",
                ))
            }
            _ => chat_jid.clone(),
        };
        let mut ids: Vec<String> = req
            .message_ids
            .iter()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect();
        if ids.is_empty() {
            ids.push(path_id.trim().to_string());
        }
        if ids.iter().any(|i| i.is_empty() || i.len() > 128) || ids.len() > RECEIPT_IDS_MAX {
            return Err(DomainError::field(
                "message_ids",
                format!("1 to {RECEIPT_IDS_MAX} message ids of at most 128 characters"),
            ));
        }
        if let Some(t) = req.timestamp {
            if t <= 0 {
                return Err(DomainError::field("timestamp", "must be unix seconds"));
            }
        }
        let device = self.resolve_device(caller, device_id).await?;
        let live = self.connected_device(&device).await?;
        let parse = |field: &str, s: &str| {
            s.parse::<wuts_device::Jid>()
                .map_err(|_| DomainError::field(field, "invalid JID"))
        };
        let chat = parse("chat_jid", &chat_jid)?;
        let sender = is_group
            .then(|| parse("sender_jid", &sender_jid))
            .transpose()?;
        let sent = match kind {
            ReceiptSend::Delivered => live.send_delivered(&chat, sender.as_ref(), &ids).await,
            ReceiptSend::Read => live.send_read(&chat, sender.as_ref(), &ids).await,
        };
        sent.map_err(|e| DomainError::Unavailable(format!("failed to send receipt: {e}")))?;
        let at = match (kind, req.timestamp) {
            (ReceiptSend::Read, Some(t)) => t * 1000,
            _ => time::now_millis(),
        };
        Ok(ReceiptsSent {
            device,
            chat_jid,
            sender_jid,
            message_ids: ids,
            at,
        })
    }
}
