//! The `data` of each webhook event: our own types, so that no library upgrade can rename a
//! public field unseen (the golden files under `crates/wuts-core/golden/events/` pin each
//! shape). JIDs are strings; times are RFC 3339 strings unless a field says otherwise; where a
//! contact appears, both identities are given when known (`<field>_pn`, `<field>_lid`).

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `message.received`, `message.sent`, `mention.sent`: one shape for a message we sent through
/// the API, one an earlier run left queued, one the account sent from its phone, and one we
/// received.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MessageData {
    pub message_id: String,
    pub from: Option<String>,
    pub from_pn: Option<String>,
    pub from_lid: Option<String>,
    pub to: Option<String>,
    pub to_pn: Option<String>,
    pub to_lid: Option<String>,
    pub chat_jid: String,
    pub is_group: bool,
    pub is_from_me: bool,
    /// WUTS's name of the kind: `text`, `image`, `location`, `poll`, `reaction`, ...
    pub message_type: String,
    /// The text a reader sees (a caption, a poll's question, ...), when the kind has one.
    pub content: Option<String>,
    pub timestamp: String,
    pub push_name: Option<String>,
    /// Seconds, when the chat's disappearing timer applies.
    pub ephemeral_expiration: Option<u32>,
    pub quoted_message_id: Option<String>,
    pub mentions: Vec<String>,
    /// Present (true) on a send an earlier run left queued and this run sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_queue: Option<bool>,
    /// Channel posts: the server's number of the post (`MessageServerID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_id: Option<u64>,
    /// A send that answered 202: the media job that sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The kind's own fields (`location`, `contacts`, `poll`, `media`, `original_message_id`,
    /// ...), as `wuts_device::convert` reads them for both directions.
    #[serde(flatten)]
    pub kind: Map<String, Value>,
}

/// `message.failed`: a send accepted with 202 (a media job) that could not be sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MessageFailedData {
    pub job_id: String,
    /// The message's id when it got one before failing, else empty.
    pub message_id: String,
    pub chat_jid: String,
    pub is_group: bool,
    /// `audio`, `video`.
    pub message_type: String,
    /// Why, in words (the conversion's error, the time limit, the upload's failure, ...).
    pub error: String,
    pub timestamp: String,
}

/// `message.delivered`, `message.read` (played voice notes and videos too).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReceiptData {
    pub message_ids: Vec<String>,
    pub from: Option<String>,
    pub from_pn: Option<String>,
    pub from_lid: Option<String>,
    pub chat_jid: String,
    pub is_group: bool,
    /// `delivered`, `read` or `played`.
    pub receipt_type: String,
    /// The account read it on another of its devices.
    pub by_me: bool,
    pub timestamp: String,
}

/// `message.undecryptable`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UndecryptableData {
    pub message_id: String,
    pub chat_jid: String,
    pub from: Option<String>,
    pub from_pn: Option<String>,
    pub from_lid: Option<String>,
    pub timestamp: String,
    /// WhatsApp said the message is unavailable (view-once on another device, ...).
    pub is_unavailable: bool,
    pub unavailable_type: String,
    /// Whether WhatsApp shows a placeholder (`show`) or hides the message (`hide`).
    pub decrypt_fail_mode: String,
}

/// `message.delete_for_me`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeletedForMeData {
    pub chat_jid: String,
    pub participant_jid: Option<String>,
    pub message_id: String,
    pub from_me: bool,
    pub delete_media: bool,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `contact.presence`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PresenceData {
    pub from: String,
    pub jid_pn: Option<String>,
    pub jid_lid: Option<String>,
    pub unavailable: bool,
    pub last_seen: Option<String>,
}

/// `chat.presence`: typing or recording in a chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatPresenceData {
    pub chat_jid: String,
    pub is_group: bool,
    pub sender: Option<String>,
    pub sender_pn: Option<String>,
    pub sender_lid: Option<String>,
    /// `composing` or `paused`.
    pub state: String,
    /// `text` or `audio` (recording).
    pub media: String,
}

/// `contact.picture`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PictureData {
    pub jid: String,
    pub jid_pn: Option<String>,
    pub jid_lid: Option<String>,
    /// Who changed it (a group's admin).
    pub author: Option<String>,
    pub removed: bool,
    pub picture_id: Option<String>,
    pub timestamp: String,
}

/// `contact.about`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AboutData {
    pub jid: String,
    pub jid_pn: Option<String>,
    pub jid_lid: Option<String>,
    pub status: String,
    pub timestamp: String,
}

