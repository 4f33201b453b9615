//! The catalogue of webhook events (WUTS `GET /webhook/events`): each name with the type of its
//! `data`, declared once. The macro makes the [`Event`] enum, [`Event::name`], [`Event::data`]
//! and [`EVENT_NAMES`]; recording an event takes an [`Event`], never a name and a JSON value.

pub mod data;

pub use data::*;

macro_rules! catalogue {
    ($( $variant:ident($data:ty) = $name:literal, )+) => {
        /// One event a device produced: its catalogue name is its variant, its `data` the value.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $( $variant($data), )+
        }

        impl Event {
            /// The catalogue name (`message.received`, ...).
            pub fn name(&self) -> &'static str {
                match self {
                    $( Event::$variant(_) => $name, )+
                }
            }

            /// The webhook envelope's `data`.
            pub fn data(&self) -> serde_json::Value {
                let value = match self {
                    $( Event::$variant(d) => serde_json::to_value(d), )+
                };
                // Our data types are plain structs of strings, numbers and maps with string
                // keys: serialising them cannot fail.
                value.unwrap_or_default()
            }
        }

        /// Every catalogue name, in the catalogue's order.
        pub const EVENT_NAMES: &[&str] = &[ $( $name, )+ ];
    };
}

catalogue! {
    MessageReceived(MessageData) = "message.received",
    MessageSent(MessageData) = "message.sent",
    MessageFailed(MessageFailedData) = "message.failed",
    MessageDelivered(ReceiptData) = "message.delivered",
    MessageRead(ReceiptData) = "message.read",
    MessageUndecryptable(UndecryptableData) = "message.undecryptable",
    MessageDeleteForMe(DeletedForMeData) = "message.delete_for_me",
    MentionSent(MessageData) = "mention.sent",
    MediaRetry(MediaRetryData) = "media.retry",
    DeviceConnected(ConnectedData) = "device.connected",
    DeviceDisconnected(DisconnectedData) = "device.disconnected",
    DeviceLoggedOut(NoData) = "device.logged_out",
    ConnectionPairError(PairErrorData) = "connection.pair_error",
    ConnectionStreamReplaced(NoData) = "connection.stream_replaced",
    ConnectionFailure(ConnectFailureData) = "connection.failure",
    ConnectionTemporaryBan(TemporaryBanData) = "connection.temporary_ban",
    ConnectionManualReconnect(NoData) = "connection.manual_reconnect",
    ConnectionKeepaliveTimeout(KeepaliveTimeoutData) = "connection.keepalive_timeout",
    ConnectionKeepaliveRestored(NoData) = "connection.keepalive_restored",
    ContactPresence(PresenceData) = "contact.presence",
    ContactChanged(ContactChangedData) = "contact.changed",
    ContactPushName(PushNameData) = "contact.pushname",
    ContactAbout(AboutData) = "contact.about",
    ContactPicture(PictureData) = "contact.picture",
    ChatPresence(ChatPresenceData) = "chat.presence",
    ChatMarkAsRead(ChatSettingData) = "chat.mark_as_read",
    ChatPin(ChatSettingData) = "chat.pin",
    ChatMute(ChatSettingData) = "chat.mute",
    ChatArchive(ChatSettingData) = "chat.archive",
    ChatDelete(ChatSettingData) = "chat.delete",
    ChatClear(ChatSettingData) = "chat.clear",
    GroupInfo(GroupInfoData) = "group.info",
    GroupJoined(GroupJoinedData) = "group.joined",
    CallOffer(CallData) = "call.offer",
    CallAccept(CallData) = "call.accept",
    CallPreAccept(CallData) = "call.pre_accept",
    CallReject(CallData) = "call.reject",
    CallTerminate(CallData) = "call.terminate",
    CallRelayLatency(CallData) = "call.relay_latency",
    CallTransport(CallData) = "call.transport",
    CallUnknown(CallData) = "call.unknown",
    QrGenerated(QrData) = "qr.generated",
    PairSuccess(PairSuccessData) = "pair.success",
    IdentityChange(IdentityChangeData) = "identity.change",
    PrivacyBlocklist(BlocklistData) = "privacy.blocklist",
    PrivacySettings(PrivacySettingsData) = "privacy.settings",
    SettingsUnarchiveChats(UnarchiveChatsData) = "settings.unarchive_chats",
    SettingsUserStatusMute(StatusMuteData) = "settings.user_status_mute",
    LabelEdit(LabelEditData) = "label.edit",
    LabelAssociationChat(LabelAssociationData) = "label.association_chat",
    LabelAssociationMessage(LabelAssociationData) = "label.association_message",
    NewsletterJoin(NewsletterMembershipData) = "newsletter.join",
    NewsletterLeave(NewsletterMembershipData) = "newsletter.leave",
    NewsletterLiveUpdate(NewsletterUpdateData) = "newsletter.live_update",
    NewsletterMuteChange(NewsletterMuteData) = "newsletter.mute_change",
    HistorySync(HistorySyncData) = "history.sync",
    OfflineSyncPreview(OfflinePreviewData) = "offline.sync_preview",
    OfflineSyncCompleted(OfflineCompletedData) = "offline.sync_completed",
    AppStateSyncComplete(AppStateSyncData) = "app_state.sync_complete",
}

pub fn is_known(name: &str) -> bool {
    EVENT_NAMES.contains(&name)
}

#[cfg(test)]
mod golden;

#[cfg(test)]
mod tests {
    #[test]
    fn catalogue_has_59_unique_names() {
        let mut names = super::EVENT_NAMES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 59);
    }
}
