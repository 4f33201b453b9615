//! Media references of messages: what it takes to download and decrypt an image, video, audio,
//! document or sticker again, whichever device of the tenant received it.

use crate::{Store, StoreResult};
use sqlx::Row;

/// A message's media reference.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaRow {
    pub device_id: String,
    pub message_id: String,
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub media_type: String,
    pub mime_type: Option<String>,
    pub file_name: Option<String>,
    pub file_length: Option<i64>,
    /// The encoded WhatsApp message holding the media (keys, hashes, direct path).
    pub reference: Vec<u8>,
}

const INSERT_MEDIA: &str = "INSERT INTO message_media (device_id, message_id, media_type, \
     mime_type, file_name, file_length, reference) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (device_id, message_id) DO NOTHING";

/// The insert of a media reference, bound.
pub(crate) fn insert_media(
    m: &MediaRow,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(INSERT_MEDIA)
        .bind(&m.device_id)
        .bind(&m.message_id)
        .bind(&m.media_type)
        .bind(&m.mime_type)
        .bind(&m.file_name)
        .bind(m.file_length)
        .bind(&m.reference)
}

impl Store {
    /// Keeps a media reference (of a message this gateway sent).
    pub async fn insert_media(&self, m: &MediaRow) -> StoreResult<()> {
        insert_media(m).execute(&self.pool).await?;
        Ok(())
    }

    /// Replaces a media reference (the media was uploaded again).
    pub async fn set_media_reference(
        &self,
        device_id: &str,
        message_id: &str,
        reference: &[u8],
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE message_media SET reference = $1 WHERE device_id = $2 AND message_id = $3",
        )
        .bind(reference)
        .bind(device_id)
        .bind(message_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The media references of message `message_id` on the devices of the tenant (the sender's
    /// and the receivers' copies, when both are devices here), newest device first.
    pub async fn media_in_tenant(
        &self,
        tenant_id: &str,
        message_id: &str,
    ) -> StoreResult<Vec<MediaRow>> {
        let rows = sqlx::query(
            "SELECT m.device_id, m.message_id, m.media_type, m.mime_type, m.file_name, \
                    m.file_length, m.reference \
             FROM message_media m JOIN devices d ON d.id = m.device_id \
             WHERE d.tenant_id = $1 AND m.message_id = $2 \
             ORDER BY d.created_at DESC LIMIT 16",
        )
        .bind(tenant_id)
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| MediaRow {
                device_id: r.get(0),
                message_id: r.get(1),
                media_type: r.get(2),
                mime_type: r.get(3),
                file_name: r.get(4),
                file_length: r.get(5),
                reference: r.get(6),
            })
            .collect())
    }
}
