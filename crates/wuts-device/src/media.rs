//! Media messages: finding the media in a WhatsApp message (and its reference, kept so it can be
//! downloaded again), uploading outgoing media and building its message, downloading inbound
//! media.

use crate::live::LiveDevice;
use crate::RuntimeError;
use serde_json::{json, Value};
use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::download::{Downloadable, MediaType};
use whatsapp_rust::upload::{UploadOptions, UploadResponse};
use whatsapp_rust::waproto::whatsapp as wa;

/// The media kinds a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }

    fn media_type(self) -> MediaType {
        match self {
            Self::Image => MediaType::Image,
            Self::Video => MediaType::Video,
            Self::Audio => MediaType::Audio,
            Self::Document => MediaType::Document,
            Self::Sticker => MediaType::Sticker,
        }
    }
}

/// The message inside the wrappers a phone puts around media (view once, document with
/// caption, ephemeral).
fn unwrapped(m: &wa::Message) -> &wa::Message {
    let inner = m
        .view_once_message
        .as_option()
        .or(m.view_once_message_v2.as_option())
        .or(m.view_once_message_v2_extension.as_option())
        .or(m.document_with_caption_message.as_option())
        .or(m.ephemeral_message.as_option())
        .and_then(|f| f.message.as_option());
    match inner {
        Some(i) => unwrapped(i),
        None => m,
    }
}

/// The media of a message: its kind and the part that downloads.
pub fn media_of(m: &wa::Message) -> Option<(MediaKind, &dyn Downloadable)> {
    let m = unwrapped(m);
    if let Some(i) = m.image_message.as_option() {
        return Some((MediaKind::Image, i));
    }
    if let Some(v) = m.video_message.as_option() {
        return Some((MediaKind::Video, v));
    }
    if let Some(a) = m.audio_message.as_option() {
        return Some((MediaKind::Audio, a));
    }
    if let Some(d) = m.document_message.as_option() {
        return Some((MediaKind::Document, d));
    }
    if let Some(s) = m.sticker_message.as_option() {
        return Some((MediaKind::Sticker, s));
    }
    None
}

/// What the catalogue shows of a media message: its type name, caption and fields, plus the
/// stored reference (the media part alone, encoded) with its MIME type, file name and length.
pub struct MediaDetails {
    pub kind: MediaKind,
    pub caption: Option<String>,
    pub fields: Value,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
    pub file_length: Option<u64>,
    /// The media part alone.
    part: wa::Message,
}

impl MediaDetails {
    /// The reference to keep: the media part, encoded (only when it is kept).
    pub fn reference(&self) -> Vec<u8> {
        self.part.encode_to_vec()
    }
}

pub(crate) fn media_details(m: &wa::Message) -> Option<MediaDetails> {
    let m = unwrapped(m);
    let view_once = |v: Option<bool>| v.unwrap_or(false);
    let mut only = wa::Message::default();
    let (kind, caption, mime, file_name, len, fields) = if let Some(i) = m.image_message.as_option()
    {
        only.image_message = m.image_message.clone();
        (
            MediaKind::Image,
            i.caption.clone(),
            i.mimetype.clone(),
            None,
            i.file_length,
            json!({"width": i.width, "height": i.height, "view_once": view_once(i.view_once)}),
        )
    } else if let Some(v) = m.video_message.as_option() {
        only.video_message = m.video_message.clone();
        (
            MediaKind::Video,
            v.caption.clone(),
            v.mimetype.clone(),
            None,
            v.file_length,
            json!({"seconds": v.seconds, "gif_playback": v.gif_playback.unwrap_or(false),
                    "width": v.width, "height": v.height,
                    "has_thumbnail": v.jpeg_thumbnail.as_ref().is_some_and(|t| !t.is_empty()),
                    "view_once": view_once(v.view_once)}),
        )
    } else if let Some(a) = m.audio_message.as_option() {
        only.audio_message = m.audio_message.clone();
        (
            MediaKind::Audio,
            None,
            a.mimetype.clone(),
            None,
            a.file_length,
            json!({"seconds": a.seconds, "ptt": a.ptt.unwrap_or(false),
                    "has_waveform": a.waveform.as_ref().is_some_and(|w| !w.is_empty())}),
        )
    } else if let Some(d) = m.document_message.as_option() {
        only.document_message = m.document_message.clone();
        (
            MediaKind::Document,
            d.caption.clone(),
            d.mimetype.clone(),
            d.file_name.clone(),
            d.file_length,
            json!({"title": d.title, "page_count": d.page_count}),
        )
    } else if let Some(s) = m.sticker_message.as_option() {
        only.sticker_message = m.sticker_message.clone();
        (
            MediaKind::Sticker,
            None,
            s.mimetype.clone(),
            None,
            s.file_length,
            json!({"is_animated": s.is_animated.unwrap_or(false)}),
        )
    } else {
        return None;
    };
    let mut fields = fields;
    if let Some(f) = fields.as_object_mut() {
        f.insert("mime_type".into(), json!(mime));
        f.insert("file_length".into(), json!(len));
        f.insert("file_name".into(), json!(file_name));
        f.insert("caption".into(), json!(caption));
        f.insert("has_media".into(), json!(true));
    }
    Some(MediaDetails {
        kind,
        caption,
        fields: json!({ "media": fields }),
        mime_type: mime,
        file_name,
        file_length: len,
        part: only,
    })
}

