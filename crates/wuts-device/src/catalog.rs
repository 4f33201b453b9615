//! whatsapp-rust events that only inform (presence, contacts, chats, groups, calls, labels,
//! syncs) under their WUTS catalogue names. Messages, receipts and connection events change
//! state too and are handled where that state lives (`events`, `live`).
//!
//! Each `data` carries what the library reported, losslessly: its own fields, JIDs written as
//! strings, times as RFC 3339 (call times as unix seconds, as WhatsApp sends them), and both
//! identities (`*_pn`, `*_lid`) of the contact when known.

use crate::events::{bare, identities};
use serde_json::{json, Map, Value};
use whatsapp_rust::prelude::{Client, Event};
use whatsapp_rust::wacore::types::call::CallAction;
use whatsapp_rust::Jid;

/// The catalogue name and `data` of an informational event; `None` for events that have no
/// catalogue name or are handled elsewhere.
pub(crate) async fn catalogue(
    client: Option<&Client>,
    event: &Event,
) -> Option<(&'static str, Value)> {
    let (name, data) = match event {
        Event::Presence(p) => (
            "contact.presence",
            with_ids(client, "jid", &p.from, value(p)).await,
        ),
        Event::ChatPresence(c) => {
            let mut data = value(c);
            let sender = identities(client, &c.source.sender, c.source.sender_alt.as_ref()).await;
            data.insert("chat_jid".into(), json!(bare(&c.source.chat)));
            data.insert("sender".into(), json!(sender.primary()));
            data.insert("sender_pn".into(), json!(sender.pn));
            data.insert("sender_lid".into(), json!(sender.lid));
            ("chat.presence", data)
        }
        Event::PictureUpdate(p) => (
            "contact.picture",
            with_ids(client, "jid", &p.jid, value(p)).await,
        ),
        Event::UserAboutUpdate(u) => (
            "contact.about",
            with_ids(client, "jid", &u.jid, value(u)).await,
        ),
        Event::ContactUpdated(c) => (
            "contact.changed",
            with_ids(client, "jid", &c.jid, value(c)).await,
        ),
        Event::ContactUpdate(c) => (
            "contact.changed",
            with_ids(client, "jid", &c.jid, value(c)).await,
        ),
        Event::ContactNumberChanged(c) => {
            let mut data = value(c);
            data.insert("change".into(), json!("number"));
            ("contact.changed", data)
        }
        Event::PushNameUpdate(p) => {
            let mut data = Map::new();
            data.insert("old_push_name".into(), json!(p.old_push_name));
            data.insert("new_push_name".into(), json!(p.new_push_name));
            data.insert("message_id".into(), json!(p.message.id.to_string()));
            (
                "contact.pushname",
                with_ids(client, "jid", &p.jid, data).await,
            )
        }
        Event::SelfPushNameUpdated(p) => {
            let mut data = value(p);
            data.insert("self".into(), json!(true));
            ("contact.pushname", data)
        }
        Event::PinUpdate(u) => ("chat.pin", value(u)),
        Event::MuteUpdate(u) => ("chat.mute", value(u)),
        Event::ArchiveUpdate(u) => ("chat.archive", value(u)),
        Event::MarkChatAsReadUpdate(u) => ("chat.mark_as_read", value(u)),
        Event::DeleteChatUpdate(u) => ("chat.delete", value(u)),
        Event::ClearChatUpdate(u) => ("chat.clear", value(u)),
        Event::UserStatusMuteUpdate(u) => ("settings.user_status_mute", value(u)),
        Event::DeleteMessageForMeUpdate(u) => ("message.delete_for_me", value(u)),
        Event::LabelEditUpdate(u) => ("label.edit", value(u)),
        Event::LabelAssociationUpdate(u) => ("label.association_chat", value(u)),
        Event::GroupUpdate(g) => ("group.info", value(g)),
        Event::IncomingCall(c) => {
            let name = match &c.action {
                CallAction::Offer { .. } | CallAction::OfferNotice { .. } => "call.offer",
                CallAction::PreAccept { .. } => "call.pre_accept",
                CallAction::Accept { .. } => "call.accept",
                CallAction::Reject { .. } => "call.reject",
                CallAction::Terminate { .. } => "call.terminate",
                CallAction::RelayLatency { .. } => "call.relay_latency",
                CallAction::Transport { .. } => "call.transport",
                _ => "call.unknown",
            };
            (name, with_ids(client, "from", &c.from, value(c)).await)
        }
        Event::MissedCall(c) => {
            let mut data = value(c);
            data.insert("missed".into(), json!(true));
            (
                "call.terminate",
                with_ids(client, "from", &c.from, data).await,
            )
        }
        Event::CallEndedElsewhere(c) => (
            "call.terminate",
            with_ids(client, "from", &c.from, value(c)).await,
        ),
        Event::UndecryptableMessage(u) => {
            let sender = identities(
                client,
                &u.info.source.sender,
                u.info.source.sender_alt.as_ref(),
            )
            .await;
            let mut data = value(u);
            data.remove("info");
            data.insert("message_id".into(), json!(u.info.id.to_string()));
            data.insert("chat_jid".into(), json!(bare(&u.info.source.chat)));
            data.insert("from".into(), json!(sender.primary()));
            data.insert("from_pn".into(), json!(sender.pn));
            data.insert("from_lid".into(), json!(sender.lid));
            data.insert("timestamp".into(), json!(u.info.timestamp.to_rfc3339()));
            ("message.undecryptable", data)
        }
        Event::IdentityChange(i) => (
            "identity.change",
            with_ids(client, "user", &i.user, value(i)).await,
        ),
        Event::HistorySync(h) => {
            let mut data = Map::new();
            data.insert("sync_type".into(), json!(h.sync_type()));
            data.insert("chunk_order".into(), json!(h.chunk_order()));
            data.insert("progress".into(), json!(h.progress()));
            if let Some(sync) = h.get() {
                data.insert("conversations".into(), json!(sync.conversations.len()));
                data.insert("push_names".into(), json!(sync.pushnames.len()));
                data.insert("chats".into(), crate::history::history_chats(sync));
            }
            ("history.sync", data)
        }
        Event::OfflineSyncPreview(p) => ("offline.sync_preview", value(p)),
        Event::OfflineSyncCompleted(c) => ("offline.sync_completed", value(c)),
        Event::NewsletterLiveUpdate(n) => ("newsletter.live_update", value(n)),
        _ => return None,
    };
    Some((name, Value::Object(data)))
}

