-- Broker outputs (NATS JetStream, RabbitMQ) publish the events table in order per device; each
-- keeps how far it got per device (the last confirmed `events.seq`).
CREATE TABLE event_output_cursors (
    output     TEXT NOT NULL,
    device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (output, device_id)
);

-- Which events a tenant's devices send to the broker outputs (no row: every event).
-- enabled_events: a JSON array of catalogue names.
CREATE TABLE tenant_event_outputs (
    tenant_id      TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    enabled        BIGINT NOT NULL,
    enabled_events TEXT NOT NULL,
    updated_at     BIGINT NOT NULL
);
