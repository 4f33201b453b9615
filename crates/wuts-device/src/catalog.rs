//! whatsapp-rust events that only inform (presence, contacts, chats, groups, calls, labels,
//! syncs) as our catalogue's events. Messages, receipts and connection events change state too
//! and are handled where that state lives (`events`, `connection`).
//!
//! Each maps the library's struct field by field into our own `data` type
//! (`wuts_core::events::data`): nothing of whatsapp-rust reaches a webhook unmapped, so an
//! upgrade cannot rename a public field.

use crate::events::{bare, identities, Identities};
use whatsapp_rust::prelude::{Client, Event as Wa};
use whatsapp_rust::wacore::stanza::groups::{GroupNotificationAction as G, GroupParticipantInfo};
use whatsapp_rust::wacore::types::call::{CallAction, ElsewhereOutcome};
use whatsapp_rust::wacore::types::presence::{ChatPresence, ChatPresenceMedia};
use whatsapp_rust::Jid;
use wuts_core::events::*;

fn rfc(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339()
}

fn opt(j: Option<&Jid>) -> Option<String> {
    j.map(|j| j.to_string())
}

async fn ids(client: Option<&Client>, jid: &Jid) -> Identities {
    identities(client, jid, None).await
}

fn chat(jid: &Jid, t: &chrono::DateTime<chrono::Utc>, full: bool) -> ChatSettingData {
    ChatSettingData {
        jid: jid.to_string(),
        timestamp: rfc(t),
        from_full_sync: full,
        ..Default::default()
    }
}

fn people(p: &[GroupParticipantInfo]) -> Vec<String> {
    p.iter().map(|p| p.jid.to_string()).collect()
}

fn group_action(a: &G) -> GroupAction {
    match a {
        G::Add {
            participants,
            reason,
        } => GroupAction::Add {
            participants: people(participants),
            reason: reason.clone(),
        },
        G::Remove {
            participants,
            reason,
        } => GroupAction::Remove {
            participants: people(participants),
            reason: reason.clone(),
        },
        G::Promote { participants } => GroupAction::Promote {
            participants: people(participants),
        },
        G::Demote { participants } => GroupAction::Demote {
            participants: people(participants),
        },
        G::Modify { participants } => GroupAction::Modify {
            participants: people(participants),
        },
        G::Subject {
            subject,
            subject_owner,
            ..
        } => GroupAction::Subject {
            subject: subject.clone(),
            subject_owner: opt(subject_owner.as_ref()),
        },
        G::Description { description, .. } => GroupAction::Description {
            description: description.clone(),
        },
        G::Locked { .. } => GroupAction::Locked { locked: true },
        G::Unlocked => GroupAction::Locked { locked: false },
        G::Announce => GroupAction::Announce { announce: true },
        G::NotAnnounce => GroupAction::Announce { announce: false },
        G::Ephemeral { expiration, .. } => GroupAction::Ephemeral {
            expiration: *expiration,
        },
        G::MembershipApprovalMode { enabled } => {
            GroupAction::MembershipApprovalMode { enabled: *enabled }
        }
        G::MemberAddMode { mode } => GroupAction::MemberAddMode { mode: mode.clone() },
        G::Invite { code } => GroupAction::Invite { code: code.clone() },
        G::RevokeInvite => GroupAction::RevokeInvite,
        G::Create { .. } => GroupAction::Create,
        G::Link { link_type, raw } => {
            let group = raw.get_optional_child("group");
            GroupAction::Link {
                link_type: link_type.clone(),
                group_jid: group
                    .and_then(|g| g.attrs.get("jid"))
                    .map(|v| v.as_str().into_owned()),
                subject: group
                    .and_then(|g| g.attrs.get("subject"))
                    .map(|v| v.as_str().into_owned()),
            }
        }
        G::Unlink {
            unlink_type,
            unlink_reason,
            raw,
        } => GroupAction::Unlink {
            unlink_type: unlink_type.clone(),
            reason: unlink_reason.clone(),
            group_jid: raw
                .get_optional_child("group")
                .and_then(|g| g.attrs.get("jid"))
                .map(|v| v.as_str().into_owned()),
        },
        other => GroupAction::Other {
            name: other.wire_tag().to_string(),
        },
    }
}

