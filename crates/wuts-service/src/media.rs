//! Media messages: sending images, videos, audio, documents and stickers from base64 or a URL,
//! and downloading the media of a message again.

use crate::devices::Target;
use crate::media_inspect as inspect;
use crate::media_source::{self, Fetched, Limits, MediaBytes};
use crate::message_kinds::{SentKind, FIELD_MAX};
use crate::messages::recipient;
use crate::Services;
use wuts_core::error::DomainResult;
use wuts_core::{time, DomainError, Principal};
pub use wuts_device::media::MediaKind;
use wuts_device::media::OutgoingMedia;

/// Stickers WhatsApp accepts: WebP, at most 500 KB.
pub const STICKER_MAX: u64 = 500 * 1024;

/// The largest file of each kind.
pub fn max_bytes_of(kind: MediaKind) -> u64 {
    const MB: u64 = 1024 * 1024;
    match kind {
        MediaKind::Image | MediaKind::Audio => 16 * MB,
        MediaKind::Video => 64 * MB,
        MediaKind::Document => 100 * MB,
        MediaKind::Sticker => STICKER_MAX,
    }
}

/// A media send as the API received it.
#[derive(Debug, Clone, Default)]
pub struct MediaRequest {
    /// Base64 or a data URI.
    pub data: Option<String>,
    pub url: Option<String>,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub seconds: Option<u32>,
    pub ptt: bool,
    pub view_once: bool,
    /// Stickers: flagged by the caller; detected when absent.
    pub animated: Option<bool>,
    /// A JPEG thumbnail, base64.
    pub thumbnail: Option<String>,
    pub mentions: Vec<String>,
    /// Seconds to wait before sending.
    pub delay: Option<f64>,
    /// Videos: convert to H.264/AAC MP4 even when it is one already (`convertToMP4`).
    pub convert_mp4: bool,
    /// Videos: a JPEG frame as the thumbnail when none is given (`generateThumbnail`).
    pub generate_thumbnail: bool,
    /// Videos: a GIF-like clip (no sound, looped; `gifPlayback`).
    pub gif_playback: bool,
}

/// What a media send answered: sent, or accepted as a background job (202).
pub enum MediaSend {
    Sent(SentMedia),
    Processing(crate::jobs::AcceptedJob),
}

/// What a media send answers beyond the common fields.
pub struct SentMedia {
    pub sent: SentKind,
    pub size_bytes: u64,
    pub mime_type: String,
    pub download_ms: i64,
    pub upload_ms: i64,
    pub seconds: Option<u32>,
    pub file_name: Option<String>,
    pub animated: bool,
    pub waveform: bool,
    pub has_thumbnail: bool,
    pub view_once: bool,
    pub ptt: bool,
}

/// Media fetched and checked (type, limits, fields), not uploaded yet.
pub(crate) struct CheckedMedia {
    pub device: wuts_core::Device,
    pub kind: MediaKind,
    pub fetched: Fetched,
    /// The first bytes (for sniffing and MP4 facts).
    pub head: Vec<u8>,
    pub mime: String,
    /// The field the media came in (`audio` or `audio_url`, ...).
    pub source_field: String,
    pub out: OutgoingMedia,
    /// Stickers: the caller's flag.
    pub animated: Option<bool>,
}

/// Media uploaded through a device, its message built and not sent yet.
pub(crate) struct PreparedMedia {
    pub device: wuts_core::Device,
    pub live: std::sync::Arc<wuts_device::LiveDevice>,
    pub message: wuts_device::convert::Built,
    pub out: OutgoingMedia,
    pub mime: String,
    pub size_bytes: u64,
    pub download_ms: i64,
    pub upload_ms: i64,
}

/// Downloaded media of a message.
pub struct MediaFile {
    pub bytes: bytes::Bytes,
    pub mime_type: String,
    pub file_name: Option<String>,
}

