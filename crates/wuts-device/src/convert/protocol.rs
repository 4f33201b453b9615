//! Protocol messages: a chat's disappearing timer, a revoke (delete for everyone) and an edit.
//! We send these through whatsapp-rust's own calls (`LiveDevice::edit`, `revoke`, the chat
//! timer), which build them; here they are read, for both directions.

use super::{text::text_of, Kind};
use serde_json::json;
use whatsapp_rust::waproto::whatsapp as wa;

pub fn read(m: &wa::Message) -> Option<Kind> {
    use wa::message::protocol_message::Type as P;
    let p = m.protocol_message.as_option()?;
    let target = p.key.as_option().and_then(|k| k.id.clone());
    match p.r#type {
        Some(P::EphemeralSetting) => Some(Kind::new(
            "ephemeral_setting",
            None,
            json!({"ephemeral_expiration": p.ephemeral_expiration.unwrap_or(0)}),
        )),
        Some(P::Revoke) => Some(Kind::new(
            "revoke",
            None,
            json!({"original_message_id": target}),
        )),
        Some(P::MessageEdit) => Some(Kind::new(
            "edit",
            p.edited_message.as_option().and_then(text_of),
            json!({"original_message_id": target}),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wa::message::protocol_message::Type as P;

    fn protocol(p: wa::message::ProtocolMessage) -> wa::Message {
        wa::Message {
            protocol_message: p.into(),
            ..Default::default()
        }
    }

    fn key(id: &str) -> wa::MessageKey {
        wa::MessageKey {
            id: Some(id.into()),
            ..Default::default()
        }
    }

    #[test]
    fn reads_what_whatsapp_sends() {
        let timer = read(&protocol(wa::message::ProtocolMessage {
            r#type: Some(P::EphemeralSetting),
            ephemeral_expiration: Some(604800),
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(timer.message_type, "ephemeral_setting");
        assert_eq!(timer.fields["ephemeral_expiration"], json!(604800));
        let revoke = read(&protocol(wa::message::ProtocolMessage {
            r#type: Some(P::Revoke),
            key: key("3EB0A").into(),
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(revoke.fields["original_message_id"], json!("3EB0A"));
        let edited = super::super::text::build(super::super::text::Text {
            text: "fixed".into(),
            ..Default::default()
        });
        let edit = read(&protocol(wa::message::ProtocolMessage {
            r#type: Some(P::MessageEdit),
            key: key("3EB0A").into(),
            edited_message: edited.into_inner().into(),
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(edit.message_type, "edit");
        assert_eq!(edit.content.as_deref(), Some("fixed"));
    }
}
