-- Messages the devices sent and received, with the receipts WhatsApp reported for them.
-- status: outbound 'sent' -> 'delivered' -> 'read' -> 'played' (never backwards); inbound 'received'.
CREATE TABLE messages (
    device_id     TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    message_id    TEXT NOT NULL,
    chat_jid      TEXT NOT NULL,
    sender_jid    TEXT,
    from_me       BIGINT NOT NULL,
    is_group      BIGINT NOT NULL,
    message_type  TEXT NOT NULL,
    content       TEXT,
    sent_at       BIGINT NOT NULL,
    status        TEXT NOT NULL,
    delivered_at  BIGINT,
    read_at       BIGINT,
    played_at     BIGINT,
    PRIMARY KEY (device_id, message_id)
);
CREATE INDEX messages_chat ON messages(device_id, chat_jid, sent_at);
