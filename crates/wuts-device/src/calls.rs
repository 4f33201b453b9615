//! WUTS "calls": rejecting an incoming call (whatsapp-rust's call reject, which needs no VoIP
//! runtime), with each ringing call's caller and creator kept from its offer; and the device's
//! policy of rejecting every call at once with a message to the caller.

use crate::live::LiveDevice;
use crate::RuntimeError;
use std::collections::HashMap;
use std::sync::Arc;
use whatsapp_rust::wacore::types::call::{CallAction, IncomingCall};
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{Client, Jid};
use wuts_store::Store;

/// Ringing calls by id: (the `<call from>` peer, the call's creator).
pub(crate) type CallBook = Arc<std::sync::Mutex<HashMap<String, (Jid, Jid)>>>;

/// Keeps a ringing call from its offer, forgets it when it ends.
pub(crate) fn remember(book: &CallBook, c: &IncomingCall) {
    let mut b = book.lock().unwrap_or_else(|p| p.into_inner());
    match &c.action {
        CallAction::Offer { .. } | CallAction::OfferNotice { .. } => {
            // A device hears only a handful of calls at once; keep the book small anyway.
            if b.len() > 256 {
                b.clear();
            }
            b.insert(
                c.action.call_id().to_string(),
                (c.from.clone(), c.action.call_creator().clone()),
            );
        }
        CallAction::Reject { .. } | CallAction::Terminate { .. } | CallAction::Accept { .. } => {
            b.remove(c.action.call_id());
        }
        _ => {}
    }
}

/// With the device's policy on, an offer is rejected at once and the caller gets the message.
pub(crate) async fn on_offer(
    store: &Store,
    device_id: &str,
    client: &Arc<Client>,
    c: &IncomingCall,
) {
    if !matches!(c.action, CallAction::Offer { .. }) || c.offline {
        return;
    }
    let settings = match store.call_settings(device_id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(device_id, "call settings unreadable: {e}");
            return;
        }
    };
    if !settings.reject_calls {
        return;
    }
    if let Err(e) = client.voip().reject(c).await {
        tracing::warn!(device_id, "auto-reject failed: {e}");
        return;
    }
    if let Some(text) = settings.reject_message.filter(|t| !t.trim().is_empty()) {
        let to = c.action.call_creator().to_non_ad();
        let message = wa::Message {
            conversation: Some(text),
            ..Default::default()
        };
        if let Err(e) = client.send_message(to, message).await {
            tracing::warn!(device_id, "auto-reject message not sent: {e}");
        }
    }
}

impl LiveDevice {
    /// Rejects a ringing call; `from` (the caller) is needed only for a call this device did not
    /// hear ring.
    pub async fn reject_call(&self, call_id: &str, from: Option<&Jid>) -> Result<(), RuntimeError> {
        let known = self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(call_id)
            .cloned();
        let (peer, creator) = match (known, from) {
            (Some(k), _) => k,
            (None, Some(f)) => (f.clone(), f.clone()),
            (None, None) => {
                return Err(RuntimeError::Refused {
                    code: 404,
                    text: format!("no ringing call {call_id}"),
                })
            }
        };
        self.client
            .voip()
            .reject_call(call_id, &peer, &creator)
            .await
            .map_err(|e| RuntimeError::WhatsApp(format!("call reject failed: {e}")))?;
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(call_id);
        Ok(())
    }
}