/// MIME types a conversion takes in: any audio (and WebM/Matroska, whose audio is used) for
/// audio, any video and GIF for video.
pub(crate) fn convertible(kind: MediaKind, mime: &str) -> bool {
    let m = mime.split(';').next().unwrap_or("").trim();
    match kind {
        MediaKind::Audio => {
            m.starts_with("audio/") || matches!(m, "video/webm" | "video/x-matroska" | "video/mp4")
        }
        MediaKind::Video => m.starts_with("video/") || m == "image/gif",
        _ => false,
    }
}

/// MIME types each kind takes (documents take any).
pub(crate) fn accepted(kind: MediaKind, mime: &str) -> bool {
    let m = mime.split(';').next().unwrap_or("").trim();
    match kind {
        MediaKind::Image => matches!(m, "image/jpeg" | "image/png" | "image/webp"),
        MediaKind::Video => matches!(m, "video/mp4" | "video/3gpp" | "video/quicktime"),
        MediaKind::Audio => matches!(
            m,
            "audio/ogg"
                | "audio/opus"
                | "audio/mpeg"
                | "audio/mp4"
                | "audio/aac"
                | "audio/amr"
                | "audio/x-m4a"
                | "audio/m4a"
        ),
        MediaKind::Sticker => m == "image/webp",
        MediaKind::Document => !m.is_empty(),
    }
}

/// Media in memory larger than this is uploaded from a temporary file.
const SPILL_OVER: usize = 4 * 1024 * 1024;

/// Writes media to a temporary file (freeing the memory).
async fn spill(bytes: Vec<u8>) -> DomainResult<tempfile::NamedTempFile> {
    tokio::task::spawn_blocking(move || {
        let mut f = tempfile::NamedTempFile::new()?;
        std::io::Write::write_all(&mut f, &bytes)?;
        drop(bytes);
        Ok::<_, std::io::Error>(f)
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
    .map_err(|e| DomainError::Internal(format!("temporary file: {e}")))
}

/// Where media comes from: base64 (or a data URI), or a URL.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    Data(&'a str),
    Url(&'a str),
}

/// Exactly one of the base64 field `field` and the URL field `url_field`, non-empty.
pub(crate) fn one_source<'a>(
    field: &str,
    url_field: &str,
    data: Option<&'a str>,
    url: Option<&'a str>,
) -> DomainResult<Source<'a>> {
    let given = |v: Option<&'a str>| v.map(str::trim).filter(|s| !s.is_empty());
    match (given(data), given(url)) {
        (Some(d), None) => Ok(Source::Data(d)),
        (None, Some(u)) => Ok(Source::Url(u)),
        _ => Err(DomainError::field(
            field,
            format!("exactly one of {field} and {url_field} is required"),
        )),
    }
}

/// An image's size and thumbnail, worked out off the runtime; the bytes come back. An image
/// the decoder chokes on (even by panicking) just has no facts.
pub(crate) async fn image_facts_of(
    bytes: Vec<u8>,
) -> DomainResult<(Vec<u8>, Option<(u32, u32, Vec<u8>)>)> {
    tokio::task::spawn_blocking(move || {
        let facts = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            inspect::image_facts(&bytes)
        }))
        .ok()
        .flatten();
        (bytes, facts)
    })
    .await
    .map_err(|e| DomainError::Internal(format!("image inspection: {e}")))
}

impl Services {
    /// Fetches media of `kind` from its source within the kind's limits (`field` names the
    /// base64 field; URL errors name `{field}_url`).
    pub(crate) async fn fetch_media(
        &self,
        kind: MediaKind,
        field: &str,
        url_field: &str,
        source: Source<'_>,
    ) -> DomainResult<Fetched> {
        let max_bytes = max_bytes_of(kind);
        match source {
            Source::Data(d) => media_source::from_base64(field, d, max_bytes),
            Source::Url(u) => {
                // Videos and documents get twice the download time (WUTS: 30 s, 60 s for video).
                let timeout = match kind {
                    MediaKind::Video | MediaKind::Document => {
                        self.config.media_download_timeout * 2
                    }
                    _ => self.config.media_download_timeout,
                };
                let limits = Limits {
                    max_bytes,
                    timeout,
                    allow_private: self.config.media_allow_private_urls,
                };
                media_source::from_url(&self.media_http, url_field, u, limits).await
            }
        }
    }