/// `contact.changed`: a profile change (`change: "profile"`), a contact edited on a linked
/// device (`"contact"`, with its names) or a new phone number (`"number"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ContactChangedData {
    pub jid: String,
    pub jid_pn: Option<String>,
    pub jid_lid: Option<String>,
    pub change: String,
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub old_jid: Option<String>,
    pub new_jid: Option<String>,
    pub old_lid: Option<String>,
    pub new_lid: Option<String>,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `contact.pushname`: a contact's display name (or the account's own, `self: true`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushNameData {
    pub jid: Option<String>,
    pub jid_pn: Option<String>,
    pub jid_lid: Option<String>,
    pub old_push_name: String,
    pub new_push_name: String,
    /// The message that carried the new name.
    pub message_id: Option<String>,
    #[serde(rename = "self")]
    pub own: bool,
}

/// `chat.pin`, `chat.mute`, `chat.archive`, `chat.mark_as_read`, `chat.delete`, `chat.clear`:
/// a chat setting changed on one of the account's devices. Each carries the fields of its
/// setting (`pinned`; `muted`, `mute_end_timestamp`; `archived`; `read`; `delete_media`;
/// `delete_media`, `delete_starred`); the others are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatSettingData {
    pub jid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    /// Unix milliseconds; -1 is "for ever".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_end_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_media: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_starred: Option<bool>,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `settings.user_status_mute`: a contact's status updates muted or unmuted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatusMuteData {
    pub jid: String,
    pub muted: bool,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `settings.unarchive_chats`: whether archived chats come back on a new message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnarchiveChatsData {
    pub unarchive_chats: bool,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `label.edit`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelEditData {
    pub label_id: String,
    pub name: Option<String>,
    pub color: Option<i32>,
    pub deleted: bool,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `label.association_chat`, `label.association_message`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelAssociationData {
    pub label_id: String,
    pub chat_jid: String,
    /// Only for `label.association_message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub labeled: bool,
    pub timestamp: String,
    pub from_full_sync: bool,
}

/// `group.info`: one change to a group, by `participant` (an admin) when known.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupInfoData {
    pub group_jid: String,
    pub participant: Option<String>,
    pub participant_pn: Option<String>,
    /// The display name WhatsApp sent with the change.
    pub notify: Option<String>,
    pub timestamp: String,
    pub is_lid_addressing_mode: bool,
    pub action: GroupAction,
}

/// What changed in a group (`type` names it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GroupAction {
    Add {
        participants: Vec<String>,
        reason: Option<String>,
    },
    Remove {
        participants: Vec<String>,
        reason: Option<String>,
    },
    Promote {
        participants: Vec<String>,
    },
    Demote {
        participants: Vec<String>,
    },
    Modify {
        participants: Vec<String>,
    },
    Subject {
        subject: String,
        subject_owner: Option<String>,
    },
    Description {
        description: Option<String>,
    },
    /// Only admins may edit the group's info (`locked: true`), or all members.
    Locked {
        locked: bool,
    },
    /// Only admins may send (`announce: true`), or all members.
    Announce {
        announce: bool,
    },
    /// Disappearing messages: seconds, 0 for off.
    Ephemeral {
        expiration: u32,
    },
    MembershipApprovalMode {
        enabled: bool,
    },
    MemberAddMode {
        mode: String,
    },
    Invite {
        code: String,
    },
    RevokeInvite,
    Create,
    Delete,
    /// A group was linked to this community (`group_jid`), or this group to one.
    Link {
        link_type: String,
        group_jid: Option<String>,
        subject: Option<String>,
    },
    /// A group was unlinked from this community.
    Unlink {
        unlink_type: String,
        reason: Option<String>,
        group_jid: Option<String>,
    },
    /// Any other change, by WhatsApp's name for it.
    Other {
        name: String,
    },
}

impl Default for GroupAction {
    fn default() -> Self {
        GroupAction::Other {
            name: String::new(),
        }
    }
}

/// `group.joined`: the account was added to a group, or joined one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupJoinedData {
    pub group_jid: String,
    pub subject: Option<String>,
    /// Who added the account.
    pub participant: Option<String>,
    pub reason: Option<String>,
    pub timestamp: String,
}