/// An outgoing media message's content, before upload.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMedia {
    pub mime_type: String,
    pub caption: Option<String>,
    pub file_name: Option<String>,
    pub seconds: Option<u32>,
    pub ptt: bool,
    pub view_once: bool,
    pub animated: bool,
    /// Videos: a GIF-like clip (looped, no sound).
    pub gif_playback: bool,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub waveform: Option<Vec<u8>>,
    pub jpeg_thumbnail: Option<Vec<u8>>,
    pub mentions: Vec<String>,
}

/// What an upload answered, as a media message refers to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Uploaded {
    pub url: String,
    pub direct_path: String,
    pub media_key: [u8; 32],
    pub file_enc_sha256: [u8; 32],
    pub file_sha256: [u8; 32],
    pub file_length: u64,
    pub media_key_timestamp: i64,
    pub streaming_sidecar: Option<Vec<u8>>,
}

impl From<&UploadResponse> for Uploaded {
    fn from(u: &UploadResponse) -> Self {
        Uploaded {
            url: u.url.clone(),
            direct_path: u.direct_path.clone(),
            media_key: u.media_key,
            file_enc_sha256: u.file_enc_sha256,
            file_sha256: u.file_sha256,
            file_length: u.file_length,
            media_key_timestamp: u.media_key_timestamp,
            streaming_sidecar: u.streaming_sidecar.clone(),
        }
    }
}

/// A media part of `$ty` carrying the upload's reference (URL, path, key, hashes, length), the
/// MIME type and mentions, plus the kind's own fields.
macro_rules! uploaded_part {
    ($ty:ident, $up:expr, $o:expr, $context:expr, { $($field:ident: $value:expr),* $(,)? }) => {
        $ty {
            url: Some($up.url.clone()),
            direct_path: Some($up.direct_path.clone()),
            media_key: Some($up.media_key.to_vec()),
            file_enc_sha256: Some($up.file_enc_sha256.to_vec()),
            file_sha256: Some($up.file_sha256.to_vec()),
            file_length: Some($up.file_length),
            media_key_timestamp: Some($up.media_key_timestamp),
            mimetype: Some($o.mime_type.clone()),
            context_info: $context,
            $($field: $value,)*
            ..Default::default()
        }
        .into()
    };
}

