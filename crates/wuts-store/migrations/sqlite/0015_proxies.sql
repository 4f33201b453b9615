-- Outbound proxies: one a tenant's devices use, and per-device overrides that win over it.
-- `proxy_url` is the URL without its password; `secret` the password, sealed with the
-- installation's secrets key (AES-256-GCM: base64 of nonce || ciphertext), or NULL.
CREATE TABLE tenant_proxies (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    proxy_url  TEXT NOT NULL,
    secret     TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE device_proxies (
    device_id  TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    proxy_url  TEXT NOT NULL,
    secret     TEXT,
    updated_at BIGINT NOT NULL
);

CREATE INDEX device_proxies_tenant ON device_proxies (tenant_id);
