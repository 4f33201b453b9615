//! Each message kind converted in one place, both ways: `build` makes the WhatsApp message we
//! send from our input, `read` says what a message holds (our event's `message_type`, `content`
//! and the kind's own fields). A message we sent and one we received are read by the same
//! function, so their events have the same shape. A round-trip test per kind checks the pair.

pub mod business;
pub mod contact;
pub mod location;
pub mod media;
pub mod payment;
pub mod poll;
pub mod protocol;
pub mod reaction;
pub mod text;

use serde_json::{Map, Value};
use whatsapp_rust::waproto::whatsapp as wa;

/// A message ready to send, as a `build` made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Built(pub(crate) wa::Message);

impl Built {
    /// What the message holds, read as any received message is.
    pub fn read(&self) -> Kind {
        read(&self.0)
    }

    /// The message this one replies to, and whom it mentions.
    pub fn reply_context(&self) -> (Option<String>, Vec<String>) {
        crate::events::reply_context(&self.0)
    }

    /// The media it carries, when it is a media message.
    pub fn media(&self) -> Option<crate::media::MediaDetails> {
        crate::media::media_details(&self.0)
    }

    /// Its wire form, for the outbox.
    pub fn encode(&self) -> Vec<u8> {
        use whatsapp_rust::buffa::Message as _;
        self.0.encode_to_vec()
    }

    /// A message the outbox kept.
    pub fn decode(bytes: &[u8]) -> Option<Built> {
        use whatsapp_rust::buffa::Message as _;
        wa::Message::decode_from_slice(bytes).ok().map(Built)
    }

    /// The message as whatsapp-rust takes it (for this crate's senders).
    pub(crate) fn into_inner(self) -> wa::Message {
        self.0
    }
}

/// What a message holds, as its event reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kind {
    /// WUTS's name of the kind (`text`, `image`, `location`, `poll`, ...).
    pub message_type: &'static str,
    /// The text a reader sees, when the kind has one.
    pub content: Option<String>,
    /// The kind's own fields of the event (`location`, `contacts`, `poll`, `media`, ...).
    pub fields: Map<String, Value>,
}

impl Kind {
    pub(crate) fn new(message_type: &'static str, content: Option<String>, fields: Value) -> Self {
        Kind {
            message_type,
            content,
            fields: match fields {
                Value::Object(m) => m,
                _ => Map::new(),
            },
        }
    }
}

/// Reads any message: the first kind that recognises it, else `unknown`.
pub fn read(m: &wa::Message) -> Kind {
    text::read(m)
        .or_else(|| media::read(m))
        .or_else(|| business::read(m))
        .or_else(|| location::read(m))
        .or_else(|| contact::read(m))
        .or_else(|| poll::read(m))
        .or_else(|| reaction::read(m))
        .or_else(|| payment::read(m))
        .or_else(|| protocol::read(m))
        .unwrap_or_else(|| Kind::new("unknown", None, Value::Null))
}