    /// Sends a media message of `kind`; `field` is the name of the base64 field (`image`, …).
    /// Audio and video that need converting (or are larger than the async threshold) are
    /// accepted as a job and answered at once.
    pub async fn send_media(
        &self,
        at: &Target,
        recipient_field: &str,
        to: &str,
        kind: MediaKind,
        r: MediaRequest,
    ) -> DomainResult<MediaSend> {
        let started = time::now_millis();
        let field = kind.as_str();
        let to = recipient(recipient_field, to)?;
        let delay = crate::messages::seconds("delay", r.delay)?;
        let (view_once, ptt) = (r.view_once, r.ptt);
        let may_convert = matches!(kind, MediaKind::Audio | MediaKind::Video);
        let options = crate::jobs::JobOptions::of(&r, delay);
        let checked = self
            .check_media(at, kind, (field, &format!("{field}_url")), r, may_convert)
            .await?;
        if let Some(work) = crate::jobs::plan(&checked, &options, self.config.media_async_bytes)? {
            return self
                .accept_job(at, checked, work, options, &to)
                .await
                .map(MediaSend::Processing);
        }
        let p = self.upload_checked(checked).await?;
        let out = p.out;
        let mime = p.mime;
        let size_bytes = p.size_bytes;
        let (device, live, message) = (p.device, p.live, p.message);
        crate::messages::pause(delay).await;
        let delivered = self
            .deliver_media(
                &device, &live, &to, field, message, &out, &mime, size_bytes, None,
            )
            .await?;
        Ok(MediaSend::Sent(SentMedia {
            sent: SentKind {
                device,
                message_id: delivered.message_id,
                chat_jid: to,
                sent_at: delivered.sent_at,
                processing_ms: delivered.sent_at - started,
            },
            size_bytes,
            mime_type: mime,
            download_ms: p.download_ms,
            upload_ms: p.upload_ms,
            seconds: out.seconds,
            file_name: out.file_name,
            animated: out.animated,
            waveform: out.waveform.is_some(),
            has_thumbnail: out.jpeg_thumbnail.is_some(),
            view_once,
            ptt,
        }))
    }

