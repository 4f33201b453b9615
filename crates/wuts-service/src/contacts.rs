//! WUTS "contacts" over the live socket: the block list, who is on WhatsApp, profiles and
//! photos, the contacts list and identifier resolution, app-state sync.

use crate::devices::Target;
use crate::instances::normalize_phone;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::events::{AppStateSyncData, Event};
use wuts_core::{Device, DomainError, FieldError};
use wuts_device::Jid;
use wuts_store::events::NewEvent;

/// At most this many numbers per `/contact/check`.
pub const CHECK_MAX: usize = 500;

/// The outcome of a block or unblock, with the list as it is afterwards.
pub struct BlockOutcome {
    pub device: Device,
    pub jid: String,
    pub phone_number: Option<String>,
    pub blocked: bool,
    pub count: usize,
    pub dhash: Option<String>,
}

/// A contact given as `jid` (a user JID or a LID) or `number` (normalised).
pub fn contact(jid: Option<&str>, number: Option<&str>) -> DomainResult<String> {
    let clean = |s: Option<&str>| {
        s.map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    match (clean(jid), clean(number)) {
        (Some(j), _) => {
            let ok = j.split_once('@').is_some_and(|(user, server)| {
                matches!(server, "s.whatsapp.net" | "lid")
                    && !user.is_empty()
                    && user.bytes().all(|b| b.is_ascii_digit())
            });
            if ok {
                Ok(j)
            } else {
                Err(DomainError::fields(vec![FieldError::new(
                    "jid",
                    "must be a user JID (…@s.whatsapp.net) or a LID (…@lid)",
                )
                .with_value(j.as_str())]))
            }
        }
        (None, Some(n)) => Ok(format!("{}@s.whatsapp.net", normalize_phone("number", &n)?)),
        (None, None) => Err(DomainError::fields(vec![FieldError::new(
            "jid",
            "jid or number is required",
        )])),
    }
}

pub(crate) fn parse(field: &str, s: &str) -> DomainResult<Jid> {
    s.parse()
        .map_err(|_| DomainError::field(field, "invalid JID"))
}

pub(crate) fn whatsapp(e: impl std::fmt::Display) -> DomainError {
    DomainError::Unavailable(format!("WhatsApp refused: {e}"))
}

impl Services {
    /// Blocks (or unblocks) a contact; answers the list's size and hash afterwards.
    pub async fn set_blocked(
        &self,
        at: &Target,
        target: &str,
        block: bool,
    ) -> DomainResult<BlockOutcome> {
        let (device, live) = self.live(at).await?;
        let jid = parse("jid", target)?;
        if block {
            live.block(&jid).await.map_err(whatsapp)?;
        } else {
            live.unblock(&jid).await.map_err(whatsapp)?;
        }
        let (pn, lid) = live.identities_of(&jid).await;
        let list = live.blocklist().await.map_err(whatsapp)?;
        Ok(BlockOutcome {
            device,
            jid: lid.unwrap_or_else(|| target.to_string()),
            phone_number: pn.map(|p| p.trim_end_matches("@s.whatsapp.net").to_string()),
            blocked: block,
            count: list.items.len(),
            dhash: list.dhash,
        })
    }

    /// The block list.
    pub async fn blocklist(&self, at: &Target) -> DomainResult<wuts_device::Blocklist> {
        let (_, live) = self.live(at).await?;
        live.blocklist().await.map_err(whatsapp)
    }

    /// Which numbers are on WhatsApp: (cleaned number, registered).
    pub async fn check_numbers(
        &self,
        at: &Target,
        numbers: &[String],
    ) -> DomainResult<Vec<(String, bool)>> {
        if numbers.is_empty() || numbers.len() > CHECK_MAX {
            return Err(DomainError::field(
                "numbers",
                format!("1 to {CHECK_MAX} numbers are required"),
            ));
        }
        let mut errors = Vec::new();
        let mut cleaned = Vec::with_capacity(numbers.len());
        for (i, n) in numbers.iter().enumerate() {
            match normalize_phone(&format!("numbers[{i}]"), n) {
                Ok(c) => cleaned.push(c),
                Err(DomainError::Validation { fields, .. }) => errors.extend(fields),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::fields(errors));
        }
        let (_, live) = self.live(at).await?;
        let found = live.on_whatsapp(&cleaned).await.map_err(whatsapp)?;
        Ok(cleaned.into_iter().zip(found).collect())
    }

    /// A contact's user info (about, picture id, devices, verified business name).
    pub async fn contact_profile(
        &self,
        at: &Target,
        jid: Option<&str>,
        number: Option<&str>,
    ) -> DomainResult<(String, wuts_device::UserInfo)> {
        let target = contact(jid, number)?;
        let (_, live) = self.live(at).await?;
        let info = live
            .user_info(&parse("jid", &target)?)
            .await
            .map_err(whatsapp)?
            .ok_or_else(|| DomainError::NotFound("not on WhatsApp".into()))?;
        Ok((target, info))
    }

    /// A contact's or group's profile picture; `None` for the picture when `existing_id` is
    /// still current (unchanged).
    pub async fn contact_picture(
        &self,
        at: &Target,
        jid: Option<&str>,
        number: Option<&str>,
        preview: bool,
        existing_id: Option<&str>,
    ) -> DomainResult<(String, String, Option<wuts_device::Picture>)> {
        let target = match jid.map(str::trim).filter(|j| j.ends_with("@g.us")) {
            Some(group) => crate::messages::recipient("jid", group)?,
            None => contact(jid, number)?,
        };
        let (_, live) = self.live(at).await?;
        let picture = live
            .profile_picture(&parse("jid", &target)?, preview)
            .await
            .map_err(whatsapp)?
            .ok_or_else(|| DomainError::NotFound("no profile picture (or not visible)".into()))?;
        let id = picture.id.clone();
        let unchanged = existing_id.is_some_and(|e| e.trim() == id);
        Ok((target, id, (!unchanged).then_some(picture)))
    }

    /// Fetches fresh app-state patches for the scopes (contacts, chats and settings when none
    /// are named) and records `app_state.sync_complete`; answers the scopes synced.
    pub async fn sync_app_state(
        &self,
        at: &Target,
        scopes: Option<Vec<String>>,
        full: bool,
    ) -> DomainResult<Vec<String>> {
        let scopes = match scopes {
            None => DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect(),
            Some(v) if v.is_empty() => {
                return Err(DomainError::field(
                    "scopes",
                    "name at least one scope, or leave scopes out",
                ))
            }
            Some(v) => v,
        };
        let mut collections: Vec<&str> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (i, scope) in scopes.iter().enumerate() {
            let scope = scope.trim().to_ascii_lowercase();
            let Some((_, names)) = APP_STATE_SCOPES.iter().find(|(s, _)| *s == scope) else {
                return Err(DomainError::fields(vec![FieldError::new(
                    format!("scopes[{i}]"),
                    "must be contacts, chats, settings, pins or critical",
                )
                .with_value(scope.as_str())]));
            };
            for n in *names {
                if !collections.contains(n) {
                    collections.push(n);
                }
            }
            if !seen.contains(&scope) {
                seen.push(scope);
            }
        }
        let (device, live) = self.live(at).await?;
        live.sync_app_state(&collections, full).await;
        let event = Event::AppStateSyncComplete(AppStateSyncData {
            scopes: seen.clone(),
            collections: collections.iter().map(|c| c.to_string()).collect(),
            full_sync: full,
        });
        self.store
            .record_event(
                &device.id,
                &NewEvent::new(&event),
                wuts_core::time::now_millis(),
            )
            .await?;
        Ok(seen)
    }

    /// The contacts the device knows (app-state contacts and push names; needs a live session).
    pub async fn list_contacts(
        &self,
        at: &Target,
    ) -> DomainResult<Vec<wuts_store::chats::ContactRow>> {
        let device = self.device(at).await?;
        self.connected_device(&device).await?;
        Ok(self.store.list_contacts(&device.id).await?)
    }

    /// Resolves phones, PN JIDs and LIDs to both identities and the names we know.
    pub async fn resolve_contacts(
        &self,
        at: &Target,
        inputs: &[String],
        group_jid: Option<&str>,
    ) -> DomainResult<Vec<Resolved>> {
        if inputs.is_empty() || inputs.len() > RESOLVE_MAX {
            return Err(DomainError::field(
                "jids",
                format!("1 to {RESOLVE_MAX} identifiers are required"),
            ));
        }
        if group_jid.is_some_and(|g| !g.trim().is_empty()) {
            return Err(DomainError::field(
                "group_jid",
                "resolving within a group is not available yet",
            ));
        }
        let mut parsed = Vec::with_capacity(inputs.len());
        let mut errors = Vec::new();
        for (i, raw) in inputs.iter().enumerate() {
            let field = format!("jids[{i}]");
            let r = if raw.contains('@') {
                contact(Some(raw), None)
            } else {
                contact(None, Some(raw))
            };
            match r {
                Ok(j) => parsed.push((raw.clone(), j)),
                Err(DomainError::Validation { .. }) => errors.push(
                    FieldError::new(field, "not a phone number, user JID or LID")
                        .with_value(raw.as_str()),
                ),
                Err(e) => return Err(e),
            }
        }
        if !errors.is_empty() {
            return Err(DomainError::fields(errors));
        }
        let (device, live) = self.live(at).await?;
        // Phone numbers whose LID the client does not know yet: ask WhatsApp once, for all.
        let mut unknown = Vec::new();
        for (_, j) in &parsed {
            if j.ends_with("@s.whatsapp.net") {
                let jid = parse("jid", j)?;
                if live.identities_of(&jid).await.1.is_none() {
                    unknown.push(j.trim_end_matches("@s.whatsapp.net").to_string());
                }
            }
        }
        if !unknown.is_empty() {
            live.on_whatsapp(&unknown).await.map_err(whatsapp)?;
        }
        let known = self.store.list_contacts(&device.id).await?;
        let mut out = Vec::with_capacity(parsed.len());
        for (input, j) in parsed {
            let (pn, lid) = live.identities_of(&parse("jid", &j)?).await;
            let pn = pn.or_else(|| j.ends_with("@s.whatsapp.net").then(|| j.clone()));
            let lid = lid.or_else(|| j.ends_with("@lid").then(|| j.clone()));
            let names = known
                .iter()
                .find(|c| Some(&c.jid) == pn.as_ref() || (c.lid.is_some() && c.lid == lid));
            out.push(Resolved {
                input,
                input_jid: j,
                resolved: pn.clone().or(lid.clone()),
                phone_number: pn.map(|p| p.trim_end_matches("@s.whatsapp.net").to_string()),
                lid,
                full_name: names.and_then(|n| n.full_name.clone()),
                push_name: names.and_then(|n| n.push_name.clone()),
            });
        }
        Ok(out)
    }
}

/// At most this many identifiers per `/contacts/resolve`.
pub const RESOLVE_MAX: usize = 160;

/// One resolved identifier.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub input: String,
    pub input_jid: String,
    /// The phone-number JID when known, else the LID.
    pub resolved: Option<String>,
    pub phone_number: Option<String>,
    pub lid: Option<String>,
    pub full_name: Option<String>,
    pub push_name: Option<String>,
}

/// Scopes synced when a request names none.
pub const DEFAULT_SCOPES: [&str; 3] = ["contacts", "chats", "settings"];

/// WUTS's app-state scopes and WhatsApp's collections behind each (see docs/compat.md).
pub const APP_STATE_SCOPES: [(&str, &[&str]); 5] = [
    ("contacts", &["critical_unblock_low"]),
    ("chats", &["regular_high", "regular_low"]),
    ("settings", &["critical_block", "regular"]),
    ("pins", &["regular_low"]),
    ("critical", &["critical_block", "critical_unblock_low"]),
];
