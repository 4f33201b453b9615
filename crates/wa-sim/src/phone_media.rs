//! Media the phones send, and their answer when a receiver asks for expired media again: the
//! receiver sends `<receipt type="server-error">` (encrypted with a key from the media key), the
//! sending phone uploads the file again and the receiver gets a `mediaretry` notification with
//! the new direct path, encrypted the same way.

use crate::proto::{attr, now_secs};
use crate::state::Sim;
use axum::body::Bytes;
use buffa::Message as _;
use std::sync::Arc;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;
use waproto::whatsapp as wa;

/// What a phone keeps of media it sent: enough to upload it again.
#[derive(Clone)]
pub struct PhoneMedia {
    pub media_key: [u8; 32],
    pub encrypted: Bytes,
    pub mms_type: String,
    pub direct_path: String,
}

/// The phone of `from` sends an image to `to`; answers the message id and the direct path.
pub async fn send_image(
    sim: &Arc<Sim>,
    from: &str,
    to: &str,
    image: &[u8],
    mime: &str,
    caption: Option<String>,
) -> anyhow::Result<(String, String)> {
    let enc = wacore::upload::encrypt_media(image, wacore::download::MediaType::Image)?;
    let encrypted = Bytes::from(enc.data_to_upload);
    let direct_path = crate::media::store(sim, "image", encrypted.clone());
    let host = sim.http_host.get().cloned().unwrap_or_default();
    let message = wa::Message {
        image_message: wa::message::ImageMessage {
            url: Some(format!("https://{host}{direct_path}")),
            direct_path: Some(direct_path.clone()),
            media_key: Some(enc.media_key.to_vec()),
            file_enc_sha256: Some(enc.file_enc_sha256.to_vec()),
            file_sha256: Some(enc.file_sha256.to_vec()),
            file_length: Some(image.len() as u64),
            mimetype: Some(mime.to_string()),
            caption: caption.clone(),
            media_key_timestamp: Some(now_secs() as i64),
            ..Default::default()
        }
        .into(),
        ..Default::default()
    };
    let id = crate::phone::message_id();
    sim.phone_media_lock().insert(
        id.clone(),
        PhoneMedia {
            media_key: enc.media_key,
            encrypted,
            mms_type: "image".into(),
            direct_path: direct_path.clone(),
        },
    );
    let summary = caption.unwrap_or_else(|| "[image]".into());
    crate::phone::send_message(sim, from, to, &id, message, "media", &summary).await?;
    Ok((id, direct_path))
}

/// Forgets a stored file, as WhatsApp's CDN does after a while: downloads answer 404.
pub fn expire(sim: &Sim, direct_path: &str) -> bool {
    sim.media_lock().remove(direct_path).is_some()
}

/// The answer to a `server-error` receipt for message `id`: the sending phone uploads the
/// file again and the notification carries the new path (or an error when the phone does not
/// have the media).
pub fn reupload(sim: &Sim, receipt: &Node) -> Node {
    let id = attr(receipt, "id").unwrap_or_default();
    let base = NodeBuilder::new("notification")
        .attr("id", id.clone())
        .attr("type", "mediaretry")
        .attr("from", "s.whatsapp.net")
        .attr("t", now_secs().to_string());
    let rmr = receipt.get_optional_child("rmr").cloned();
    let known = sim.phone_media_lock().get(&id).cloned();
    let Some(mut media) = known else {
        return base
            .children([NodeBuilder::new("error").attr("code", "2").build()])
            .build();
    };
    media.direct_path = crate::media::store(sim, &media.mms_type, media.encrypted.clone());
    sim.phone_media_lock().insert(id.clone(), media.clone());
    let plaintext = wa::MediaRetryNotification {
        stanza_id: Some(id.clone()),
        direct_path: Some(media.direct_path.clone()),
        result: Some(wa::media_retry_notification::ResultType::SUCCESS),
        ..Default::default()
    }
    .encode_to_vec();
    let mut key = [0u8; 32];
    let iv: [u8; 12] = rand::random();
    let mut ciphertext = Vec::new();
    let sealed = wacore::crypto::hkdf_sha256_into(
        &media.media_key,
        None,
        b"WhatsApp Media Retry Notification",
        &mut key,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .and_then(|_| {
        wacore::libsignal::crypto::aes_256_gcm_encrypt(
            &key,
            &iv,
            id.as_bytes(),
            &plaintext,
            &mut ciphertext,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))
    });
    if sealed.is_err() {
        return base
            .children([NodeBuilder::new("error").attr("code", "1").build()])
            .build();
    }
    let mut children = vec![NodeBuilder::new("encrypt")
        .children([
            NodeBuilder::new("enc_p").bytes(ciphertext).build(),
            NodeBuilder::new("enc_iv").bytes(iv.to_vec()).build(),
        ])
        .build()];
    if let Some(rmr) = rmr {
        children.insert(0, rmr);
    }
    base.children(children).build()
}
