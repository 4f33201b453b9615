-- Messages accepted for sending and not sent yet (paced per number): the encoded WhatsApp
-- message waits here, beside its 'queued' row in messages, so a restart sends it instead of
-- losing it.
CREATE TABLE outbox (
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    message_id  TEXT NOT NULL,
    chat_jid    TEXT NOT NULL,
    payload     BLOB NOT NULL,
    timer       INTEGER NOT NULL,
    queued_at   INTEGER NOT NULL,
    PRIMARY KEY (device_id, message_id)
);
CREATE INDEX outbox_order ON outbox(device_id, queued_at);
