//! WUTS "calls": rejecting an incoming call, and the device's policy of rejecting every call
//! with a message to the caller (ours; see `docs/compat.md`).

use crate::devices::Target;
use crate::message_kinds::FIELD_MAX;
use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError, FieldError};
pub use wuts_store::calls::CallSettings;

impl Services {
    /// Rejects a ringing call (`from`, the caller, for a call the device did not hear ring).
    pub async fn reject_call(
        &self,
        at: &Target,
        call_id: &str,
        from: Option<&str>,
    ) -> DomainResult<()> {
        let id = call_id.trim();
        if id.is_empty() {
            return Err(DomainError::field("call_id", "is required"));
        }
        if id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(DomainError::fields(vec![FieldError::new(
                "call_id",
                "must be a call id (letters, digits, dashes)",
            )
            .with_value(call_id)]));
        }
        let from = match from.map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) => {
                let jid = recipient("from", f)?;
                if jid.ends_with("@g.us") {
                    return Err(DomainError::field(
                        "from",
                        "a caller is a person, not a group",
                    ));
                }
                Some(
                    jid.parse::<wuts_device::Jid>()
                        .map_err(|_| DomainError::field("from", "not a JID"))?,
                )
            }
            None => None,
        };
        let (_, live) = self.live(at).await?;
        match live.reject_call(id, from.as_ref()).await {
            Err(wuts_device::RuntimeError::Refused { code: 404, text }) => Err(
                DomainError::NotFound(format!("{text}; give `from` to reject it anyway")),
            ),
            other => Ok(other?),
        }
    }

    /// The device's incoming-call policy.
    pub async fn call_settings(&self, at: &Target) -> DomainResult<(String, CallSettings)> {
        let device = self.device(at).await?;
        let s = self.store.call_settings(&device.id).await?;
        Ok((device.id, s))
    }

    /// Sets the policy: `reject_calls` rejects every call at once, and `reject_message` (at
    /// most 1,024 characters; empty for none) is sent to the caller.
    pub async fn set_call_settings(
        &self,
        at: &Target,
        reject_calls: Option<bool>,
        reject_message: Option<String>,
    ) -> DomainResult<(String, CallSettings)> {
        let Some(reject_calls) = reject_calls else {
            return Err(DomainError::field("reject_calls", "is required"));
        };
        let reject_message = reject_message.filter(|m| !m.trim().is_empty());
        crate::fields::at_most("reject_message", &reject_message, FIELD_MAX)?;
        let device = self.device(at).await?;
        let s = CallSettings {
            reject_calls,
            reject_message,
            updated_at: time::now_millis(),
        };
        self.store.set_call_settings(&device.id, &s).await?;
        Ok((device.id, s))
    }
}
