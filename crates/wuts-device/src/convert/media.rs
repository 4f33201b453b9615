//! Media (image, video, audio and voice notes, documents, stickers): built from an upload by
//! `crate::media::media_message`, read by `crate::media::media_details` (the `media` fields of
//! the event and the reference kept to download it later).

use super::{Built, Kind};
use whatsapp_rust::waproto::whatsapp as wa;

pub use crate::media::{MediaKind, OutgoingMedia};

/// The message for uploaded media.
pub fn build(
    kind: MediaKind,
    upload: &whatsapp_rust::upload::UploadResponse,
    out: &OutgoingMedia,
) -> Built {
    Built(crate::media::media_message(kind, upload, out))
}

pub fn read(m: &wa::Message) -> Option<Kind> {
    let md = crate::media::media_details(m)?;
    let mut k = Kind::new(md.kind.as_str(), md.caption, serde_json::Value::Null);
    if let serde_json::Value::Object(f) = md.fields {
        k.fields = f;
    }
    Some(k)
}

/// An uploaded image as the image of a template header or a product card.
pub fn image_part(
    upload: &whatsapp_rust::upload::UploadResponse,
    out: &OutgoingMedia,
) -> super::business::ImagePart {
    let m = crate::media::media_message(MediaKind::Image, upload, out);
    super::business::ImagePart(Box::new(m.image_message.into_option().unwrap_or_default()))
}
