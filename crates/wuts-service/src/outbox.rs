//! Queued sends: messages accepted and not yet handed to WhatsApp (paced, or waiting for the
//! device after a restart). They are visible to the caller and sent when the device is back.

use crate::devices::Target;
use crate::messages::{Outgoing, Pending};
use crate::Services;
use std::time::Duration;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError};
use wuts_store::outbox::Queued;

/// A message queued longer than this is given up (status `failed`) instead of sent late.
pub const QUEUE_MAX_AGE_MS: i64 = 24 * 60 * 60 * 1000;

impl Services {
    /// The caller's device's queued messages, oldest first.
    pub async fn queued_messages(
        &self,
        at: &Target,
    ) -> DomainResult<(wuts_core::Device, Vec<Queued>)> {
        let device = self.device(at).await?;
        let queued = self.store.queued(&device.id).await?;
        Ok((device, queued))
    }

    /// Sends what the outbox still holds (after a restart), each device once it is connected.
    pub async fn resume_outbox(&self) {
        // Only what an earlier run left: sends accepted from now on are this run's own.
        let before = time::now_millis();
        let devices = match self.store.devices_with_queue().await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("cannot read the outbox: {e}");
                return;
            }
        };
        for device_id in devices {
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.drain(&device_id, before).await {
                    tracing::warn!(%device_id, "queued messages not sent: {e}");
                }
            });
        }
    }

    /// The device's live runtime once it is connected (it may be being restored), waiting at
    /// most `limit`.
    pub(crate) async fn wait_live(
        &self,
        device_id: &str,
        limit: Duration,
    ) -> DomainResult<std::sync::Arc<wuts_device::LiveDevice>> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(l) = self.devices.get(device_id).await {
                if l.wait_connected(Duration::from_secs(5)).await {
                    return Ok(l);
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(DomainError::DeviceNotReady(format!(
                    "the device did not connect within {} s",
                    limit.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn drain(&self, device_id: &str, before: i64) -> DomainResult<()> {
        // Wait for the device to come back (it is being restored); what is queued waits for
        // the next start otherwise.
        let live = self.wait_live(device_id, Duration::from_secs(120)).await?;
        let device = live.device.clone();
        for q in self.store.queued(device_id).await? {
            if q.queued_at >= before {
                continue;
            }
            let now = time::now_millis();
            let decoded = wuts_device::convert::Built::decode(&q.payload);
            let (Some(message), true) = (decoded, now - q.queued_at < QUEUE_MAX_AGE_MS) else {
                self.store.fail_queued(device_id, &q.message_id).await?;
                continue;
            };
            let content = self
                .store
                .message(device_id, &q.message_id)
                .await?
                .and_then(|m| m.content);
            let pending = Pending {
                message_id: q.message_id,
                timer: u32::try_from(q.timer).unwrap_or(0),
                out: Outgoing {
                    to: q.chat_jid,
                    message,
                    kind: q.message_type,
                    content,
                },
                caller_waits: false,
                job_id: q.job_id,
            };
            self.send_queued(&device, &live, pending).await?;
        }
        Ok(())
    }
}