/// A call event's `data`: the fields every call action has, and those some have.
async fn call(
    client: Option<&Client>,
    from: &Jid,
    call_id: &str,
    timestamp: i64,
    action: Option<&CallAction>,
) -> CallData {
    let who = ids(client, from).await;
    let mut data = CallData {
        call_id: call_id.to_string(),
        from: from.to_string(),
        from_pn: who.pn,
        from_lid: who.lid,
        timestamp,
        ..Default::default()
    };
    if let Some(a) = action {
        data.call_creator = Some(a.call_creator().to_string());
        match a {
            CallAction::Offer {
                is_video,
                group_jid,
                ..
            } => {
                data.is_video = Some(*is_video);
                data.is_group = Some(group_jid.is_some());
                data.group_jid = opt(group_jid.as_ref());
            }
            CallAction::OfferNotice {
                is_video, is_group, ..
            } => {
                data.is_video = Some(*is_video);
                data.is_group = Some(*is_group);
            }
            CallAction::Reject { reason, .. } => data.reason = reason.clone(),
            CallAction::Terminate {
                reason, duration, ..
            } => {
                data.reason = reason.clone();
                data.duration = *duration;
            }
            _ => {}
        }
    }
    data
}

/// Our event for an informational whatsapp-rust event; `None` for events that have no
/// catalogue name or are handled elsewhere.
pub(crate) async fn catalogue(client: Option<&Client>, event: &Wa) -> Option<Event> {
    Some(match event {
        Wa::Presence(p) => {
            let who = ids(client, &p.from).await;
            Event::ContactPresence(PresenceData {
                from: p.from.to_string(),
                jid_pn: who.pn,
                jid_lid: who.lid,
                unavailable: p.unavailable,
                last_seen: p.last_seen.as_ref().map(rfc),
            })
        }
        Wa::ChatPresence(c) => {
            let sender = identities(client, &c.source.sender, c.source.sender_alt.as_ref()).await;
            Event::ChatPresence(ChatPresenceData {
                chat_jid: bare(&c.source.chat),
                is_group: c.source.is_group,
                sender: sender.primary(),
                sender_pn: sender.pn,
                sender_lid: sender.lid,
                state: match c.state {
                    ChatPresence::Composing => "composing",
                    ChatPresence::Paused => "paused",
                }
                .into(),
                media: match c.media {
                    ChatPresenceMedia::Audio => "audio",
                    _ => "text",
                }
                .into(),
            })
        }
        Wa::PictureUpdate(p) => {
            let who = ids(client, &p.jid).await;
            Event::ContactPicture(PictureData {
                jid: p.jid.to_string(),
                jid_pn: who.pn,
                jid_lid: who.lid,
                author: opt(p.author.as_ref()),
                removed: p.removed,
                picture_id: p.picture_id.clone(),
                timestamp: rfc(&p.timestamp),
            })
        }
        Wa::UserAboutUpdate(u) => {
            let who = ids(client, &u.jid).await;
            Event::ContactAbout(AboutData {
                jid: u.jid.to_string(),
                jid_pn: who.pn,
                jid_lid: who.lid,
                status: u.status.clone(),
                timestamp: rfc(&u.timestamp),
            })
        }
        Wa::ContactUpdated(c) => {
            let who = ids(client, &c.jid).await;
            Event::ContactChanged(ContactChangedData {
                jid: c.jid.to_string(),
                jid_pn: who.pn,
                jid_lid: who.lid,
                change: "profile".into(),
                timestamp: rfc(&c.timestamp),
                ..Default::default()
            })
        }
        Wa::ContactUpdate(c) => {
            let who = ids(client, &c.jid).await;
            Event::ContactChanged(ContactChangedData {
                jid: c.jid.to_string(),
                jid_pn: who.pn.or(c.action.pn_jid.clone()),
                jid_lid: who.lid.or(c.action.lid_jid.clone()),
                change: "contact".into(),
                full_name: c.action.full_name.clone(),
                first_name: c.action.first_name.clone(),
                timestamp: rfc(&c.timestamp),
                from_full_sync: c.from_full_sync,
                ..Default::default()
            })
        }
        Wa::ContactNumberChanged(c) => Event::ContactChanged(ContactChangedData {
            jid: c.new_jid.to_string(),
            jid_pn: Some(c.new_jid.to_string()),
            jid_lid: opt(c.new_lid.as_ref()),
            change: "number".into(),
            old_jid: Some(c.old_jid.to_string()),
            new_jid: Some(c.new_jid.to_string()),
            old_lid: opt(c.old_lid.as_ref()),
            new_lid: opt(c.new_lid.as_ref()),
            timestamp: rfc(&c.timestamp),
            ..Default::default()
        }),
        Wa::PushNameUpdate(p) => {
            let who = ids(client, &p.jid).await;
            Event::ContactPushName(PushNameData {
                jid: Some(p.jid.to_string()),
                jid_pn: who.pn,
                jid_lid: who.lid,
                old_push_name: p.old_push_name.clone(),
                new_push_name: p.new_push_name.clone(),
                message_id: Some(p.message.id.to_string()),
                own: false,
            })
        }
        Wa::SelfPushNameUpdated(p) => Event::ContactPushName(PushNameData {
            old_push_name: p.old_name.clone(),
            new_push_name: p.new_name.clone(),
            own: true,
            ..Default::default()
        }),
        Wa::PinUpdate(u) => Event::ChatPin(ChatSettingData {
            pinned: Some(u.action.pinned.unwrap_or(false)),
            ..chat(&u.jid, &u.timestamp, u.from_full_sync)
        }),
        Wa::MuteUpdate(u) => Event::ChatMute(ChatSettingData {
            muted: Some(u.action.muted.unwrap_or(false)),
            mute_end_timestamp: u.action.mute_end_timestamp,
            ..chat(&u.jid, &u.timestamp, u.from_full_sync)
        }),
        Wa::ArchiveUpdate(u) => Event::ChatArchive(ChatSettingData {
            archived: Some(u.action.archived.unwrap_or(false)),
            ..chat(&u.jid, &u.timestamp, u.from_full_sync)
        }),
        Wa::MarkChatAsReadUpdate(u) => Event::ChatMarkAsRead(ChatSettingData {
            read: Some(u.action.read.unwrap_or(false)),
            ..chat(&u.jid, &u.timestamp, u.from_full_sync)
        }),
        Wa::DeleteChatUpdate(u) => Event::ChatDelete(ChatSettingData {
            delete_media: Some(u.delete_media),
            ..chat(&u.jid, &u.timestamp, u.from_full_sync)
        }),
        Wa::ClearChatUpdate(u) => Event::ChatClear(ChatSettingData {
            delete_media: Some(u.delete_media),
            delete_starred: Some(u.delete_starred),
            ..chat(&u.jid, &u.timestamp, u.from_full_sync)
        }),
        Wa::UserStatusMuteUpdate(u) => Event::SettingsUserStatusMute(StatusMuteData {
            jid: u.jid.to_string(),
            muted: u.muted,
            timestamp: rfc(&u.timestamp),
            from_full_sync: u.from_full_sync,
        }),
        Wa::DeleteMessageForMeUpdate(u) => Event::MessageDeleteForMe(DeletedForMeData {
            chat_jid: u.chat_jid.to_string(),
            participant_jid: opt(u.participant_jid.as_ref()),
            message_id: u.message_id.clone(),
            from_me: u.from_me,
            delete_media: u.action.delete_media.unwrap_or(false),
            timestamp: rfc(&u.timestamp),
            from_full_sync: u.from_full_sync,
        }),
        Wa::LabelEditUpdate(u) => Event::LabelEdit(LabelEditData {
            label_id: u.label_id.clone(),
            name: u.action.name.clone(),
            color: u.action.color,
            deleted: u.action.deleted.unwrap_or(false),
            timestamp: rfc(&u.timestamp),
            from_full_sync: u.from_full_sync,
        }),
        Wa::LabelAssociationUpdate(u) => Event::LabelAssociationChat(LabelAssociationData {
            label_id: u.label_id.clone(),
            chat_jid: u.chat_jid.to_string(),
            message_id: None,
            labeled: u.action.labeled.unwrap_or(false),
            timestamp: rfc(&u.timestamp),
            from_full_sync: u.from_full_sync,
        }),
        // Added to a group (at its creation, or later): the account joined it.
        Wa::GroupUpdate(g) if matches!(g.action, G::Create { .. }) => {
            let subject = match &g.action {
                G::Create { raw } => raw
                    .get_optional_child("group")
                    .and_then(|n| n.attrs.get("subject"))
                    .map(|v| v.as_str().into_owned()),
                _ => None,
            };
            Event::GroupJoined(GroupJoinedData {
                group_jid: g.group_jid.to_string(),
                subject,
                participant: opt(g.participant.as_ref()),
                reason: None,
                timestamp: rfc(&g.timestamp),
            })
        }
        Wa::GroupUpdate(g) => Event::GroupInfo(GroupInfoData {
            group_jid: g.group_jid.to_string(),
            participant: opt(g.participant.as_ref()),
            participant_pn: opt(g.participant_pn.as_ref()),
            notify: g.notify.clone(),
            timestamp: rfc(&g.timestamp),
            is_lid_addressing_mode: g.is_lid_addressing_mode,
            action: group_action(&g.action),
        }),
        Wa::IncomingCall(c) => {
            let mut data = call(
                client,
                &c.from,
                c.action.call_id(),
                c.timestamp.timestamp(),
                Some(&c.action),
            )
            .await;
            data.offline = c.offline;
            match &c.action {
                CallAction::Offer { .. } | CallAction::OfferNotice { .. } => Event::CallOffer(data),
                CallAction::PreAccept { .. } => Event::CallPreAccept(data),
                CallAction::Accept { .. } => Event::CallAccept(data),
                CallAction::Reject { .. } => Event::CallReject(data),
                CallAction::Terminate { .. } => Event::CallTerminate(data),
                CallAction::RelayLatency { .. } => Event::CallRelayLatency(data),
                CallAction::Transport { .. } => Event::CallTransport(data),
                _ => Event::CallUnknown(data),
            }
        }
        Wa::MissedCall(c) => {
            let mut data = call(client, &c.from, &c.call_id, c.timestamp.timestamp(), None).await;
            data.missed = true;
            Event::CallTerminate(data)
        }
        Wa::CallEndedElsewhere(c) => {
            let mut data = call(client, &c.from, &c.call_id, c.timestamp.timestamp(), None).await;
            data.ended_elsewhere = Some(
                match c.outcome {
                    ElsewhereOutcome::Accepted => "accepted",
                    _ => "rejected",
                }
                .into(),
            );
            Event::CallTerminate(data)
        }
        Wa::UndecryptableMessage(u) => {
            let sender = identities(
                client,
                &u.info.source.sender,
                u.info.source.sender_alt.as_ref(),
            )
            .await;
            Event::MessageUndecryptable(UndecryptableData {
                message_id: u.info.id.to_string(),
                chat_jid: bare(&u.info.source.chat),
                from: sender.primary(),
                from_pn: sender.pn,
                from_lid: sender.lid,
                timestamp: rfc(&u.info.timestamp),
                is_unavailable: u.is_unavailable,
                unavailable_type: u.unavailable_type.to_string(),
                decrypt_fail_mode: u.decrypt_fail_mode.to_string(),
            })
        }
        Wa::IdentityChange(i) => {
            let who = ids(client, &i.user).await;
            Event::IdentityChange(IdentityChangeData {
                user: i.user.to_string(),
                user_pn: who.pn,
                user_lid: who.lid.or(opt(i.lid_user.as_ref())),
                implicit: i.implicit,
            })
        }
        Wa::HistorySync(h) => {
            let sync = h.get();
            Event::HistorySync(HistorySyncData {
                sync_type: h.sync_type(),
                chunk_order: h.chunk_order(),
                progress: h.progress(),
                conversations: sync.as_ref().map_or(0, |s| s.conversations.len()),
                push_names: sync.as_ref().map_or(0, |s| s.pushnames.len()),
                chats: sync
                    .as_ref()
                    .map(|s| crate::history::history_chats(s))
                    .unwrap_or_default(),
            })
        }
        Wa::OfflineSyncPreview(p) => Event::OfflineSyncPreview(OfflinePreviewData {
            total: p.total,
            app_data_changes: p.app_data_changes,
            messages: p.messages,
            notifications: p.notifications,
            receipts: p.receipts,
            calls: p.calls,
            statuses: p.statuses,
        }),
        Wa::OfflineSyncCompleted(c) => {
            Event::OfflineSyncCompleted(OfflineCompletedData { count: c.count })
        }
        Wa::MexNotification(n) => return channel_event(&n.payload),
        Wa::NewsletterLiveUpdate(n) => Event::NewsletterLiveUpdate(NewsletterUpdateData {
            newsletter_jid: n.newsletter_jid.to_string(),
            messages: n
                .messages
                .iter()
                .map(|m| NewsletterMessageCounts {
                    server_id: m.server_id,
                    reactions: m
                        .reactions
                        .iter()
                        .map(|r| (r.code.clone(), r.count))
                        .collect(),
                })
                .collect(),
        }),
        _ => return None,
    })
}

