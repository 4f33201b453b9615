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
    Built(crate::media::media_message(kind, &upload.into(), out))
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
    let m = crate::media::media_message(MediaKind::Image, &upload.into(), out);
    super::business::ImagePart(Box::new(m.image_message.into_option().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn built(kind: MediaKind, out: &OutgoingMedia) -> Built {
        Built(crate::media::media_message(kind, &upload(), out))
    }

    fn upload() -> crate::media::Uploaded {
        crate::media::Uploaded {
            url: "https://mmg.example/m/1".into(),
            direct_path: "/m/1".into(),
            media_key: [1; 32],
            file_enc_sha256: [2; 32],
            file_sha256: [3; 32],
            file_length: 1234,
            media_key_timestamp: 1_767_323_045,
            streaming_sidecar: None,
        }
    }

    #[test]
    fn round_trip() {
        let image = built(
            MediaKind::Image,
            &OutgoingMedia {
                mime_type: "image/png".into(),
                caption: Some("look".into()),
                width: Some(64),
                height: Some(32),
                ..Default::default()
            },
        );
        let k = image.read();
        assert_eq!(k.message_type, "image");
        assert_eq!(k.content.as_deref(), Some("look"));
        assert_eq!(k.fields["media"]["mime_type"], json!("image/png"));
        assert_eq!(k.fields["media"]["width"], json!(64));
        assert_eq!(k.fields["media"]["file_length"], json!(1234));
        assert!(image.media().is_some());
        let voice = built(
            MediaKind::Audio,
            &OutgoingMedia {
                mime_type: "audio/ogg; codecs=opus".into(),
                ptt: true,
                seconds: Some(7),
                ..Default::default()
            },
        )
        .read();
        assert_eq!(voice.fields["media"]["ptt"], json!(true));
        assert_eq!(voice.fields["media"]["seconds"], json!(7));
        let doc = built(
            MediaKind::Document,
            &OutgoingMedia {
                mime_type: "application/pdf".into(),
                file_name: Some("report.pdf".into()),
                ..Default::default()
            },
        )
        .read();
        assert_eq!(doc.message_type, "document");
        assert_eq!(doc.fields["media"]["file_name"], json!("report.pdf"));
    }
}
