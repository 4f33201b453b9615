//! WUTS "newsletters" (channels): create, read, the invite, the channels followed, follow and
//! unfollow, the posts with their views and reactions, marking posts viewed, and posting texts
//! and media (uploaded unencrypted, as channels are not end-to-end encrypted).

use crate::devices::Target;
use crate::fields::required;
use crate::media::{accepted, image_facts_of, one_source, MediaKind, Source};
use crate::media_inspect as inspect;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError, FieldError};
pub use wuts_device::{Channel, ChannelPost};

/// WhatsApp's longest channel name and description.
pub const CHANNEL_NAME_MAX: usize = 100;
pub const CHANNEL_DESCRIPTION_MAX: usize = 2048;
/// The most posts one history page holds.
pub const CHANNEL_PAGE_MAX: u32 = 100;
/// The largest channel media request (the catalogue's "whole payload ≤ 32 MB").
pub const CHANNEL_MEDIA_BODY_MAX: usize = 32 * 1024 * 1024;
/// WhatsApp's longest text post.
pub const CHANNEL_TEXT_MAX: usize = 65_536;

/// A channel JID (`<digits>@newsletter`).
pub fn newsletter_jid(field: &str, raw: &str) -> DomainResult<String> {
    let r = raw.trim();
    match r.split_once('@') {
        Some((user, "newsletter"))
            if !user.is_empty() && user.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(r.to_string())
        }
        _ => Err(DomainError::fields(vec![FieldError::new(
            field,
            "must be a channel JID (…@newsletter)",
        )
        .with_value(raw)])),
    }
}

/// A media post as the caller gives it.
#[derive(Debug, Clone, Default)]
pub struct ChannelMedia {
    /// `image`, `video` or `document`; from `mime_type` when absent.
    pub media_type: Option<String>,
    pub data: Option<String>,
    pub url: Option<String>,
    pub caption: Option<String>,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
}

/// A post's outcome.
#[derive(Debug, Clone)]
pub struct ChannelPosted {
    pub message_id: String,
    /// Unix milliseconds.
    pub sent_at: i64,
    pub kind: &'static str,
}

fn not_found(jid: &str) -> DomainError {
    DomainError::NotFound(format!("no channel {jid}"))
}

impl Services {
    /// The live device, once WhatsApp says its account may post to the channel (its owner or
    /// an admin): WhatsApp refuses other posts only in an ack after the send.
    async fn channel_poster(
        &self,
        at: &Target,
        jid: &str,
    ) -> DomainResult<std::sync::Arc<wuts_device::LiveDevice>> {
        let (_, live) = self.live(at).await?;
        let c = live.channel(jid).await?.ok_or_else(|| not_found(jid))?;
        if !matches!(c.role.as_str(), "owner" | "admin") {
            return Err(DomainError::Forbidden(format!(
                "only the channel's owner and admins post to it (this account is {})",
                c.role
            )));
        }
        Ok(live)
    }