/// A channel event of a MEX notification, read by its payload's key as whatsmeow does (the
/// `op_name` varies between WhatsApp releases): follows, unfollows and mute changes made on
/// any of the account's devices.
fn channel_event(payload: &serde_json::Value) -> Option<Event> {
    let data = &payload["data"];
    let jid = |v: &serde_json::Value| v["id"].as_str().map(str::to_string);
    let role = |v: &serde_json::Value| {
        v["viewer_metadata"]["role"]
            .as_str()
            .or(v["role"].as_str())
            .map(|r| r.to_ascii_lowercase())
    };
    if let Some(j) = data.get("xwa2_notify_newsletter_on_join") {
        return Some(Event::NewsletterJoin(NewsletterMembershipData {
            newsletter_jid: jid(j)?,
            name: j["thread_metadata"]["name"]["text"]
                .as_str()
                .map(str::to_string),
            role: role(j),
        }));
    }
    if let Some(l) = data.get("xwa2_notify_newsletter_on_leave") {
        return Some(Event::NewsletterLeave(NewsletterMembershipData {
            newsletter_jid: jid(l)?,
            name: None,
            role: role(l),
        }));
    }
    if let Some(m) = data.get("xwa2_notify_newsletter_on_mute_change") {
        return Some(Event::NewsletterMuteChange(NewsletterMuteData {
            newsletter_jid: jid(m)?,
            muted: m["mute"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("on")),
        }));
    }
    None
}

