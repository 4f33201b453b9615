-- Each device numbers its events from a counter on its row: taking the next number locks the
-- row, so concurrent writers of one device's events (the durability hook and the event handler)
-- never get the same number, which MAX(seq) + 1 allowed on PostgreSQL.
ALTER TABLE devices ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
UPDATE devices SET event_seq = COALESCE((SELECT MAX(seq) FROM events WHERE events.device_id = devices.id), 0);
