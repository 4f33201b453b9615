-- Webhook delivery state of each event (one configuration per device).
-- delivery: 'pending', 'delivered', 'skipped' (no config, disabled, or not subscribed), 'dead'.
ALTER TABLE events ADD COLUMN delivery TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE events ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN last_error TEXT;
CREATE INDEX events_pending ON events(delivery, next_attempt_at);
CREATE INDEX events_device_pending ON events(device_id, delivery, seq);