/// The event's own fields as JSON, JIDs as strings.
fn value<T: whatsapp_rust::serde::Serialize>(v: &T) -> Map<String, Value> {
    match serde_json::to_value(v).map(jids_as_strings) {
        Ok(Value::Object(m)) => m,
        Ok(other) => {
            let mut m = Map::new();
            m.insert("value".into(), other);
            m
        }
        Err(_) => Map::new(),
    }
}

/// Rewrites every serialised `Jid` (an object of user, server, agent, device, integrator) as
/// its string form, recursively.
fn jids_as_strings(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let looks_like_jid = m.len() == 5
                && ["user", "server", "agent", "device", "integrator"]
                    .iter()
                    .all(|k| m.contains_key(*k));
            if looks_like_jid {
                if let Ok(j) = serde_json::from_value::<Jid>(Value::Object(m.clone())) {
                    return Value::String(j.to_string());
                }
            }
            Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k, jids_as_strings(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.into_iter().map(jids_as_strings).collect()),
        other => other,
    }
}

/// Adds `<field>_pn` and `<field>_lid`: the contact's two identities, when known.
async fn with_ids(
    client: Option<&Client>,
    field: &str,
    jid: &Jid,
    mut data: Map<String, Value>,
) -> Map<String, Value> {
    let ids = identities(client, jid, None).await;
    data.insert(format!("{field}_pn"), json!(ids.pn));
    data.insert(format!("{field}_lid"), json!(ids.lid));
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jids_become_strings_everywhere() {
        let jid: Jid = "15551234567@s.whatsapp.net".parse().unwrap();
        let lid: Jid = "100000000000001:3@lid".parse().unwrap();
        let v = json!({"a": jid, "list": [{"b": lid}], "n": 1});
        let out = jids_as_strings(serde_json::to_value(&v).unwrap());
        assert_eq!(
            out,
            json!({"a": "15551234567@s.whatsapp.net", "list": [{"b": "100000000000001:3@lid"}], "n": 1})
        );
    }
}
