//! WUTS "status" (stories): the audience rules and text, image and video posts. The audience of
//! a post is computed here, as WhatsApp clients do: the saved contacts (`contacts`), only the
//! listed ones (`whitelist`) or the contacts but the listed ones (`blacklist`).

use crate::devices::Target;
use crate::media::{MediaKind, MediaRequest};
use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError, FieldError};
pub use wuts_device::{StatusAudience, StatusList};

/// WhatsApp's longest text status.
pub const STATUS_TEXT_MAX: usize = 700;
/// The background of a text status (WhatsApp's default green), 0xAARRGGBB.
pub const STATUS_BACKGROUND: u32 = 0xFF1E_6E4F;

/// A status post's outcome.
#[derive(Debug, Clone)]
pub struct PostedStatus {
    pub message_id: String,
    /// Unix milliseconds.
    pub sent_at: i64,
    /// How many accounts it went to.
    pub audience: usize,
    pub mime_type: Option<String>,
    pub kind: &'static str,
}

/// A media status as the caller gives it.
#[derive(Debug, Clone, Default)]
pub struct StatusMedia {
    /// `image` or `video`; from `mime_type` when absent.
    pub media_type: Option<String>,
    pub mime_type: Option<String>,
    pub data: Option<String>,
    pub url: Option<String>,
    pub caption: Option<String>,
    pub view_once: bool,
}

/// The users of a list: phone numbers (any formatting), user JIDs or LIDs; no groups, no
/// repeats.
fn users(field: &str, raw: &[String]) -> DomainResult<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, u) in raw.iter().enumerate() {
        let f = format!("{field}[{i}]");
        let jid = recipient(&f, u)?;
        if !(jid.ends_with("@s.whatsapp.net") || jid.ends_with("@lid")) {
            return Err(DomainError::fields(vec![FieldError::new(
                f,
                "must be a person (phone number, user JID or LID)",
            )
            .with_value(u.as_str())]));
        }
        if !out.contains(&jid) {
            out.push(jid);
        }
    }
    Ok(out)
}

fn user_part(jid: &str) -> &str {
    jid.split(['@', ':']).next().unwrap_or(jid)
}

impl Services {
    /// The account's status lists, the one in force marked `default`.
    pub async fn status_privacy(&self, at: &Target) -> DomainResult<Vec<StatusList>> {
        let (_, live) = self.live(at).await?;
        Ok(live.status_privacy().await?)
    }

    /// Puts a rule in force: `contacts` (its list is ignored), `whitelist` (at least one
    /// user) or `blacklist`. Answers the rule and the list kept.
    pub async fn set_status_privacy(
        &self,
        at: &Target,
        kind: &str,
        list: &[String],
    ) -> DomainResult<(StatusAudience, Vec<String>)> {
        let audience = StatusAudience::parse(kind.trim()).ok_or_else(|| {
            DomainError::fields(vec![FieldError::new(
                "type",
                "must be contacts, whitelist or blacklist",
            )
            .with_value(kind)])
        })?;
        let list = match audience {
            StatusAudience::Contacts => Vec::new(),
            _ => users("list", list)?,
        };
        if audience == StatusAudience::Whitelist && list.is_empty() {
            return Err(DomainError::field(
                "list",
                "a whitelist needs at least one contact",
            ));
        }
        let (_, live) = self.live(at).await?;
        live.set_status_privacy(audience, &list).await?;
        Ok((audience, list))
    }