/// The message for uploaded media.
pub(crate) fn media_message(kind: MediaKind, up: &Uploaded, o: &OutgoingMedia) -> wa::Message {
    use wa::message::{AudioMessage, DocumentMessage, ImageMessage, StickerMessage, VideoMessage};
    let context: whatsapp_rust::buffa::MessageField<wa::ContextInfo> = (!o.mentions.is_empty())
        .then(|| wa::ContextInfo {
            mentioned_jid: o.mentions.clone(),
            ..Default::default()
        })
        .into();
    let view_once = o.view_once.then_some(true);
    let mut m = wa::Message::default();
    match kind {
        MediaKind::Image => {
            m.image_message = uploaded_part!(ImageMessage, up, o, context, {
                caption: o.caption.clone(),
                width: o.width,
                height: o.height,
                jpeg_thumbnail: o.jpeg_thumbnail.clone(),
                view_once: view_once,
            })
        }
        MediaKind::Video => {
            m.video_message = uploaded_part!(VideoMessage, up, o, context, {
                caption: o.caption.clone(),
                seconds: o.seconds,
                width: o.width,
                height: o.height,
                jpeg_thumbnail: o.jpeg_thumbnail.clone(),
                streaming_sidecar: up.streaming_sidecar.clone(),
                gif_playback: o.gif_playback.then_some(true),
                view_once: view_once,
            })
        }
        MediaKind::Audio => {
            m.audio_message = uploaded_part!(AudioMessage, up, o, context, {
                seconds: o.seconds,
                ptt: Some(o.ptt),
                waveform: o.waveform.clone(),
                streaming_sidecar: up.streaming_sidecar.clone(),
                view_once: view_once,
            })
        }
        MediaKind::Document => {
            m.document_message = uploaded_part!(DocumentMessage, up, o, context, {
                caption: o.caption.clone(),
                title: o.file_name.clone(),
                file_name: o.file_name.clone(),
                jpeg_thumbnail: o.jpeg_thumbnail.clone(),
            })
        }
        MediaKind::Sticker => {
            m.sticker_message = uploaded_part!(StickerMessage, up, o, context, {
                width: o.width,
                height: o.height,
                is_animated: Some(o.animated),
            })
        }
    }
    m
}

impl LiveDevice {
    /// Encrypts and uploads media to WhatsApp's media servers.
    pub async fn upload_media(
        &self,
        data: Vec<u8>,
        kind: MediaKind,
    ) -> Result<UploadResponse, RuntimeError> {
        self.client
            .upload(data, kind.media_type(), UploadOptions::new())
            .await
            .map_err(|e| RuntimeError::WhatsApp(format!("media upload failed: {e}")))
    }

    /// Encrypts a file into a temporary one and streams that to WhatsApp: memory stays flat
    /// whatever the file's size.
    pub async fn upload_media_file(
        &self,
        path: std::path::PathBuf,
        kind: MediaKind,
    ) -> Result<UploadResponse, RuntimeError> {
        let media_type = kind.media_type();
        let fail = |e: String| RuntimeError::WhatsApp(format!("media upload failed: {e}"));
        let (encrypted, info) = tokio::task::spawn_blocking(move || {
            let input = std::io::BufReader::new(std::fs::File::open(&path)?);
            let out = tempfile::NamedTempFile::new()?;
            let info = {
                let mut writer = std::io::BufWriter::new(out.as_file());
                let info = whatsapp_rust::wacore::upload::encrypt_media_streaming(
                    input,
                    &mut writer,
                    media_type,
                )
                .map_err(std::io::Error::other)?;
                std::io::Write::flush(&mut writer)?;
                info
            };
            Ok::<_, std::io::Error>((out, info))
        })
        .await
        .map_err(|e| fail(e.to_string()))?
        .map_err(|e| fail(e.to_string()))?;
        let len = encrypted
            .as_file()
            .metadata()
            .map_err(|e| fail(e.to_string()))?
            .len();
        let source = FileSource {
            path: encrypted.path().to_path_buf(),
            len,
        };
        let result = self
            .client
            .upload_stream(source, info, media_type)
            .await
            .map_err(|e| fail(e.to_string()));
        drop(encrypted);
        result
    }

