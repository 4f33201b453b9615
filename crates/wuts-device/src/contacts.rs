//! What a live device does about contacts and presence: the block list, who is on WhatsApp,
//! account presence, presence subscriptions and chat states (typing, recording).

use crate::{LiveDevice, RuntimeError};
use whatsapp_rust::wacore::iq::blocklist::BlocklistEntry;
use whatsapp_rust::wacore::iq::spec::IqSpec;
use whatsapp_rust::wacore::request::InfoQuery;
use whatsapp_rust::{Jid, Server};

/// The block list as WhatsApp has it.
#[derive(Debug, Clone, Default)]
pub struct Blocklist {
    /// (JID as listed, its phone-number JID when known).
    pub items: Vec<(String, Option<String>)>,
    /// The server's hash of the list.
    pub dhash: Option<String>,
}

/// A chat state to show in a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatState {
    Composing,
    Recording,
    Paused,
}

/// whatsapp-rust's blocklist query, keeping the `dhash` its own parser drops.
struct BlocklistWithHash;

impl IqSpec for BlocklistWithHash {
    type Response = (Vec<BlocklistEntry>, Option<String>);

    fn build_iq(&self) -> InfoQuery<'static> {
        whatsapp_rust::wacore::iq::blocklist::GetBlocklistSpec.build_iq()
    }

    fn parse_response(
        &self,
        response: &whatsapp_rust::wacore_binary::NodeRef<'_>,
    ) -> anyhow::Result<Self::Response> {
        let entries =
            whatsapp_rust::wacore::iq::blocklist::GetBlocklistSpec.parse_response(response)?;
        let dhash = response
            .get_optional_child("list")
            .and_then(|l| l.get_attr("dhash").map(|v| v.to_string()));
        Ok((entries, dhash))
    }
}

fn wa(e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::WhatsApp(e.to_string())
}

impl LiveDevice {
    /// The block list, with each entry's phone number when known.
    pub async fn blocklist(&self) -> Result<Blocklist, RuntimeError> {
        let (entries, dhash) = self.client.execute(BlocklistWithHash).await.map_err(wa)?;
        let mut items = Vec::with_capacity(entries.len());
        for e in entries {
            let (pn, _) = self.identities_of(&e.jid).await;
            items.push((e.jid.to_non_ad().to_string(), pn));
        }
        Ok(Blocklist { items, dhash })
    }

    /// Learns a phone number's LID from WhatsApp when the client does not know it yet.
    async fn learn_lid(&self, jid: &Jid) -> Result<(), RuntimeError> {
        if jid.is_pn() && self.identities_of(jid).await.1.is_none() {
            self.client
                .contacts()
                .is_on_whatsapp(std::slice::from_ref(jid))
                .await
                .map_err(wa)?;
        }
        Ok(())
    }

    /// Blocks a contact given by phone-number JID or LID.
    pub async fn block(&self, jid: &Jid) -> Result<(), RuntimeError> {
        self.learn_lid(jid).await?;
        self.client.blocking().block(jid).await.map_err(wa)
    }

    /// Unblocks a contact given by phone-number JID or LID.
    pub async fn unblock(&self, jid: &Jid) -> Result<(), RuntimeError> {
        self.learn_lid(jid).await?;
        self.client.blocking().unblock(jid).await.map_err(wa)
    }

    /// Which of these phone numbers (digits) are on WhatsApp.
    pub async fn on_whatsapp(&self, numbers: &[String]) -> Result<Vec<bool>, RuntimeError> {
        let jids: Vec<Jid> = numbers.iter().map(|n| Jid::new(n, Server::Pn)).collect();
        let found = self
            .client
            .contacts()
            .is_on_whatsapp(&jids)
            .await
            .map_err(wa)?;
        Ok(numbers
            .iter()
            .map(|n| {
                found.iter().any(|r| {
                    r.is_registered
                        && (r.jid.user.as_str() == n
                            || r.pn_jid.as_ref().is_some_and(|p| p.user.as_str() == n))
                })
            })
            .collect())
    }

    /// Sets the account's presence: available (online) or not.
    pub async fn set_presence(&self, available: bool) -> Result<(), RuntimeError> {
        let presence = self.client.presence();
        if available {
            presence.set_available().await.map_err(wa)
        } else {
            presence.set_unavailable().await.map_err(wa)
        }
    }

    /// Subscribes to a contact's presence (updates arrive as `contact.presence` events).
    pub async fn subscribe_presence(&self, jid: &Jid) -> Result<(), RuntimeError> {
        self.client
            .presence()
            .subscribe(jid.clone())
            .await
            .map_err(wa)
    }

    /// Shows a chat state in a chat.
    pub async fn chat_state(&self, chat: &Jid, state: ChatState) -> Result<(), RuntimeError> {
        let c = self.client.chatstate();
        match state {
            ChatState::Composing => c.send_composing(chat).await,
            ChatState::Recording => c.send_recording(chat).await,
            ChatState::Paused => c.send_paused(chat).await,
        }
        .map_err(wa)
    }