    /// Who sees a post now: the rule in force applied to the device's saved contacts.
    async fn status_audience(
        &self,
        device: &wuts_core::Device,
        live: &wuts_device::LiveDevice,
    ) -> DomainResult<(StatusAudience, Vec<String>)> {
        let lists = live.status_privacy().await?;
        let rule = lists
            .iter()
            .find(|l| l.default)
            .map(|l| (l.audience, l.users.clone()))
            .unwrap_or((StatusAudience::Contacts, Vec::new()));
        if rule.0 == StatusAudience::Whitelist {
            return Ok(rule);
        }
        let listed: Vec<&str> = rule.1.iter().map(|u| user_part(u)).collect();
        let own = live.state().jid.clone().unwrap_or_default();
        let contacts = self.store.list_contacts(&device.id).await?;
        let audience = contacts
            .into_iter()
            .filter(|c| {
                c.full_name.as_deref().is_some_and(|n| !n.is_empty())
                    || c.first_name.as_deref().is_some_and(|n| !n.is_empty())
            })
            .filter(|c| c.jid.ends_with("@s.whatsapp.net") || c.jid.ends_with("@lid"))
            .filter(|c| user_part(&c.jid) != user_part(&own))
            .filter(|c| {
                rule.0 != StatusAudience::Blacklist
                    || !(listed.contains(&user_part(&c.jid))
                        || c.lid
                            .as_deref()
                            .is_some_and(|l| listed.contains(&user_part(l))))
            })
            .map(|c| c.jid)
            .collect();
        Ok((rule.0, audience))
    }

    async fn post(
        &self,
        device: &wuts_core::Device,
        live: &wuts_device::LiveDevice,
        content: wuts_device::StatusContent,
    ) -> DomainResult<(String, i64, usize)> {
        let (rule, audience) = self.status_audience(device, live).await?;
        if audience.is_empty() {
            return Err(DomainError::Conflict(format!(
                "no one would see this status: the {} audience is empty (save contacts first)",
                rule.as_str()
            )));
        }
        let id = live.post_status(content, &audience, rule).await?;
        Ok((id, time::now_millis(), audience.len()))
    }

    /// Posts a text status.
    pub async fn post_status_text(&self, at: &Target, text: &str) -> DomainResult<PostedStatus> {
        if text.trim().is_empty() {
            return Err(DomainError::field("text", "is required"));
        }
        if text.chars().count() > STATUS_TEXT_MAX {
            return Err(DomainError::field(
                "text",
                format!("at most {STATUS_TEXT_MAX} characters"),
            ));
        }
        let (device, live) = self.live(at).await?;
        let content = wuts_device::StatusContent::Text {
            text: text.to_string(),
            background: STATUS_BACKGROUND,
        };
        let (message_id, sent_at, audience) = self.post(&device, &live, content).await?;
        Ok(PostedStatus {
            message_id,
            sent_at,
            audience,
            mime_type: None,
            kind: "text",
        })
    }

    /// Posts an image or video status (base64, data URI or URL).
    pub async fn post_status_media(
        &self,
        at: &Target,
        m: StatusMedia,
    ) -> DomainResult<PostedStatus> {
        let declared = m.mime_type.as_deref().map(str::trim).unwrap_or("");
        let kind = match m.media_type.as_deref().map(str::trim) {
            Some("image") => MediaKind::Image,
            Some("video") => MediaKind::Video,
            Some(other) => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "media_type",
                    "must be image or video",
                )
                .with_value(other)]))
            }
            None if declared.starts_with("image/") => MediaKind::Image,
            None if declared.starts_with("video/") => MediaKind::Video,
            None => {
                return Err(DomainError::field(
                    "media_type",
                    "is required when mime_type is not an image/ or video/ type",
                ))
            }
        };
        if m.data.as_deref().is_none_or(|d| d.trim().is_empty())
            && m.url.as_deref().is_none_or(|u| u.trim().is_empty())
        {
            return Err(DomainError::field(
                "data",
                "either data or url must be provided",
            ));
        }
        let request = MediaRequest {
            data: m.data,
            url: m.url,
            caption: m.caption,
            mime_type: m.mime_type,
            view_once: m.view_once,
            ..Default::default()
        };
        let p = self
            .prepare_media(at, kind, ("data", "url"), request)
            .await?;
        let mime = p.mime.clone();
        let content = wuts_device::StatusContent::Media(Box::new(p.message));
        let (message_id, sent_at, audience) = self.post(&p.device, &p.live, content).await?;
        Ok(PostedStatus {
            message_id,
            sent_at,
            audience,
            mime_type: Some(mime),
            kind: kind.as_str(),
        })
    }
}
