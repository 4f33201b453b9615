//! Contact cards: one card as a contact message, several as a contacts-array message. Read
//! both ways as `contacts: [{display_name, vcard}]`.

use super::{Built, Kind};
use serde_json::{json, Value};
use whatsapp_rust::waproto::whatsapp as wa;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Card {
    pub display_name: String,
    pub vcard: String,
}

pub fn build(cards: Vec<Card>) -> Built {
    let mut built: Vec<wa::message::ContactMessage> = cards
        .into_iter()
        .map(|c| wa::message::ContactMessage {
            display_name: Some(c.display_name),
            vcard: Some(c.vcard),
            ..Default::default()
        })
        .collect();
    if built.len() == 1 {
        return Built(wa::Message {
            contact_message: built.remove(0).into(),
            ..Default::default()
        });
    }
    Built(wa::Message {
        contacts_array_message: wa::message::ContactsArrayMessage {
            display_name: Some(format!("{} contacts", built.len())),
            contacts: built,
            ..Default::default()
        }
        .into(),
        ..Default::default()
    })
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    let card =
        |c: &wa::message::ContactMessage| json!({"display_name": c.display_name, "vcard": c.vcard});
    if let Some(c) = m.contact_message.as_option() {
        return Some(Kind::new(
            "contact",
            c.display_name.clone(),
            json!({"contacts": [card(c)]}),
        ));
    }
    let a = m.contacts_array_message.as_option()?;
    let cards: Vec<Value> = a.contacts.iter().map(card).collect();
    Some(Kind::new(
        "contacts",
        a.display_name.clone(),
        json!({"contacts": cards}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(n: &str) -> Card {
        Card {
            display_name: n.into(),
            vcard: format!("BEGIN:VCARD\nFN:{n}\nEND:VCARD"),
        }
    }

    #[test]
    fn round_trip() {
        let one = build(vec![card("Ana")]).read();
        assert_eq!(one.message_type, "contact");
        assert_eq!(one.fields["contacts"][0]["display_name"], json!("Ana"));
        let two = build(vec![card("Ana"), card("Bo")]).read();
        assert_eq!(two.message_type, "contacts");
        assert_eq!(two.content.as_deref(), Some("2 contacts"));
        assert_eq!(two.fields["contacts"][1]["vcard"], json!(card("Bo").vcard));
    }
}
