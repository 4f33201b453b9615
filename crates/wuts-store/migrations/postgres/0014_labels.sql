-- WhatsApp Business labels of a device's account (from its own actions and its other devices'
-- app-state changes), and the chats and messages they are on.
CREATE TABLE labels (
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    label_id    TEXT NOT NULL,
    name        TEXT,
    color       BIGINT,
    deleted     BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (device_id, label_id)
);
CREATE TABLE label_chats (
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    label_id    TEXT NOT NULL,
    chat_jid    TEXT NOT NULL,
    PRIMARY KEY (device_id, label_id, chat_jid)
);
CREATE TABLE label_messages (
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    label_id    TEXT NOT NULL,
    chat_jid    TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    PRIMARY KEY (device_id, label_id, chat_jid, message_id)
);
