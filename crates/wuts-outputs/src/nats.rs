//! NATS JetStream: a file-backed stream over `wuts.>`, one message per event on
//! `wuts.<tenant_id>.<device_id>.<event>`, `Nats-Msg-Id` = the event id (the stream's duplicate
//! window drops a republished event), each publish acknowledged by the stream.

use crate::OutMessage;
use async_nats::jetstream::{self, message::PublishMessage, stream};
use std::time::Duration;
use tokio::sync::Mutex;

/// The subjects the stream keeps.
pub const SUBJECTS: &str = "wuts.>";

pub struct NatsSink {
    url: String,
    pub(crate) stream: String,
    timeout: Duration,
    context: Mutex<Option<jetstream::Context>>,
}

impl NatsSink {
    pub fn new(url: &str, stream: &str, timeout: Duration) -> Self {
        Self {
            url: url.to_string(),
            stream: stream.to_string(),
            timeout,
            context: Mutex::new(None),
        }
    }

    pub(crate) fn target(&self) -> String {
        crate::display_url(&self.url)
    }

    /// The JetStream context, connecting and creating (or updating) the stream first if need be.
    pub(crate) async fn context(&self) -> Result<jetstream::Context, String> {
        let mut slot = self.context.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let client = tokio::time::timeout(
            self.timeout,
            async_nats::ConnectOptions::new()
                .connection_timeout(self.timeout)
                .connect(self.url.as_str()),
        )
        .await
        .map_err(|_| format!("NATS {}: connect timed out", self.target()))?
        .map_err(|e| format!("NATS {}: {e}", self.target()))?;
        let mut context = jetstream::new(client);
        context.set_timeout(self.timeout);
        context
            .create_or_update_stream(stream::Config {
                name: self.stream.clone(),
                subjects: vec![SUBJECTS.to_string()],
                storage: stream::StorageType::File,
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("NATS stream {}: {e}", self.stream))?;
        *slot = Some(context.clone());
        Ok(context)
    }

    /// Publishes and waits for the stream's ack; answers whether it was a duplicate.
    pub(crate) async fn publish(&self, m: &OutMessage) -> Result<bool, String> {
        let context = self.context().await?;
        let mut publish = PublishMessage::build()
            .message_id(&m.id)
            .payload(bytes::Bytes::from(m.body.clone()));
        for (k, v) in &m.headers {
            publish = publish.header(*k, v.as_str());
        }
        let outcome = async {
            let ack = context
                .send_publish(format!("wuts.{}", m.key), publish)
                .await
                .map_err(|e| e.to_string())?;
            tokio::time::timeout(self.timeout, ack)
                .await
                .map_err(|_| "no publish ack in time".to_string())?
                .map_err(|e| e.to_string())
        }
        .await;
        match outcome {
            Ok(ack) => Ok(ack.duplicate),
            Err(e) => {
                // Connect afresh next time (the stream is declared again too).
                *self.context.lock().await = None;
                Err(format!("NATS {}: {e}", self.target()))
            }
        }
    }
}
