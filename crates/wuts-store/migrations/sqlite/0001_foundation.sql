-- Tenants, users, devices, webhook configuration, settings.
-- Times are unix milliseconds; flags are 0/1 integers (the same types on both backends).

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email                TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'user')),
    token_hash           TEXT NOT NULL UNIQUE,
    active               INTEGER NOT NULL DEFAULT 1,
    pending_webhook_url  TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX users_tenant ON users(tenant_id);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    jid           TEXT,
    phone_number  TEXT,
    connected     INTEGER NOT NULL DEFAULT 0,
    last_seen     INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX devices_user ON devices(user_id);
CREATE INDEX devices_tenant ON devices(tenant_id);

CREATE TABLE webhooks (
    id              TEXT PRIMARY KEY,
    device_id       TEXT NOT NULL UNIQUE REFERENCES devices(id) ON DELETE CASCADE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    url             TEXT NOT NULL,
    enabled_events  TEXT NOT NULL,
    enabled         INTEGER NOT NULL,
    retry_attempts  INTEGER NOT NULL,
    timeout_secs    INTEGER NOT NULL,
    secret          TEXT,
    headers         TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks(tenant_id);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
