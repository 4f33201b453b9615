-- A device's incoming-call policy: reject every call at once (1) and, when set, answer the
-- caller with this text.
CREATE TABLE call_settings (
    device_id      TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    reject_calls   BIGINT NOT NULL,
    reject_message TEXT,
    updated_at     BIGINT NOT NULL
);