    /// Sets a chat's disappearing-message timer (seconds, 0 turns it off): an IQ for a group,
    /// an ephemeral-setting message for a user chat.
    pub async fn set_disappearing(&self, chat: &Jid, seconds: u32) -> Result<(), RuntimeError> {
        if chat.server == Server::Group {
            self.client
                .groups()
                .set_ephemeral(chat.clone(), seconds)
                .await
                .map_err(wa)
        } else {
            self.client
                .set_chat_disappearing_timer(chat.clone(), seconds)
                .await
                .map(|_| ())
                .map_err(wa)
        }
    }

    /// Replaces the text of a message this account sent.
    pub async fn edit(&self, to: &str, id: &str, text: &str) -> Result<(), RuntimeError> {
        let to: Jid = to.parse().map_err(wa)?;
        let content = whatsapp_rust::waproto::whatsapp::Message {
            conversation: Some(text.to_string()),
            ..Default::default()
        };
        self.client
            .edit_message(to, id.to_string(), content)
            .await
            .map(|_| ())
            .map_err(wa)
    }

    /// Deletes a message this account sent, for everyone.
    pub async fn revoke(&self, chat: &str, id: &str) -> Result<(), RuntimeError> {
        let chat: Jid = chat.parse().map_err(wa)?;
        self.client
            .revoke_message(
                chat,
                id.to_string(),
                whatsapp_rust::send::RevokeType::Sender,
            )
            .await
            .map_err(wa)
    }

    /// A contact's user info: about text, picture id, device JIDs, verified business name.
    pub async fn user_info(&self, jid: &Jid) -> Result<Option<UserInfo>, RuntimeError> {
        let mut found = self
            .client
            .contacts()
            .get_user_info(std::slice::from_ref(jid))
            .await
            .map_err(wa)?;
        let key = found.keys().find(|k| k.user == jid.user).cloned();
        Ok(key.and_then(|k| found.remove(&k)).map(|u| UserInfo {
            status: u.status,
            picture_id: u.picture_id,
            devices: u
                .devices
                .iter()
                .map(|d| {
                    let mut j = u.jid.to_non_ad();
                    j.device = *d;
                    j.to_string()
                })
                .collect(),
            verified_name: u.verified_name.as_ref().and_then(|v| v.name.clone()),
            is_business: u.is_business,
        }))
    }

    /// A contact's or group's profile picture (`None`: none, or not visible to us).
    pub async fn profile_picture(
        &self,
        jid: &Jid,
        preview: bool,
    ) -> Result<Option<Picture>, RuntimeError> {
        Ok(self
            .client
            .contacts()
            .get_profile_picture(jid, preview)
            .await
            .map_err(wa)?
            .map(|p| Picture {
                id: p.id,
                url: p.url,
                direct_path: p.direct_path,
            }))
    }

    /// A chat setting sent as an app-state patch (reaching the account's other devices).
    pub async fn chat_setting(&self, chat: &Jid, setting: ChatSetting) -> Result<(), RuntimeError> {
        let actions = self.client.chat_actions();
        match setting {
            ChatSetting::Pin(true) => actions.pin_chat(chat).await,
            ChatSetting::Pin(false) => actions.unpin_chat(chat).await,
            ChatSetting::Archive(true) => actions.archive_chat(chat, None).await,
            ChatSetting::Archive(false) => actions.unarchive_chat(chat, None).await,
            ChatSetting::Mute(None) => actions.mute_chat(chat).await,
            ChatSetting::Mute(Some(until_ms)) => actions.mute_chat_until(chat, until_ms).await,
            ChatSetting::Unmute => actions.unmute_chat(chat).await,
        }
        .map_err(wa)
    }

    /// Fetches the named app-state collections from WhatsApp (from the stored version, or
    /// from scratch with `full`), applying what changed; unknown names are skipped.
    pub async fn sync_app_state(&self, collections: &[&str], full: bool) {
        use std::str::FromStr;
        use whatsapp_rust::sync_task::MajorSyncTask;
        use whatsapp_rust::wacore::appstate::patch_decode::WAPatchName;
        for c in collections {
            if let Ok(name) = WAPatchName::from_str(c) {
                self.client
                    .process_sync_task(MajorSyncTask::AppStateSync {
                        name,
                        full_sync: full,
                    })
                    .await;
            }
        }
    }
}

/// A chat setting kept in app state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatSetting {
    Pin(bool),
    Archive(bool),
    /// Muted until this unix time in milliseconds, or for good.
    Mute(Option<i64>),
    Unmute,
}

/// A contact's user info.
#[derive(Debug, Clone, Default)]
pub struct UserInfo {
    pub status: Option<String>,
    pub picture_id: Option<String>,
    pub devices: Vec<String>,
    pub verified_name: Option<String>,
    pub is_business: bool,
}

/// A profile picture's location.
#[derive(Debug, Clone)]
pub struct Picture {
    pub id: String,
    pub url: String,
    pub direct_path: Option<String>,
}
