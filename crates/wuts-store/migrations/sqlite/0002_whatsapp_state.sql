-- whatsapp-rust session state (identity, pre-keys, Signal sessions, sender keys, app-state keys,
-- versions and mutation MACs, LID/PN mappings, ...), one namespace per kind, rows keyed by device.
-- Deleting a device (or its user, or its tenant) deletes its state.
CREATE TABLE wa_state (
    device_id  TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    ns         TEXT NOT NULL,
    k          TEXT NOT NULL,
    v          BLOB NOT NULL,
    n          INTEGER NOT NULL DEFAULT 0,
    t          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, ns, k)
);