/// `call.offer`, `call.accept`, `call.pre_accept`, `call.reject`, `call.terminate`,
/// `call.relay_latency`, `call.transport`, `call.unknown`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CallData {
    pub call_id: String,
    pub from: String,
    pub from_pn: Option<String>,
    pub from_lid: Option<String>,
    pub call_creator: Option<String>,
    /// Unix seconds, as WhatsApp sends call times.
    pub timestamp: i64,
    pub offline: bool,
    pub is_video: Option<bool>,
    pub is_group: Option<bool>,
    pub group_jid: Option<String>,
    pub reason: Option<String>,
    /// Seconds, on `call.terminate` when WhatsApp says.
    pub duration: Option<u32>,
    /// A call nobody answered (`call.terminate`).
    pub missed: bool,
    /// Answered or declined on another of the account's devices (`call.terminate`).
    pub ended_elsewhere: Option<String>,
}

/// `identity.change`: a contact's encryption identity changed (a reinstall).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdentityChangeData {
    pub user: String,
    pub user_pn: Option<String>,
    pub user_lid: Option<String>,
    /// Noticed while decrypting (true) or told by WhatsApp (false).
    pub implicit: bool,
}

/// `history.sync`: one chunk of the history the phone sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HistorySyncData {
    /// WhatsApp's history sync type number (0 initial bootstrap, 2 full, 3 recent, 4 push names, 6 on demand, ...).
    pub sync_type: i32,
    pub chunk_order: Option<u32>,
    pub progress: Option<u32>,
    pub conversations: usize,
    pub push_names: usize,
    /// At most 1,000 messages in all are listed.
    pub chats: Vec<HistoryChat>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HistoryChat {
    pub chat_jid: String,
    pub messages: Vec<HistoryMessage>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HistoryMessage {
    pub message_id: Option<String>,
    pub from_me: bool,
    pub participant: Option<String>,
    /// Unix seconds.
    pub timestamp: Option<u64>,
    pub message_type: String,
    pub content: Option<String>,
}

/// `offline.sync_preview`: what WhatsApp kept while the device was away.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OfflinePreviewData {
    pub total: i32,
    pub app_data_changes: i32,
    pub messages: i32,
    pub notifications: i32,
    pub receipts: i32,
    pub calls: i32,
    pub statuses: i32,
}

/// `offline.sync_completed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OfflineCompletedData {
    pub count: i32,
}

/// `newsletter.live_update`: reaction counts of a channel's messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewsletterUpdateData {
    pub newsletter_jid: String,
    pub messages: Vec<NewsletterMessageCounts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewsletterMessageCounts {
    pub server_id: u64,
    pub reactions: BTreeMap<String, u64>,
}

/// `newsletter.join`, `newsletter.leave`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewsletterMembershipData {
    pub newsletter_jid: String,
    pub name: Option<String>,
    pub role: Option<String>,
}

/// `newsletter.mute_change`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NewsletterMuteData {
    pub newsletter_jid: String,
    pub muted: bool,
}

/// `media.retry`: the answer to asking a sender's phone to upload media again.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MediaRetryData {
    pub message_id: String,
    pub chat_jid: String,
    pub success: bool,
    pub error: Option<String>,
}

/// `qr.generated`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QrData {
    /// Seconds this code stays valid.
    pub timeout: u64,
}

/// `pair.success`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PairSuccessData {
    pub jid: String,
    pub lid: String,
    pub platform: String,
}

/// `device.connected`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConnectedData {
    pub jid: Option<String>,
}

/// `device.disconnected`: `reason: "manual"` after `POST /disconnect`, else absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DisconnectedData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Events that carry nothing more than their name (`device.logged_out`,
/// `connection.stream_replaced`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NoData {}

/// `connection.pair_error`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PairErrorData {
    pub error: String,
}

/// `connection.failure`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ConnectFailureData {
    pub reason: String,
    pub message: Option<String>,
}

/// `connection.temporary_ban`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TemporaryBanData {
    pub code: String,
}

/// `connection.keepalive_timeout`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KeepaliveTimeoutData {
    pub error_count: u32,
    pub last_success: Option<String>,
}

/// `privacy.blocklist`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlocklistData {
    pub changes: Vec<BlocklistChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BlocklistChange {
    pub jid: String,
    /// `block` or `unblock`.
    pub action: String,
}

/// `privacy.settings`: each privacy setting by WhatsApp's name, with its value.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrivacySettingsData {
    pub settings: BTreeMap<String, String>,
}

/// `app_state.sync_complete`: after `POST /contacts/sync`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AppStateSyncData {
    pub scopes: Vec<String>,
    pub collections: Vec<String>,
    pub full_sync: bool,
}
