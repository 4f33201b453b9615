//! WUTS "chats" over the live socket: account presence, presence subscriptions, typing
//! indicators, disappearing timers, pin/archive/mute (app-state patches), the chats list.

use crate::contacts::{contact, parse, whatsapp};
use crate::devices::Target;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{DomainError, FieldError};
pub use wuts_device::ChatSetting;
use wuts_device::ChatState;

impl Services {
    /// Sets the account's presence; answers the state as WUTS names it.
    pub async fn set_presence(
        &self,
        at: &Target,
        state: Option<&str>,
    ) -> DomainResult<&'static str> {
        let available = match state.map(str::trim).unwrap_or("available") {
            "" | "available" | "online" => true,
            "unavailable" | "offline" => false,
            other => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "state",
                    "must be available, online, unavailable or offline",
                )
                .with_value(other)]))
            }
        };
        let (_, live) = self.live(at).await?;
        live.set_presence(available).await.map_err(whatsapp)?;
        Ok(if available {
            "available"
        } else {
            "unavailable"
        })
    }

    /// Subscribes to a contact's presence, first going online when asked to.
    pub async fn subscribe_presence(
        &self,
        at: &Target,
        jid: &str,
        ensure_online: bool,
    ) -> DomainResult<String> {
        let target = contact(Some(jid), None)?;
        let (_, live) = self.live(at).await?;
        if ensure_online {
            live.set_presence(true).await.map_err(whatsapp)?;
        }
        live.subscribe_presence(&parse("jid", &target)?)
            .await
            .map_err(whatsapp)?;
        Ok(target)
    }

    /// Shows typing or recording (or stops it) in a chat; answers the wire state and media.
    pub async fn typing(
        &self,
        at: &Target,
        chat_jid: &str,
        state: Option<&str>,
        media: Option<&str>,
    ) -> DomainResult<(String, &'static str, &'static str)> {
        let chat = crate::messages::recipient("jid", chat_jid)?;
        let media = match media.map(str::trim).unwrap_or("text") {
            "" | "text" => "text",
            "audio" => "audio",
            other => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "media",
                    "must be text or audio",
                )
                .with_value(other)]))
            }
        };
        let (wire, chat_state) = match (state.map(str::trim).unwrap_or("typing"), media) {
            ("" | "typing" | "composing", "audio") | ("recording", _) => {
                ("recording", ChatState::Recording)
            }
            ("" | "typing" | "composing", _) => ("composing", ChatState::Composing),
            ("paused" | "stop" | "available", _) => ("paused", ChatState::Paused),
            (other, _) => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "state",
                    "must be typing, composing, recording or paused",
                )
                .with_value(other)]))
            }
        };
        let (_, live) = self.live(at).await?;
        live.chat_state(&parse("jid", &chat)?, chat_state)
            .await
            .map_err(whatsapp)?;
        Ok((chat, wire, media))
    }

    /// Sets a chat's disappearing-message timer from a preset or a number of seconds; answers
    /// the chat, the preset and the seconds.
    pub async fn set_disappearing(
        &self,
        at: &Target,
        chat_jid: &str,
        preset: Option<&str>,
        seconds: Option<i64>,
    ) -> DomainResult<(String, &'static str, u32)> {
        let chat = crate::messages::recipient("jid", chat_jid)?;
        let (preset, seconds) = disappearing(preset, seconds)?;
        let (device, live) = self.live(at).await?;
        live.set_disappearing(&parse("jid", &chat)?, seconds)
            .await
            .map_err(whatsapp)?;
        // Our next messages in this chat carry the timer.
        self.store
            .set_chat_timer(&device.id, &chat, seconds, wuts_core::time::now_millis())
            .await?;
        Ok((chat, preset, seconds))
    }

    /// Pins, archives or mutes a chat (an app-state patch from the account); answers the chat.
    pub async fn chat_setting(
        &self,
        at: &Target,
        chat_jid: &str,
        setting: wuts_device::ChatSetting,
    ) -> DomainResult<String> {
        let chat = crate::messages::recipient("jid", chat_jid)?;
        let (_, live) = self.live(at).await?;
        live.chat_setting(&parse("jid", &chat)?, setting)
            .await
            .map_err(whatsapp)?;
        Ok(chat)
    }

    /// The chats the device knows, with their settings (needs a live session, as in WUTS).
    /// The chats with their labels (a labelled chat the device has no row for is listed too).
    pub async fn list_chats(
        &self,
        at: &Target,
    ) -> DomainResult<Vec<(wuts_store::chats::ChatRow, Vec<String>)>> {
        let device = self.device(at).await?;
        self.connected_device(&device).await?;
        let rows = self.store.list_chats(&device.id).await?;
        let mut labels: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (chat, label) in self.store.chat_labels(&device.id).await? {
            labels.entry(chat).or_default().push(label);
        }
        let mut out: Vec<(wuts_store::chats::ChatRow, Vec<String>)> = rows
            .into_iter()
            .map(|r| {
                let l = labels.remove(&r.jid).unwrap_or_default();
                (r, l)
            })
            .collect();
        for (jid, l) in labels {
            out.push((
                wuts_store::chats::ChatRow {
                    jid,
                    pinned: false,
                    archived: false,
                    muted_until: 0,
                    name: None,
                    participant_count: None,
                },
                l,
            ));
        }
        Ok(out)
    }
}

/// The timers WhatsApp offers, by preset name.
pub const DISAPPEARING_PRESETS: [(&str, u32); 4] = [
    ("off", 0),
    ("24h", 86_400),
    ("7d", 604_800),
    ("90d", 7_776_000),
];

/// A preset, or seconds that are one of the presets' (WhatsApp's clients offer no others).
fn disappearing(preset: Option<&str>, seconds: Option<i64>) -> DomainResult<(&'static str, u32)> {
    let accepted = || {
        DISAPPEARING_PRESETS
            .iter()
            .map(|(n, s)| format!("{n} ({s})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (preset.map(str::trim).filter(|p| !p.is_empty()), seconds) {
        (Some(_), Some(_)) => Err(DomainError::field(
            "preset",
            "give a preset or seconds, not both",
        )),
        (Some(p), None) => DISAPPEARING_PRESETS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(p))
            .map(|(n, s)| (*n, *s))
            .ok_or_else(|| {
                DomainError::fields(vec![FieldError::new(
                    "preset",
                    format!("must be one of {}", accepted()),
                )
                .with_value(p)])
            }),
        (None, Some(secs)) => DISAPPEARING_PRESETS
            .iter()
            .find(|(_, s)| i64::from(*s) == secs)
            .map(|(n, s)| (*n, *s))
            .ok_or_else(|| {
                DomainError::fields(vec![FieldError::new(
                    "seconds",
                    format!("WhatsApp accepts only {}", accepted()),
                )
                .with_value(secs)])
            }),
        (None, None) => Err(DomainError::field(
            "preset",
            "preset or seconds is required",
        )),
    }
}
