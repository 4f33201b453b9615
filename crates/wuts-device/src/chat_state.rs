//! What the client's events change in a device's chats and contacts tables.

use crate::events::bare;
use whatsapp_rust::prelude::Event;
use wuts_store::chats::{ChatChange, ContactChange};

/// A change to one chat or one contact.
pub(crate) enum Change {
    Chat(String, ChatChange),
    Contact(String, ContactChange),
    Label(wuts_store::labels::LabelChange),
}

/// The change an event makes, if any.
pub(crate) fn change_of(event: &Event) -> Option<Change> {
    let some = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
    use wuts_store::labels::LabelChange;
    Some(match event {
        Event::LabelEditUpdate(u) => Change::Label(LabelChange::Edit {
            label_id: u.label_id.clone(),
            name: some(&u.action.name),
            color: u.action.color.map(i64::from),
            deleted: u.action.deleted.unwrap_or(false),
        }),
        Event::LabelAssociationUpdate(u) => Change::Label(LabelChange::Chat {
            label_id: u.label_id.clone(),
            chat_jid: bare(&u.chat_jid),
            labeled: u.action.labeled.unwrap_or(false),
        }),
        Event::PinUpdate(u) => Change::Chat(
            bare(&u.jid),
            ChatChange::Pinned(u.action.pinned.unwrap_or(false)),
        ),
        Event::ArchiveUpdate(u) => Change::Chat(
            bare(&u.jid),
            ChatChange::Archived(u.action.archived.unwrap_or(false)),
        ),
        Event::MuteUpdate(u) => Change::Chat(
            bare(&u.jid),
            ChatChange::MutedUntil(if u.action.muted.unwrap_or(false) {
                match u.action.mute_end_timestamp {
                    Some(t) if t > 0 => t,
                    _ => -1,
                }
            } else {
                0
            }),
        ),
        Event::GroupUpdate(g) => {
            use whatsapp_rust::wacore::stanza::groups::GroupNotificationAction as G;
            let chat = bare(&g.group_jid);
            match &g.action {
                G::Ephemeral { expiration, .. } => {
                    Change::Chat(chat, ChatChange::Ephemeral(*expiration))
                }
                // Put in a group: its name and size, as the notification's <group> has them.
                G::Create { raw } => {
                    let group = raw.get_optional_child("group")?;
                    let attr = |k: &str| group.attrs.get(k).map(|v| v.as_str().into_owned());
                    let counted = group
                        .children()
                        .map(|c| c.iter().filter(|n| n.tag == "participant").count() as i64);
                    Change::Chat(
                        chat,
                        ChatChange::Group {
                            name: attr("subject"),
                            participants: attr("size").and_then(|s| s.parse().ok()).or(counted),
                        },
                    )
                }
                G::Subject { subject, .. } => Change::Chat(
                    chat,
                    ChatChange::Group {
                        name: Some(subject.clone()),
                        participants: None,
                    },
                ),
                G::Add { participants, .. } => {
                    Change::Chat(chat, ChatChange::GroupMembers(participants.len() as i64))
                }
                G::Remove { participants, .. } => {
                    Change::Chat(chat, ChatChange::GroupMembers(-(participants.len() as i64)))
                }
                _ => return None,
            }
        }
        Event::ContactUpdate(u) => Change::Contact(
            bare(&u.jid),
            ContactChange {
                lid: some(&u.action.lid_jid),
                first_name: some(&u.action.first_name),
                full_name: some(&u.action.full_name),
                ..Default::default()
            },
        ),
        Event::PushNameUpdate(u) if !u.new_push_name.is_empty() => Change::Contact(
            bare(&u.jid),
            ContactChange {
                push_name: Some(u.new_push_name.clone()),
                ..Default::default()
            },
        ),
        _ => return None,
    })
}
