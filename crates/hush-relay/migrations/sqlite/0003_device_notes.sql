-- One small opaque note per device, written and read only by that device through signed
-- requests. A service (CI) identity keeps here the head it last verified, signed with its own
-- event-signing key, so its next run (with no disk of its own) can refuse an older log. The relay
-- can withhold or replay an old note; it cannot forge a newer one.
CREATE TABLE device_notes (
    team_id    TEXT NOT NULL REFERENCES teams (team_id),
    device_id  TEXT NOT NULL,
    note       BLOB NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (team_id, device_id)
);
