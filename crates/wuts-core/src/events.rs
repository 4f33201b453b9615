//! The catalogue of webhook event names (WUTS `GET /webhook/events`).

pub const EVENT_NAMES: &[&str] = &[
    "message.received",
    "message.sent",
    "message.delivered",
    "message.read",
    "message.undecryptable",
    "message.delete_for_me",
    "mention.sent",
    "media.retry",
    "device.connected",
    "device.disconnected",
    "device.logged_out",
    "connection.pair_error",
    "connection.stream_replaced",
    "connection.failure",
    "connection.temporary_ban",
    "connection.manual_reconnect",
    "connection.keepalive_timeout",
    "connection.keepalive_restored",
    "contact.presence",
    "contact.changed",
    "contact.pushname",
    "contact.about",
    "contact.picture",
    "chat.presence",
    "chat.mark_as_read",
    "chat.pin",
    "chat.mute",
    "chat.archive",
    "chat.delete",
    "chat.clear",
    "group.info",
    "group.joined",
    "call.offer",
    "call.accept",
    "call.pre_accept",
    "call.reject",
    "call.terminate",
    "call.relay_latency",
    "call.transport",
    "call.unknown",
    "qr.generated",
    "pair.success",
    "identity.change",
    "privacy.blocklist",
    "privacy.settings",
    "settings.unarchive_chats",
    "settings.user_status_mute",
    "label.edit",
    "label.association_chat",
    "label.association_message",
    "newsletter.join",
    "newsletter.leave",
    "newsletter.live_update",
    "newsletter.mute_change",
    "history.sync",
    "offline.sync_preview",
    "offline.sync_completed",
    "app_state.sync_complete",
];

pub fn is_known(name: &str) -> bool {
    EVENT_NAMES.contains(&name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_has_58_unique_names() {
        let mut names = super::EVENT_NAMES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 58);
    }
}
