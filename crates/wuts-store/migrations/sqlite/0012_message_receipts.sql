-- Receipts per participant for the messages a device sent to groups: each time set once
-- (unix milliseconds), as the receipts arrive.
CREATE TABLE message_receipts (
    device_id     TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    message_id    TEXT NOT NULL,
    participant   TEXT NOT NULL,
    delivered_at  INTEGER,
    read_at       INTEGER,
    played_at     INTEGER,
    PRIMARY KEY (device_id, message_id, participant)
);
