//! Polls: single choice (poll creation v3) or multiple choice (v1), with the secret voters
//! derive their vote keys from.

use super::{Built, Kind};
use serde_json::json;
use whatsapp_rust::waproto::whatsapp as wa;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Poll {
    pub question: String,
    pub options: Vec<String>,
    pub multiple: bool,
    /// 32 random bytes.
    pub secret: Vec<u8>,
}

pub fn build(p: Poll) -> Built {
    let poll = wa::message::PollCreationMessage {
        name: Some(p.question),
        options: p
            .options
            .into_iter()
            .map(|n| wa::message::poll_creation_message::Option {
                option_name: Some(n),
                ..Default::default()
            })
            .collect(),
        selectable_options_count: Some(if p.multiple { 0 } else { 1 }),
        ..Default::default()
    };
    let mut message = if p.multiple {
        wa::Message {
            poll_creation_message: poll.into(),
            ..Default::default()
        }
    } else {
        wa::Message {
            poll_creation_message_v3: poll.into(),
            ..Default::default()
        }
    };
    message.message_context_info = wa::MessageContextInfo {
        message_secret: Some(p.secret),
        ..Default::default()
    }
    .into();
    Built(message)
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    let p = m
        .poll_creation_message
        .as_option()
        .or(m.poll_creation_message_v2.as_option())
        .or(m.poll_creation_message_v3.as_option())?;
    let options: Vec<Option<String>> = p.options.iter().map(|o| o.option_name.clone()).collect();
    Some(Kind::new(
        "poll",
        p.name.clone(),
        json!({"poll": {"options": options,
            "multiple_choice": p.selectable_options_count.unwrap_or(0) != 1}}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for multiple in [false, true] {
            let k = build(Poll {
                question: "Lunch?".into(),
                options: vec!["Yes".into(), "No".into()],
                multiple,
                secret: vec![7; 32],
            })
            .read();
            assert_eq!(k.message_type, "poll");
            assert_eq!(k.content.as_deref(), Some("Lunch?"));
            assert_eq!(k.fields["poll"]["options"], json!(["Yes", "No"]));
            assert_eq!(k.fields["poll"]["multiple_choice"], json!(multiple));
        }
    }
}