    /// Sends built media and keeps its reference (to download it again), for a send through
    /// the API and for a job alike.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn deliver_media(
        &self,
        device: &wuts_core::Device,
        live: &std::sync::Arc<wuts_device::LiveDevice>,
        to: &str,
        field: &str,
        message: wuts_device::convert::Built,
        out: &OutgoingMedia,
        mime: &str,
        size_bytes: u64,
        job_id: Option<String>,
    ) -> DomainResult<crate::messages::Delivered> {
        let reference = message.media().map(|d| d.reference());
        let delivered = self
            .deliver_as(
                device,
                live,
                crate::messages::Outgoing {
                    to: to.to_string(),
                    message,
                    kind: field.into(),
                    content: out.caption.clone(),
                },
                job_id,
            )
            .await?;
        if let Some(reference) = reference {
            self.store
                .insert_media(&wuts_store::media::MediaRow {
                    device_id: device.id.clone(),
                    message_id: delivered.message_id.clone(),
                    media_type: field.to_string(),
                    mime_type: Some(mime.to_string()),
                    file_name: out.file_name.clone(),
                    file_length: i64::try_from(size_bytes).ok(),
                    reference,
                })
                .await?;
        }
        Ok(delivered)
    }

    /// Checks a media request of `kind` (`field` names its base64 field), fetches the media,
    /// reads its facts (type, dimensions, thumbnail, duration) and uploads it through the
    /// device: the message to send, not sent yet.
    pub(crate) async fn prepare_media(
        &self,
        at: &Target,
        kind: MediaKind,
        fields: (&str, &str),
        r: MediaRequest,
    ) -> DomainResult<PreparedMedia> {
        let checked = self.check_media(at, kind, fields, r, false).await?;
        self.upload_checked(checked).await
    }

    /// Checks a media request and fetches the media within the kind's limits; its type must be
    /// one WhatsApp plays, or (with `may_convert`) one a conversion takes in.
    pub(crate) async fn check_media(
        &self,
        at: &Target,
        kind: MediaKind,
        (field, url_field): (&str, &str),
        mut r: MediaRequest,
        may_convert: bool,
    ) -> DomainResult<CheckedMedia> {
        // The base64 text is dropped once decoded (it can be tens of megabytes).
        let data_owned = r.data.take();
        let source = one_source(field, url_field, data_owned.as_deref(), r.url.as_deref())?;
        crate::fields::at_most("caption", &r.caption, FIELD_MAX)?;
        let mentions = crate::messages::mentions("mentions", &r.mentions)?;
        crate::fields::at_most("file_name", &r.file_name, FIELD_MAX)?;
        if kind == MediaKind::Document && matches!(source, Source::Url(_)) && r.file_name.is_none()
        {
            return Err(DomainError::field(
                "file_name",
                "is required when document_url is used",
            ));
        }
        let thumbnail = match r.thumbnail.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => Some(
                media_source::from_base64("thumbnail", t, 256 * 1024)?
                    .bytes
                    .into_vec()
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            ),
            None => None,
        };
        let device = self.device(at).await?;
        let fetched = self.fetch_media(kind, field, url_field, source).await?;
        let from_data = matches!(source, Source::Data(_));
        drop(data_owned);
        let head = fetched
            .bytes
            .head()
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        // The content decides; a declared type is used when the content says nothing.
        let mime = inspect::sniff(&head)
            .or(r.mime_type.clone().filter(|_| kind == MediaKind::Document))
            .or(fetched.declared_mime.clone())
            .or(r.mime_type.clone())
            .unwrap_or_else(|| "application/octet-stream".into());
        let source_field = if from_data { field } else { url_field };
        let takes = accepted(kind, &mime) || (may_convert && convertible(kind, &mime));
        if !takes {
            return Err(DomainError::field(
                source_field,
                format!("{mime} is not a supported {field} format"),
            ));
        }
        let out = OutgoingMedia {
            mime_type: mime.clone(),
            caption: r.caption.clone().filter(|c| !c.is_empty()),
            file_name: r.file_name.clone(),
            seconds: r.seconds,
            ptt: r.ptt,
            view_once: r.view_once,
            gif_playback: r.gif_playback,
            jpeg_thumbnail: thumbnail,
            mentions,
            ..Default::default()
        };
        Ok(CheckedMedia {
            device,
            kind,
            fetched,
            head,
            mime,
            source_field: source_field.to_string(),
            out,
            animated: r.animated,
        })
    }

    /// Reads checked media's facts (dimensions, thumbnail, duration, waveform) and uploads it
    /// through its device: the message to send, not sent yet.
    pub(crate) async fn upload_checked(&self, c: CheckedMedia) -> DomainResult<PreparedMedia> {
        let CheckedMedia {
            device,
            kind,
            fetched,
            head,
            mime,
            mut out,
            animated,
            ..
        } = c;
        let ptt = out.ptt;
        let size_bytes = fetched.bytes.len();
        let live = self.connected_device(&device).await?;
        let upload_started = time::now_millis();
        let uploaded = match fetched.bytes {
            MediaBytes::Memory(mut bytes) => {
                match kind {
                    MediaKind::Image | MediaKind::Sticker => {
                        let facts;
                        (bytes, facts) = image_facts_of(bytes).await?;
                        if let Some((w, h, t)) = facts {
                            out.width = Some(w);
                            out.height = Some(h);
                            if kind == MediaKind::Image && out.jpeg_thumbnail.is_none() {
                                out.jpeg_thumbnail = Some(t);
                            }
                        }
                        if kind == MediaKind::Sticker {
                            out.animated =
                                animated.unwrap_or_else(|| inspect::webp_animated(&bytes));
                        }
                    }
                    MediaKind::Audio if inspect::is_opus(&mime) => {
                        if let Some((secs, wave)) = inspect::opus_facts(&bytes) {
                            out.seconds = out.seconds.or(Some(secs));
                            if ptt {
                                out.waveform = Some(wave);
                            }
                        }
                        if ptt && self.transcoder.available() {
                            // The waveform of the decoded audio, when FFmpeg is here.
                            if let Ok(wave) = self.decoded_waveform(&bytes).await {
                                out.waveform = Some(wave);
                            }
                        }
                    }
                    MediaKind::Video => {
                        out.seconds = out.seconds.or(inspect::mp4_seconds(&bytes));
                        if self.transcoder.available() {
                            let dir = self.transcoder.scratch()?;
                            let path = dir.path().join("video");
                            if tokio::fs::write(&path, &bytes).await.is_ok() {
                                self.video_facts(&path, &mut out).await;
                            }
                        }
                    }
                    _ => {}
                }
                if bytes.len() > SPILL_OVER
                    && !matches!(kind, MediaKind::Image | MediaKind::Sticker)
                {
                    // Large: from a temporary file, streamed (no second copy as ciphertext).
                    let file = spill(bytes).await?;
                    let result = live
                        .upload_media_file(file.path().to_path_buf(), kind)
                        .await;
                    drop(file);
                    result
                } else {
                    live.upload_media(bytes, kind).await
                }
            }
            MediaBytes::File(file, _) => {
                if kind == MediaKind::Video {
                    out.seconds = out.seconds.or(inspect::mp4_seconds(&head));
                    if self.transcoder.available() {
                        self.video_facts(file.path(), &mut out).await;
                    }
                }
                let path = file.path().to_path_buf();
                let result = live.upload_media_file(path, kind).await;
                drop(file);
                result
            }
        }
        .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        let upload_ms = time::now_millis() - upload_started;
        let message = wuts_device::convert::media::build(kind, &uploaded, &out);
        Ok(PreparedMedia {
            device,
            live,
            message,
            out,
            mime,
            size_bytes,
            download_ms: fetched.download_ms,
            upload_ms,
        })
    }

    /// A video's dimensions (and duration, unless the caller gave it) as FFmpeg reads them;
    /// nothing when it cannot.
    pub(crate) async fn video_facts(&self, path: &std::path::Path, out: &mut OutgoingMedia) {
        if let Ok(p) = self.transcoder.probe("video", path).await {
            out.width = out.width.or(p.width);
            out.height = out.height.or(p.height);
            if out.seconds.is_none() {
                out.seconds = p.seconds.map(|s| s.round().max(1.0) as u32);
            }
        }
    }

    /// The waveform of an Ogg Opus voice note from its decoded audio.
    async fn decoded_waveform(&self, bytes: &[u8]) -> DomainResult<Vec<u8>> {
        let dir = self.transcoder.scratch()?;
        let input = dir.path().join("voice.ogg");
        tokio::fs::write(&input, bytes)
            .await
            .map_err(|e| DomainError::Internal(format!("conversion file: {e}")))?;
        let _slot = self.transcoder.slot().await;
        let (_, wave) = self.transcoder.waveform(&input, dir.path()).await?;
        Ok(wave)
    }

    /// An image given as base64 or URL (`field` and `{field}_url` in errors), uploaded through
    /// the device: the image part of a template header or a product card.
    pub(crate) async fn image_part(
        &self,
        device: &wuts_core::Device,
        field: &str,
        data: Option<&str>,
        url: Option<&str>,
    ) -> DomainResult<wuts_device::convert::business::ImagePart> {
        let url_field = format!("{field}_url");
        let source = one_source(field, &url_field, data, url)?;
        let fetched = self
            .fetch_media(MediaKind::Image, field, &url_field, source)
            .await?;
        let bytes = fetched
            .bytes
            .into_vec()
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let mime = inspect::sniff(&bytes).unwrap_or_default();
        if !accepted(MediaKind::Image, &mime) {
            return Err(DomainError::field(
                field,
                "must be a JPEG, PNG or WebP image",
            ));
        }
        let live = self.connected_device(device).await?;
        let (bytes, facts) = image_facts_of(bytes).await?;
        let mut out = OutgoingMedia {
            mime_type: mime,
            ..Default::default()
        };
        if let Some((w, h, t)) = facts {
            out.width = Some(w);
            out.height = Some(h);
            out.jpeg_thumbnail = Some(t);
        }
        let uploaded = live
            .upload_media(bytes, MediaKind::Image)
            .await
            .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        Ok(wuts_device::convert::media::image_part(&uploaded, &out))
    }

    /// The media of message `message_id`, received or sent by any device of the caller's tenant
    /// the caller may use, downloaded from WhatsApp and decrypted.
    pub async fn message_media(
        &self,
        caller: &Principal,
        message_id: &str,
    ) -> DomainResult<MediaFile> {
        let rows = self
            .store
            .media_in_tenant(&caller.tenant_id, message_id)
            .await?;
        // The copy on a device the caller may use (a user sees their own devices only).
        let mut refused = None;
        let mut found = None;
        for row in rows {
            let at = Target::new(caller.clone(), Some(row.device_id.clone()));
            match self.device(&at).await {
                Ok(device) => {
                    found = Some((row, device));
                    break;
                }
                Err(e) => refused = refused.or(Some(e)),
            }
        }
        let (row, device) = match (found, refused) {
            (Some(f), _) => f,
            (None, Some(e)) => return Err(e),
            (None, None) => {
                return Err(DomainError::NotFound(
                    "no media message with this id".into(),
                ))
            }
        };
        let mime_type = row
            .mime_type
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into());
        // Recently downloaded media is served from memory (even while the device is offline).
        let key = (device.id.clone(), message_id.to_string());
        if let Some(bytes) = self.media_cache.get(&key) {
            return Ok(MediaFile {
                bytes,
                mime_type,
                file_name: row.file_name,
            });
        }
        let live = self.connected_device(&device).await?;
        // What the re-upload request needs: the chat, who sent it, and (in groups) the sender.
        let msg = self.store.message(&device.id, message_id).await?;
        let parse = |s: &str| s.parse::<wuts_device::Jid>().ok();
        let chat = msg.as_ref().and_then(|m| parse(&m.chat_jid));
        let (bytes, renewed) = match (&msg, chat) {
            (Some(m), Some(chat)) => {
                let participant = m
                    .is_group
                    .then(|| m.sender_jid.as_deref().and_then(parse))
                    .flatten();
                live.download_media_or_reupload(
                    &row.reference,
                    message_id,
                    &chat,
                    m.from_me,
                    participant.as_ref(),
                )
                .await
            }
            _ => live.download_media(&row.reference).await.map(|b| (b, None)),
        }
        .map_err(|e| DomainError::Unavailable(e.to_string()))?;
        if let Some(reference) = renewed {
            self.store
                .set_media_reference(&device.id, message_id, &reference)
                .await?;
        }
        let bytes = bytes::Bytes::from(bytes);
        self.media_cache.insert(key, bytes.clone());
        Ok(MediaFile {
            bytes,
            mime_type,
            file_name: row.file_name,
        })
    }
}
