-- What a device's app state and traffic told us about its chats and contacts, kept current from
-- its events (each change in one transaction with the event that reports it).
-- muted_until: 0 not muted, -1 muted for good, else unix milliseconds.
CREATE TABLE chats (
    device_id    TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    jid          TEXT NOT NULL,
    pinned       BIGINT NOT NULL DEFAULT 0,
    archived     BIGINT NOT NULL DEFAULT 0,
    muted_until  BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (device_id, jid)
);
CREATE TABLE contacts (
    device_id      TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    jid            TEXT NOT NULL,
    lid            TEXT,
    first_name     TEXT,
    full_name      TEXT,
    push_name      TEXT,
    business_name  TEXT,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (device_id, jid)
);
