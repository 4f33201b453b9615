//! RabbitMQ: a durable topic exchange, routing key `<tenant_id>.<device_id>.<event>`, persistent
//! messages with `message_id` = the event id and `type` = the event name, each confirmed by the
//! broker (publisher confirms) before the next.

use crate::OutMessage;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ExchangeKind,
};
use std::time::Duration;
use tokio::sync::Mutex;

pub struct AmqpSink {
    url: String,
    pub(crate) exchange: String,
    timeout: Duration,
    channel: Mutex<Option<(Connection, Channel)>>,
}

impl AmqpSink {
    pub fn new(url: &str, exchange: &str, timeout: Duration) -> Self {
        Self {
            url: url.to_string(),
            exchange: exchange.to_string(),
            timeout,
            channel: Mutex::new(None),
        }
    }

    pub(crate) fn target(&self) -> String {
        crate::display_url(&self.url)
    }

    /// A confirming channel with the exchange declared, connecting first if need be.
    pub(crate) async fn channel(&self) -> Result<Channel, String> {
        let mut slot = self.channel.lock().await;
        if let Some((conn, ch)) = slot.as_ref() {
            if conn.status().connected() && ch.status().connected() {
                return Ok(ch.clone());
            }
        }
        *slot = None;
        let setup = async {
            let conn = Connection::connect(&self.url, ConnectionProperties::default())
                .await
                .map_err(|e| e.to_string())?;
            let ch = conn.create_channel().await.map_err(|e| e.to_string())?;
            ch.confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            ch.exchange_declare(
                self.exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .map_err(|e| format!("exchange {}: {e}", self.exchange))?;
            Ok::<_, String>((conn, ch))
        };
        let (conn, ch) = tokio::time::timeout(self.timeout, setup)
            .await
            .map_err(|_| format!("RabbitMQ {}: connect timed out", self.target()))?
            .map_err(|e| format!("RabbitMQ {}: {e}", self.target()))?;
        *slot = Some((conn, ch.clone()));
        Ok(ch)
    }

    /// Publishes and waits for the broker's confirm.
    pub(crate) async fn publish(&self, m: &OutMessage) -> Result<(), String> {
        let ch = self.channel().await?;
        let mut headers = FieldTable::default();
        for (k, v) in &m.headers {
            headers.insert((*k).into(), AMQPValue::LongString(v.as_str().into()));
        }
        let properties = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/json".into())
            .with_message_id(m.id.as_str().into())
            .with_type(m.event.as_str().into())
            .with_timestamp(m.timestamp)
            .with_headers(headers);
        let outcome = tokio::time::timeout(self.timeout, async {
            let confirm = ch
                .basic_publish(
                    self.exchange.as_str().into(),
                    m.key.as_str().into(),
                    BasicPublishOptions::default(),
                    m.body.as_bytes(),
                    properties,
                )
                .await
                .map_err(|e| e.to_string())?;
            match confirm.await.map_err(|e| e.to_string())? {
                Confirmation::Ack(_) => Ok(()),
                Confirmation::Nack(_) => Err("the broker refused the message (nack)".to_string()),
                Confirmation::NotRequested => Err("no publisher confirm".to_string()),
            }
        })
        .await
        .unwrap_or_else(|_| Err("no confirm in time".into()));
        outcome.map_err(|e| {
            if let Ok(mut slot) = self.channel.try_lock() {
                *slot = None;
            }
            format!("RabbitMQ {}: {e}", self.target())
        })
    }
}