    /// Downloads the media of a stored reference; when WhatsApp's copy is gone (expired), asks
    /// the sender's phone to upload it again and downloads that. Answers the bytes and, when
    /// the media was uploaded again, the new reference to keep.
    pub async fn download_media_or_reupload(
        &self,
        reference: &[u8],
        message_id: &str,
        chat: &whatsapp_rust::Jid,
        from_me: bool,
        participant: Option<&whatsapp_rust::Jid>,
    ) -> Result<(Vec<u8>, Option<Vec<u8>>), RuntimeError> {
        let first = match self.download_media(reference).await {
            Ok(bytes) => return Ok((bytes, None)),
            Err(e) => e,
        };
        let mut message = wa::Message::decode_from_slice(reference)
            .map_err(|e| RuntimeError::WhatsApp(format!("bad media reference: {e}")))?;
        let Some(media_key) =
            media_of(&message).and_then(|(_, part)| part.media_key().map(<[u8]>::to_vec))
        else {
            return Err(first);
        };
        let request = whatsapp_rust::MediaReuploadRequest {
            msg_id: message_id,
            chat_jid: chat,
            media_key: &media_key,
            is_from_me: from_me,
            participant,
        };
        let result = self
            .client
            .media_reupload()
            .request(&request)
            .await
            .map_err(|e| {
                RuntimeError::WhatsApp(format!("{first}; re-upload request failed: {e}"))
            })?;
        let whatsapp_rust::MediaRetryResult::Success { direct_path } = result else {
            return Err(RuntimeError::WhatsApp(format!(
                "{first}; the sender could not upload the media again ({result:?})"
            )));
        };
        set_direct_path(&mut message, &direct_path);
        let reference = message.encode_to_vec();
        let bytes = self.download_media(&reference).await?;
        Ok((bytes, Some(reference)))
    }

    /// Downloads and decrypts the media of a stored reference (see [`media_details`]).
    pub async fn download_media(&self, reference: &[u8]) -> Result<Vec<u8>, RuntimeError> {
        let message = wa::Message::decode_from_slice(reference)
            .map_err(|e| RuntimeError::WhatsApp(format!("bad media reference: {e}")))?;
        let (_, part) = media_of(&message)
            .ok_or_else(|| RuntimeError::WhatsApp("the message holds no media".into()))?;
        self.client
            .download(part)
            .await
            .map_err(|e| RuntimeError::WhatsApp(format!("media download failed: {e}")))
    }
}

/// An encrypted file to upload, read from any offset (a resumed upload).
struct FileSource {
    path: std::path::PathBuf,
    len: u64,
}

impl whatsapp_rust::wacore::upload::UploadSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn reader_from(&self, offset: u64) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        use std::io::Seek as _;
        let mut f = std::fs::File::open(&self.path)?;
        f.seek(std::io::SeekFrom::Start(offset))?;
        Ok(Box::new(std::io::BufReader::new(f)))
    }
}

/// Points a media message at a new direct path (after a re-upload).
fn set_direct_path(m: &mut wa::Message, path: &str) {
    let p = Some(path.to_string());
    if let Some(i) = m.image_message.as_option_mut() {
        i.direct_path = p;
    } else if let Some(v) = m.video_message.as_option_mut() {
        v.direct_path = p;
    } else if let Some(a) = m.audio_message.as_option_mut() {
        a.direct_path = p;
    } else if let Some(d) = m.document_message.as_option_mut() {
        d.direct_path = p;
    } else if let Some(s) = m.sticker_message.as_option_mut() {
        s.direct_path = p;
    }
}

/// The text of a text message, or the caption of a media one.
pub(crate) fn text_or_caption(m: &wa::Message) -> Option<String> {
    if let Some(t) = &m.conversation {
        return Some(t.clone());
    }
    if let Some(t) = m.extended_text_message.as_option() {
        return t.text.clone();
    }
    media_details(m).and_then(|d| d.caption)
}

/// Drops the encryption fields of a media message (channel media is not encrypted).
pub(crate) fn strip_encryption(m: &mut wa::Message) {
    if let Some(i) = m.image_message.as_option_mut() {
        (i.media_key, i.file_enc_sha256, i.media_key_timestamp) = (None, None, None);
    }
    if let Some(v) = m.video_message.as_option_mut() {
        (v.media_key, v.file_enc_sha256, v.media_key_timestamp) = (None, None, None);
    }
    if let Some(d) = m.document_message.as_option_mut() {
        (d.media_key, d.file_enc_sha256, d.media_key_timestamp) = (None, None, None);
    }
}
