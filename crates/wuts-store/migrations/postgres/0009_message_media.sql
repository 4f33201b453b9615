-- What is needed to download and decrypt a media message again (its WhatsApp media reference,
-- the encoded image/video/audio/document/sticker protobuf), kept beside the message row.
CREATE TABLE message_media (
    device_id    TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    message_id   TEXT NOT NULL,
    media_type   TEXT NOT NULL,
    mime_type    TEXT,
    file_name    TEXT,
    file_length  BIGINT,
    reference    BYTEA NOT NULL,
    PRIMARY KEY (device_id, message_id)
);
CREATE INDEX message_media_id ON message_media(message_id);
