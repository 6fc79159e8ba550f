-- Service (CI/CD) identities: read-only devices with an expiry, both set only by the public
-- section of the event that created them.
ALTER TABLE devices ADD COLUMN read_only BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN expires_ms BIGINT;

-- Which addresses each device used and how often: what the relay can tell a team's managers
-- about usage without learning anything secret. One row per (device, address).
CREATE TABLE device_usage (
    team_id   TEXT NOT NULL REFERENCES teams (team_id),
    device_id TEXT NOT NULL,
    ip        TEXT NOT NULL,
    first_ms  BIGINT NOT NULL,
    last_ms   BIGINT NOT NULL,
    requests  BIGINT NOT NULL,
    PRIMARY KEY (team_id, device_id, ip)
);