/// Records an informational event; a change to a chat or contact is written with its event,
/// and a history sync's messages join our records with it, in one transaction.
pub(crate) async fn on_event(at: &crate::connection::At<'_>, event: &Wa) {
    let Some(ours) = catalogue(Some(at.client.as_ref()), event).await else {
        return;
    };
    let name = ours.name();
    let new = wuts_store::events::NewEvent::new(&ours);
    let (store, id, now) = (at.store, &at.device.id, at.now);
    use crate::chat_state::{change_of, Change};
    let written = match (change_of(event), event) {
        (Some(Change::Chat(jid, c)), _) => store.apply_chat_change(id, &jid, c, &new, now).await,
        (Some(Change::Contact(jid, c)), _) => {
            store.apply_contact_change(id, &jid, &c, &new, now).await
        }
        (Some(Change::Label(c)), _) => store.apply_label_change(id, &c, Some(&new), now).await,
        (None, Wa::HistorySync(h)) => {
            let rows = h
                .get()
                .map(|s| crate::history::history_rows(id, s))
                .unwrap_or_default();
            store.record_history(id, &rows, &new, now).await
        }
        (None, _) => store.record_event(id, &new, now).await,
    };
    if let Err(e) = written {
        tracing::error!(device_id = %id, event = name, "cannot record event: {e}");
    }
}
