-- The relay's whole state. Everything here is metadata the relay needs to order and authorise;
-- event bodies are stored as opaque bytes. Identifiers are lowercase hyphenated UUID text,
-- hashes and keys are raw bytes, flags are 0/1 integers, times are ms since the Unix epoch.

-- One row per team: the head is the compare-and-swap target of every append.
CREATE TABLE teams (
    team_id      TEXT PRIMARY KEY,
    genesis_hash BYTEA NOT NULL,
    head_seq     BIGINT NOT NULL,
    head_hash    BYTEA NOT NULL,
    created_ms   BIGINT NOT NULL
);

-- The log. Both constraints make a forked chain impossible even if the head CAS were bypassed.
CREATE TABLE events (
    team_id     TEXT NOT NULL REFERENCES teams (team_id),
    seq         BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    prev        BYTEA NOT NULL,
    epoch       BIGINT NOT NULL,
    author      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    bytes       BYTEA NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (team_id, seq),
    UNIQUE (team_id, hash)
);

-- The relay's copy of the team ACL, derived only from the public section of stored events.
CREATE TABLE devices (
    team_id   TEXT NOT NULL REFERENCES teams (team_id),
    device_id TEXT NOT NULL,
    auth_pk   BYTEA NOT NULL,
    manager   BIGINT NOT NULL,
    removed   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, device_id)
);

-- Invites announced in events; each accepts one join request before it expires.
CREATE TABLE invites (
    team_id    TEXT NOT NULL REFERENCES teams (team_id),
    invite_id  TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    expires_ms BIGINT NOT NULL,
    used       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, invite_id)
);

-- Opaque join requests waiting for a manager.
CREATE TABLE joins (
    team_id     TEXT NOT NULL REFERENCES teams (team_id),
    invite_id   TEXT NOT NULL,
    blob        BYTEA NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (team_id, invite_id)
);

-- Request nonces seen recently: the unique key is what refuses a replay, in every process.
CREATE TABLE nonces (
    device_id   TEXT NOT NULL,
    nonce       BYTEA NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_received ON nonces (received_ms);
