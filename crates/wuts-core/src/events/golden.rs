//! One golden file per catalogued event (`crates/wuts-core/golden/events/<name>.json`): the
//! exact JSON of a representative `data`, ids and times fixed. A change of a public payload
//! fails here and shows in review as a change of that file; after a deliberate change, run
//! `WUTS_BLESS=1 cargo test -p wuts-core golden` and commit the files it rewrote.

use super::*;
use serde_json::json;
use std::path::PathBuf;

const AT: &str = "2026-01-02T03:04:05+00:00";
const PN: &str = "15550001111@s.whatsapp.net";
const LID: &str = "100000000000001@lid";
const ME: &str = "15550002222@s.whatsapp.net";
const GROUP: &str = "120363000000000001@g.us";
const CHANNEL: &str = "120363000000000002@newsletter";

fn s(v: &str) -> String {
    v.to_string()
}

fn some(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn message(from_me: bool, kind: &str, content: Option<&str>) -> MessageData {
    let (from, to) = if from_me { (ME, PN) } else { (PN, ME) };
    MessageData {
        message_id: s("3EB0AAAAAAAAAAAAAAAA"),
        from: some(from),
        from_pn: some(from),
        from_lid: (!from_me).then(|| s(LID)),
        to: some(to),
        to_pn: some(to),
        to_lid: from_me.then(|| s(LID)),
        chat_jid: s(PN),
        is_group: false,
        is_from_me: from_me,
        message_type: s(kind),
        content: content.map(str::to_string),
        timestamp: s(AT),
        push_name: (!from_me).then(|| s("Ana")),
        ephemeral_expiration: None,
        quoted_message_id: None,
        mentions: Vec::new(),
        from_queue: None,
        server_id: None,
        job_id: None,
        kind: Default::default(),
    }
}

fn receipt(kind: &str) -> ReceiptData {
    ReceiptData {
        message_ids: vec![s("3EB0AAAAAAAAAAAAAAAA")],
        from: some(PN),
        from_pn: some(PN),
        from_lid: some(LID),
        chat_jid: s(PN),
        is_group: false,
        receipt_type: s(kind),
        by_me: false,
        timestamp: s(AT),
    }
}

fn chat_setting() -> ChatSettingData {
    ChatSettingData {
        jid: s(PN),
        timestamp: s(AT),
        ..Default::default()
    }
}

fn call() -> CallData {
    CallData {
        call_id: s("CALL0000000000000000000000000001"),
        from: s(PN),
        from_pn: some(PN),
        from_lid: some(LID),
        call_creator: some(PN),
        timestamp: 1_767_323_045,
        offline: false,
        is_video: Some(false),
        is_group: Some(false),
        ..Default::default()
    }
}

/// A representative event of every catalogue name.
fn samples() -> Vec<Event> {
    let mut location = message(true, "location", None);
    location.kind.insert(
        s("location"),
        json!({"latitude": -23.55, "longitude": -46.63, "name": "Sé", "address": null, "url": null}),
    );
    let mut mention = message(true, "text", Some("hi @15550001111"));
    mention.mentions = vec![s(PN)];
    let mut received = message(false, "text", Some("hello"));
    received.quoted_message_id = some("3EB0BBBBBBBBBBBBBBBB");
    received.ephemeral_expiration = Some(86400);
    vec![
        Event::MessageReceived(received),
        Event::MessageSent(location),
        Event::MessageFailed(MessageFailedData {
            job_id: s("job_3f1c2a9e7b6d4e0f8a1b2c3d4e5f6071"),
            message_id: String::new(),
            chat_jid: s(PN),
            is_group: false,
            message_type: s("audio"),
            error: s("conversion took longer than the limit of 120 s"),
            timestamp: s(AT),
        }),
        Event::MessageDelivered(receipt("delivered")),
        Event::MessageRead(receipt("read")),
        Event::MessageUndecryptable(UndecryptableData {
            message_id: s("3EB0AAAAAAAAAAAAAAAA"),
            chat_jid: s(PN),
            from: some(PN),
            from_pn: some(PN),
            from_lid: some(LID),
            timestamp: s(AT),
            is_unavailable: false,
            unavailable_type: s("unknown"),
            decrypt_fail_mode: s("show"),
        }),
        Event::MessageDeleteForMe(DeletedForMeData {
            chat_jid: s(PN),
            participant_jid: None,
            message_id: s("3EB0AAAAAAAAAAAAAAAA"),
            from_me: true,
            delete_media: false,
            timestamp: s(AT),
            from_full_sync: false,
        }),
        Event::MentionSent(mention),
        Event::MediaRetry(MediaRetryData {
            message_id: s("3EB0AAAAAAAAAAAAAAAA"),
            chat_jid: s(PN),
            success: true,
            error: None,
        }),
        Event::DeviceConnected(ConnectedData { jid: some(ME) }),
        Event::DeviceDisconnected(DisconnectedData {
            reason: some("manual"),
        }),
        Event::DeviceLoggedOut(NoData {}),
        Event::ConnectionPairError(PairErrorData {
            error: s("pair-device-sign signature mismatch"),
        }),
        Event::ConnectionStreamReplaced(NoData {}),
        Event::ConnectionFailure(ConnectFailureData {
            reason: s("ClientOutdated"),
            message: some("405"),
        }),
        Event::ConnectionTemporaryBan(TemporaryBanData {
            code: s("SentToTooManyPeople"),
        }),
        Event::ConnectionManualReconnect(NoData {}),
        Event::ConnectionKeepaliveTimeout(KeepaliveTimeoutData {
            error_count: 2,
            last_success: some(AT),
        }),
        Event::ConnectionKeepaliveRestored(NoData {}),
        Event::ContactPresence(PresenceData {
            from: s(PN),
            jid_pn: some(PN),
            jid_lid: some(LID),
            unavailable: true,
            last_seen: some(AT),
        }),
        Event::ContactChanged(ContactChangedData {
            jid: s(PN),
            jid_pn: some(PN),
            jid_lid: some(LID),
            change: s("contact"),
            full_name: some("Ana Lima"),
            first_name: some("Ana"),
            timestamp: s(AT),
            ..Default::default()
        }),
        Event::ContactPushName(PushNameData {
            jid: some(PN),
            jid_pn: some(PN),
            jid_lid: some(LID),
            old_push_name: s("Ana"),
            new_push_name: s("Ana L."),
            message_id: some("3EB0AAAAAAAAAAAAAAAA"),
            own: false,
        }),
        Event::ContactAbout(AboutData {
            jid: s(PN),
            jid_pn: some(PN),
            jid_lid: some(LID),
            status: s("Available"),
            timestamp: s(AT),
        }),
        Event::ContactPicture(PictureData {
            jid: s(PN),
            jid_pn: some(PN),
            jid_lid: some(LID),
            author: None,
            removed: false,
            picture_id: some("1700000000"),
            timestamp: s(AT),
        }),
        Event::ChatPresence(ChatPresenceData {
            chat_jid: s(PN),
            is_group: false,
            sender: some(PN),
            sender_pn: some(PN),
            sender_lid: some(LID),
            state: s("composing"),
            media: s("text"),
        }),
        Event::ChatMarkAsRead(ChatSettingData {
            read: Some(true),
            ..chat_setting()
        }),
        Event::ChatPin(ChatSettingData {
            pinned: Some(true),
            ..chat_setting()
        }),
        Event::ChatMute(ChatSettingData {
            muted: Some(true),
            mute_end_timestamp: Some(1_767_326_645_000),
            ..chat_setting()
        }),
        Event::ChatArchive(ChatSettingData {
            archived: Some(true),
            ..chat_setting()
        }),
        Event::ChatDelete(ChatSettingData {
            delete_media: Some(false),
            ..chat_setting()
        }),
        Event::ChatClear(ChatSettingData {
            delete_media: Some(false),
            delete_starred: Some(true),
            ..chat_setting()
        }),
        Event::GroupInfo(GroupInfoData {
            group_jid: s(GROUP),
            participant: some(LID),
            participant_pn: some(PN),
            notify: some("Ana"),
            timestamp: s(AT),
            is_lid_addressing_mode: true,
            action: GroupAction::Ephemeral { expiration: 86400 },
        }),
        Event::GroupJoined(GroupJoinedData {
            group_jid: s(GROUP),
            subject: some("Team"),
            participant: some(PN),
            reason: None,
            timestamp: s(AT),
        }),
        Event::CallOffer(call()),
        Event::CallAccept(call()),
        Event::CallPreAccept(call()),
        Event::CallReject(CallData {
            reason: some("busy"),
            ..call()
        }),
        Event::CallTerminate(CallData {
            duration: Some(42),
            ..call()
        }),
        Event::CallRelayLatency(call()),
        Event::CallTransport(call()),
        Event::CallUnknown(call()),
        Event::QrGenerated(QrData { timeout: 60 }),
        Event::PairSuccess(PairSuccessData {
            jid: s(ME),
            lid: s("100000000000002:1@lid"),
            platform: s("android"),
        }),
        Event::IdentityChange(IdentityChangeData {
            user: s(PN),
            user_pn: some(PN),
            user_lid: some(LID),
            implicit: false,
        }),
        Event::PrivacyBlocklist(BlocklistData {
            changes: vec![BlocklistChange {
                jid: s(PN),
                action: s("block"),
            }],
        }),
        Event::PrivacySettings(PrivacySettingsData {
            settings: [(s("last"), s("contacts")), (s("readreceipts"), s("all"))].into(),
        }),
        Event::SettingsUnarchiveChats(UnarchiveChatsData {
            unarchive_chats: true,
            timestamp: s(AT),
            from_full_sync: false,
        }),
        Event::SettingsUserStatusMute(StatusMuteData {
            jid: s(PN),
            muted: true,
            timestamp: s(AT),
            from_full_sync: false,
        }),
        Event::LabelEdit(LabelEditData {
            label_id: s("5"),
            name: some("Customers"),
            color: Some(3),
            deleted: false,
            timestamp: s(AT),
            from_full_sync: false,
        }),
        Event::LabelAssociationChat(LabelAssociationData {
            label_id: s("5"),
            chat_jid: s(PN),
            message_id: None,
            labeled: true,
            timestamp: s(AT),
            from_full_sync: false,
        }),
        Event::LabelAssociationMessage(LabelAssociationData {
            label_id: s("5"),
            chat_jid: s(PN),
            message_id: some("3EB0AAAAAAAAAAAAAAAA"),
            labeled: true,
            timestamp: s(AT),
            from_full_sync: false,
        }),
        Event::NewsletterJoin(NewsletterMembershipData {
            newsletter_jid: s(CHANNEL),
            name: some("News"),
            role: some("subscriber"),
        }),
        Event::NewsletterLeave(NewsletterMembershipData {
            newsletter_jid: s(CHANNEL),
            name: None,
            role: None,
        }),
        Event::NewsletterLiveUpdate(NewsletterUpdateData {
            newsletter_jid: s(CHANNEL),
            messages: vec![NewsletterMessageCounts {
                server_id: 101,
                reactions: [(s("👍"), 3)].into(),
            }],
        }),
        Event::NewsletterMuteChange(NewsletterMuteData {
            newsletter_jid: s(CHANNEL),
            muted: true,
        }),
        Event::HistorySync(HistorySyncData {
            sync_type: 0,
            chunk_order: Some(1),
            progress: Some(100),
            conversations: 1,
            push_names: 1,
            chats: vec![HistoryChat {
                chat_jid: s(PN),
                messages: vec![HistoryMessage {
                    message_id: some("3EB0AAAAAAAAAAAAAAAA"),
                    from_me: false,
                    participant: None,
                    timestamp: Some(1_767_323_045),
                    message_type: s("text"),
                    content: some("hello"),
                }],
            }],
        }),
        Event::OfflineSyncPreview(OfflinePreviewData {
            total: 3,
            messages: 2,
            receipts: 1,
            ..Default::default()
        }),
        Event::OfflineSyncCompleted(OfflineCompletedData { count: 3 }),
        Event::AppStateSyncComplete(AppStateSyncData {
            scopes: vec![s("contacts")],
            collections: vec![s("critical_unblock_low")],
            full_sync: false,
        }),
    ]
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("golden/events")
}

#[test]
fn golden_every_event_has_a_sample() {
    let names: Vec<&str> = samples().iter().map(Event::name).collect();
    assert_eq!(
        names, EVENT_NAMES,
        "one sample per catalogue name, in order"
    );
}

#[test]
fn golden_every_event_data_matches_its_file() {
    let bless = std::env::var_os("WUTS_BLESS").is_some();
    let mut changed = Vec::new();
    for event in samples() {
        let path = dir().join(format!("{}.json", event.name()));
        let text = serde_json::to_string_pretty(&event.data()).unwrap() + "\n";
        if bless {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_default();
        if golden != text {
            changed.push(format!("{}:\n{text}", path.display()));
        }
    }
    assert!(
        changed.is_empty(),
        "event payloads changed (WUTS_BLESS=1 rewrites the files after a deliberate change):\n{}",
        changed.join("\n")
    );
    // No file for an event the catalogue no longer has.
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let event = name.trim_end_matches(".json");
        assert!(is_known(event), "{name} is not a catalogue event");
    }
}
