-- Events a device produced (catalogue names, `data` as JSON), durable before the request or
-- WhatsApp event that caused them is answered; webhook delivery reads them from here.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    device_id   TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    event       TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX events_device_seq ON events(device_id, seq);
