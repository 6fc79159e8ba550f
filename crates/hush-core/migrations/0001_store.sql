-- Hush local store, format 1.
-- Every column that holds something a person typed is ciphertext; ids, sequence numbers and
-- key-derivation parameters are the only plaintext.

-- The header: one row.
CREATE TABLE header (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    format        INTEGER NOT NULL,
    device_id     BLOB    NOT NULL,
    kdf_m_kib     INTEGER NOT NULL,
    kdf_t         INTEGER NOT NULL,
    kdf_p         INTEGER NOT NULL,
    kdf_salt      BLOB    NOT NULL,
    -- XChaCha20-Poly1305(Argon2id(password), account key), AD binds format, device and KDF params.
    account_key   BLOB    NOT NULL,
    -- The device identity (private keys, display name), sealed under an account subkey.
    identity      BLOB    NOT NULL,
    selected_team BLOB
);

-- Teams this device belongs to, with local settings (relay URL...) sealed under an account subkey.
CREATE TABLE teams (
    team_id   BLOB PRIMARY KEY,
    settings  BLOB NOT NULL,
    -- MAC-protected checkpoint of the highest event stored: detects edits to the local log.
    head_seq  INTEGER,
    head_hash BLOB,
    head_mac  BLOB
);

-- The team logs: the same signed bytes the relay carries (bodies sealed under the log key).
CREATE TABLE events (
    team_id BLOB    NOT NULL REFERENCES teams (team_id),
    seq     INTEGER NOT NULL,
    hash    BLOB    NOT NULL,
    bytes   BLOB    NOT NULL,
    -- 1 while the event waits in the outbox for the relay.
    pending INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, seq)
) WITHOUT ROWID;
