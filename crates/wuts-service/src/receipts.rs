//! Receipts: the delivery status of what a device sent (from the receipts WhatsApp reported),
//! and the delivery and read receipts a device sends for what it received.

use crate::devices::Target;
use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, Device, DomainError};
pub use wuts_store::messages::{MessageRow, ParticipantReceipt};

/// At most this many message ids per receipt request.
pub const RECEIPT_IDS_MAX: usize = 1000;

/// Which receipt to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptSend {
    Delivered,
    Read,
    /// Asks the sender's device to send the message again (it could not be decrypted).
    Retry,
}

impl ReceiptSend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Retry => "retry",
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
    /// The delivery status of one of the device's outbound messages; for a group message, each
    /// participant's receipts too.
    pub async fn message_status(
        &self,
        at: &Target,
        message_id: &str,
    ) -> DomainResult<(MessageRow, Vec<ParticipantReceipt>)> {
        let device = self.device(at).await?;
        match self.store.message(&device.id, message_id.trim()).await? {
            Some(m) if m.from_me && m.is_group => {
                // The participants first, then the message again: a receipt recorded between
                // the two reads (both change in one transaction) can only make the message
                // newer than its participants, never older.
                let per = self
                    .store
                    .message_receipts(&device.id, &m.message_id)
                    .await?;
                let m = self
                    .store
                    .message(&device.id, &m.message_id)
                    .await?
                    .unwrap_or(m);
                Ok((m, per))
            }
            Some(m) if m.from_me => Ok((m, Vec::new())),
            _ => Err(DomainError::NotFound(
                "message not found among this device's sent messages".into(),
            )),
        }
    }

    /// Sends delivery or read receipts for messages the device received.
    pub async fn send_receipts(
        &self,
        at: &Target,
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
        let (device, live) = self.live(at).await?;
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
            ReceiptSend::Retry => live.send_retry(&chat, sender.as_ref(), &ids).await,
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

/// An on-demand history request.
#[derive(Debug, Clone, Default)]
pub struct HistoryRequest {
    pub chat_jid: String,
    pub last_message_id: String,
    pub last_message_from_me: bool,
    /// Unix seconds.
    pub last_message_timestamp: Option<i64>,
    pub count: Option<i64>,
}

/// What a history request answers.
pub struct HistoryRequested {
    pub chat_jid: String,
    pub count: i64,
    pub request_id: String,
}

/// At most this many messages per history request (as WhatsApp's phones answer).
pub const HISTORY_COUNT_MAX: i64 = 50;

impl Services {
    /// Asks the device's phone for the messages of a chat older than the one named; they arrive
    /// later as the `history.sync` event.
    pub async fn request_history(
        &self,
        at: &Target,
        req: HistoryRequest,
    ) -> DomainResult<HistoryRequested> {
        let chat_jid = recipient("chat_jid", &req.chat_jid)?;
        let last_id = req.last_message_id.trim().to_string();
        if last_id.is_empty() || last_id.len() > 128 {
            return Err(DomainError::field(
                "last_message_id",
                "is required (at most 128 characters)",
            ));
        }
        let ts = match req.last_message_timestamp {
            Some(t) if t > 0 => t,
            _ => {
                return Err(DomainError::field(
                    "last_message_timestamp",
                    "is required, in unix seconds",
                ))
            }
        };
        let count = req.count.unwrap_or(HISTORY_COUNT_MAX);
        if !(1..=HISTORY_COUNT_MAX).contains(&count) {
            return Err(DomainError::field(
                "count",
                format!("must be 1 to {HISTORY_COUNT_MAX}"),
            ));
        }
        let (_, live) = self.live(at).await?;
        let chat = chat_jid
            .parse::<wuts_device::Jid>()
            .map_err(|_| DomainError::field("chat_jid", "invalid JID"))?;
        let request_id = live
            .request_history(
                &chat,
                &last_id,
                req.last_message_from_me,
                ts * 1000,
                count as i32,
            )
            .await
            .map_err(|e| DomainError::Unavailable(format!("history request failed: {e}")))?;
        Ok(HistoryRequested {
            chat_jid,
            count,
            request_id,
        })
    }
}
