//! Text: a plain conversation, or an extended text when it replies or mentions.

use super::{Built, Kind};
use serde_json::json;
use whatsapp_rust::waproto::whatsapp as wa;

/// The message a reply quotes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quote {
    pub id: String,
    /// Who wrote the quoted message (its sender's JID).
    pub participant: Option<String>,
    /// Its text, shown in the reply's preview.
    pub text: Option<String>,
}

/// A text to send.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Text {
    pub text: String,
    pub quote: Option<Quote>,
    /// JIDs mentioned.
    pub mentions: Vec<String>,
}

pub fn build(t: Text) -> Built {
    if t.quote.is_none() && t.mentions.is_empty() {
        return Built(wa::Message {
            conversation: Some(t.text),
            ..Default::default()
        });
    }
    let mut ctx = wa::ContextInfo {
        mentioned_jid: t.mentions,
        ..Default::default()
    };
    if let Some(q) = t.quote {
        ctx.stanza_id = Some(q.id);
        ctx.participant = q.participant;
        ctx.quoted_message = q
            .text
            .map(|t| wa::Message {
                conversation: Some(t),
                ..Default::default()
            })
            .into();
    }
    Built(wa::Message {
        extended_text_message: wa::message::ExtendedTextMessage {
            text: Some(t.text),
            context_info: ctx.into(),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

/// The text of a plain or extended text message.
pub(crate) fn text_of(m: &wa::Message) -> Option<String> {
    m.conversation.clone().or_else(|| {
        m.extended_text_message
            .as_option()
            .and_then(|e| e.text.clone())
    })
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    text_of(m).map(|t| Kind::new("text", Some(t), json!({})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let plain = build(Text {
            text: "hello".into(),
            ..Default::default()
        });
        assert_eq!(
            plain.read(),
            Kind::new("text", Some("hello".into()), json!({}))
        );
        let reply = build(Text {
            text: "yes".into(),
            quote: Some(Quote {
                id: "3EB0A".into(),
                participant: Some("1555@s.whatsapp.net".into()),
                text: Some("ok?".into()),
            }),
            mentions: vec!["1556@s.whatsapp.net".into()],
        });
        assert_eq!(reply.read().content.as_deref(), Some("yes"));
        assert_eq!(
            reply.reply_context(),
            (
                Some("3EB0A".into()),
                vec!["1556@s.whatsapp.net".to_string()]
            )
        );
    }
}