    /// Creates a channel owned by the device's account.
    pub async fn create_channel(
        &self,
        at: &Target,
        name: &str,
        description: Option<&str>,
        picture: Option<&str>,
    ) -> DomainResult<Channel> {
        let name = required("name", name, CHANNEL_NAME_MAX)?;
        let description = description.map(str::trim).filter(|d| !d.is_empty());
        crate::fields::at_most(
            "description",
            &description.map(str::to_string),
            CHANNEL_DESCRIPTION_MAX,
        )?;
        let picture = match picture.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                use base64::Engine as _;
                let jpeg = crate::instances::jpeg_base64("picture", p)?;
                Some(base64::engine::general_purpose::STANDARD.encode(jpeg))
            }
            None => None,
        };
        let (_, live) = self.live(at).await?;
        Ok(live.create_channel(&name, description, picture).await?)
    }

    /// One channel's metadata.
    pub async fn channel(&self, at: &Target, jid: &str) -> DomainResult<Channel> {
        let jid = newsletter_jid("jid", jid)?;
        let (_, live) = self.live(at).await?;
        live.channel(&jid).await?.ok_or_else(|| not_found(&jid))
    }

    /// The channels the account follows or owns.
    pub async fn channels(&self, at: &Target) -> DomainResult<Vec<Channel>> {
        let (_, live) = self.live(at).await?;
        Ok(live.channels().await?)
    }

    /// Follows a channel (`follow`) or unfollows it.
    pub async fn follow_channel(&self, at: &Target, jid: &str, follow: bool) -> DomainResult<()> {
        let jid = newsletter_jid("jid", jid)?;
        let (_, live) = self.live(at).await?;
        match live.follow_channel(&jid, follow).await {
            Ok(_) => Ok(()),
            Err(wuts_device::RuntimeError::Refused { code: 404, .. }) => Err(not_found(&jid)),
            Err(wuts_device::RuntimeError::Refused { code: 405, text }) => Err(
                DomainError::Conflict(format!("WhatsApp refused it: {text}")),
            ),
            Err(e) => Err(e.into()),
        }
    }

    /// A page of posts, oldest first: `count` (1–100) before the server id `before`.
    pub async fn channel_posts(
        &self,
        at: &Target,
        jid: &str,
        count: Option<u32>,
        before: Option<&str>,
    ) -> DomainResult<Vec<ChannelPost>> {
        let jid = newsletter_jid("jid", jid)?;
        let count = count.unwrap_or(20);
        if !(1..=CHANNEL_PAGE_MAX).contains(&count) {
            return Err(DomainError::field(
                "count",
                format!("must be 1–{CHANNEL_PAGE_MAX}"),
            ));
        }
        let before = match before.map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) => Some(b.parse::<u64>().map_err(|_| {
                DomainError::fields(vec![FieldError::new(
                    "before",
                    "must be a server message id (digits)",
                )
                .with_value(b)])
            })?),
            None => None,
        };
        let (_, live) = self.live(at).await?;
        match live.channel_posts(&jid, count, before).await {
            Err(wuts_device::RuntimeError::Refused { code: 404, .. }) => Err(not_found(&jid)),
            other => Ok(other?),
        }
    }

    /// Marks posts (server ids, as strings of digits) viewed; answers how many.
    pub async fn view_channel_posts(
        &self,
        at: &Target,
        jid: &str,
        server_ids: &[String],
    ) -> DomainResult<usize> {
        let jid = newsletter_jid("jid", jid)?;
        if server_ids.is_empty() {
            return Err(DomainError::field("server_ids", "at least one server id"));
        }
        let mut ids: Vec<u64> = Vec::with_capacity(server_ids.len());
        for (i, s) in server_ids.iter().enumerate() {
            let id = s.trim().parse::<u64>().map_err(|_| {
                DomainError::fields(vec![FieldError::new(
                    format!("server_ids[{i}]"),
                    "must be a server message id (digits)",
                )
                .with_value(s.as_str())])
            })?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let (_, live) = self.live(at).await?;
        live.view_channel_posts(&jid, &ids).await?;
        Ok(ids.len())
    }

    /// Posts a text to a channel the account owns.
    pub async fn post_channel_text(
        &self,
        at: &Target,
        jid: &str,
        text: &str,
    ) -> DomainResult<ChannelPosted> {
        let jid = newsletter_jid("jid", jid)?;
        if text.trim().is_empty() {
            return Err(DomainError::field("text", "is required"));
        }
        if text.chars().count() > CHANNEL_TEXT_MAX {
            return Err(DomainError::field(
                "text",
                format!("at most {CHANNEL_TEXT_MAX} characters"),
            ));
        }
        let live = self.channel_poster(at, &jid).await?;
        let message_id = live.post_channel_text(&jid, text).await?;
        Ok(ChannelPosted {
            message_id,
            sent_at: time::now_millis(),
            kind: "text",
        })
    }

    /// Posts an image, video or document (base64, data URI or URL) to a channel.
    pub async fn post_channel_media(
        &self,
        at: &Target,
        jid: &str,
        m: ChannelMedia,
    ) -> DomainResult<ChannelPosted> {
        let jid = newsletter_jid("jid", jid)?;
        let declared = m.mime_type.as_deref().map(str::trim).unwrap_or("");
        let kind = match m.media_type.as_deref().map(str::trim) {
            Some("image") => MediaKind::Image,
            Some("video") => MediaKind::Video,
            Some("document") => MediaKind::Document,
            Some(other) => {
                return Err(DomainError::fields(vec![FieldError::new(
                    "media_type",
                    "must be image, video or document",
                )
                .with_value(other)]))
            }
            None if declared.starts_with("image/") => MediaKind::Image,
            None if declared.starts_with("video/") => MediaKind::Video,
            None if !declared.is_empty() => MediaKind::Document,
            None => {
                return Err(DomainError::field(
                    "media_type",
                    "is required when mime_type is not given",
                ))
            }
        };
        crate::fields::at_most("caption", &m.caption, crate::message_kinds::FIELD_MAX)?;
        crate::fields::at_most("file_name", &m.file_name, crate::message_kinds::FIELD_MAX)?;
        let source = one_source("data", "media_url", m.data.as_deref(), m.url.as_deref())?;
        let from_data = matches!(source, Source::Data(_));
        let live = self.channel_poster(at, &jid).await?;
        let fetched = self.fetch_media(kind, "data", "media_url", source).await?;
        let mut bytes = fetched
            .bytes
            .into_vec()
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let head = &bytes[..bytes.len().min(64)];
        let mime = inspect::sniff(head)
            .or(m.mime_type.clone().filter(|_| kind == MediaKind::Document))
            .or(fetched.declared_mime.clone())
            .or(m.mime_type.clone())
            .unwrap_or_else(|| "application/octet-stream".into());
        let field = if from_data { "data" } else { "media_url" };
        if !accepted(kind, &mime) {
            return Err(DomainError::field(
                field,
                format!("{mime} is not a supported {} format", kind.as_str()),
            ));
        }
        let mut out = wuts_device::media::OutgoingMedia {
            mime_type: mime,
            caption: m.caption.filter(|c| !c.is_empty()),
            file_name: m.file_name.clone(),
            ..Default::default()
        };
        match kind {
            MediaKind::Image => {
                let facts;
                (bytes, facts) = image_facts_of(bytes).await?;
                if let Some((w, h, t)) = facts {
                    (out.width, out.height, out.jpeg_thumbnail) = (Some(w), Some(h), Some(t));
                }
            }
            MediaKind::Video => out.seconds = inspect::mp4_seconds(&bytes),
            _ => {
                if out.file_name.is_none() {
                    out.file_name = Some("file".into());
                }
            }
        }
        let message_id = live
            .post_channel_media(&jid, kind, bytes, &out)
            .await
            .map_err(|e| match e {
                wuts_device::RuntimeError::Refused { text, .. } => {
                    DomainError::field("media_type", text)
                }
                other => other.into(),
            })?;
        Ok(ChannelPosted {
            message_id,
            sent_at: time::now_millis(),
            kind: kind.as_str(),
        })
    }
}
