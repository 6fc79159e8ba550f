-- Witness mode (`hush-relay --witness`). A witness database reuses `teams` (its head is the
-- compare-and-swap target of every extend, as on a relay), `devices` and `invites` (the ACL,
-- derived from the public section of accepted events exactly as a relay derives it) and
-- `nonces`; it never stores event bytes. A relay database leaves these two tables empty.

-- The witness's Ed25519 key: one row, written on first start. Whoever reads the database can
-- sign heads in the witness's name, so protect it like a TLS key.
CREATE TABLE witness_key (
    id         BIGINT PRIMARY KEY,
    secret     BLOB NOT NULL,
    created_ms BIGINT NOT NULL
);

-- Every (seq, hash) the witness accepted, per team: enough to answer "what did you accept at
-- seq N" and to refuse a batch that disagrees with it.
CREATE TABLE witness_log (
    team_id TEXT NOT NULL REFERENCES teams (team_id),
    seq     BIGINT NOT NULL,
    hash    BLOB NOT NULL,
    PRIMARY KEY (team_id, seq)
);
