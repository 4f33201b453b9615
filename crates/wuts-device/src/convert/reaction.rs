//! Reactions: an emoji on a message (empty removes ours).

use super::{Built, Kind};
use serde_json::json;
use whatsapp_rust::waproto::whatsapp as wa;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reaction {
    /// The chat of the message reacted to.
    pub chat: String,
    pub message_id: String,
    /// Whether the account wrote that message.
    pub from_me: bool,
    /// Its author in a group, when not us.
    pub participant: Option<String>,
    pub emoji: String,
}

pub fn build(r: Reaction) -> Built {
    let key = wa::MessageKey {
        remote_jid: Some(r.chat),
        from_me: Some(r.from_me),
        id: Some(r.message_id),
        participant: r.participant,
    };
    Built(
        whatsapp_rust::wacore::proto_helpers::build_reaction_message(
            key,
            &r.emoji,
            wuts_core::time::now_millis(),
        ),
    )
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    let r = m.reaction_message.as_option()?;
    let target = r.key.as_option();
    Some(Kind::new(
        "reaction",
        r.text.clone(),
        json!({"reaction": r.text, "original_message_id": target.and_then(|k| k.id.clone()),
            "original_by_sender": target.and_then(|k| k.from_me)}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let k = build(Reaction {
            chat: "1555@s.whatsapp.net".into(),
            message_id: "3EB0A".into(),
            from_me: true,
            participant: None,
            emoji: "👍".into(),
        })
        .read();
        assert_eq!(k.message_type, "reaction");
        assert_eq!(k.fields["reaction"], json!("👍"));
        assert_eq!(k.fields["original_message_id"], json!("3EB0A"));
        assert_eq!(k.fields["original_by_sender"], json!(true));
    }
}
