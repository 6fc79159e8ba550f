//! Opening a store: the account key wrapped under the master password, the sealed device
//! identity, the MACs of each team's checkpoint; creating a store, unlocking it (every team log
//! replayed and held against its checkpoint), reloading after other processes wrote, changing the
//! password and verifying the store again.

use std::path::Path;

use uuid::Uuid;

use super::{Clock, PERSONAL_TEAM, Session, Team, TeamSettings};
use crate::codec::Writer;
use crate::crypto::{self, KdfParams};
use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::replay::{Replay, replay};
use crate::secret::{Key32, SecretString};
use crate::store::{Header, Store};

fn account_key_ad(device_id: &Uuid, kdf: &KdfParams, salt: &[u8; 16]) -> Vec<u8> {
    let mut w = Writer::new();
    w.raw(b"hush/v1/account-key")
        .u32(crate::store::FORMAT as u32)
        .raw(device_id.as_bytes())
        .u32(kdf.m_kib)
        .u32(kdf.t)
        .u32(kdf.p)
        .raw(salt);
    w.into_vec()
}

/// Associated data of the sealed device identity. A store that commits to its set of teams
/// (see `store`) seals its identity under a different label than a store written before the
/// commitment existed, so stripping the commitment from the header cannot pass the store off as
/// an old one: the identity would no longer open.
pub fn identity_ad(device_id: &Uuid, committed: bool) -> Vec<u8> {
    if committed {
        [
            b"hush/v1/identity-committed".as_slice(),
            device_id.as_bytes(),
        ]
        .concat()
    } else {
        device_id.as_bytes().to_vec()
    }
}

/// The key of the store's team commitment.
pub(crate) fn teams_key(account: &Key32) -> Key32 {
    crypto::subkey(account, crate::store::TEAMS_KEY_LABEL)
}

/// Opens the sealed device identity of `store` with the account key. Returns it with whether the
/// store commits to its teams (false only for a store written before the commitment existed).
/// A committed store whose commitment was removed from the header is an integrity error.
pub async fn open_identity(store: &Store, account: &Key32) -> Result<(DeviceIdentity, bool)> {
    let header = store.header().await?;
    let committed = store.has_team_commitment().await?;
    let id_key = crypto::subkey(account, b"hush/v1/identity");
    let open = |committed: bool| {
        crypto::open(
            &id_key,
            &identity_ad(&header.device_id, committed),
            &header.identity,
            "device identity",
        )
    };
    let plain = match open(committed) {
        Ok(p) => p,
        Err(e) if !committed => {
            if open(true).is_ok() {
                return Err(Error::Integrity(
                    "the store's commitment to its teams was removed from the header".into(),
                ));
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let identity = DeviceIdentity::from_secret_bytes(&plain)?;
    if identity.device_id != header.device_id {
        return Err(Error::Integrity(
            "device identity does not match the header".into(),
        ));
    }
    Ok((identity, committed))
}

pub(crate) fn checkpoint_mac(account: &Key32, team: &Uuid, seq: u64, hash: &[u8; 32]) -> [u8; 32] {
    let k = crypto::subkey(account, b"hush/v1/checkpoint");
    crypto::mac(&k, &[team.as_bytes(), &seq.to_be_bytes(), hash])
}

/// Reads the account key from the store with a password.
pub async fn unwrap_account_key(store: &Store, password: &SecretString) -> Result<Key32> {
    let h = store.header().await?;
    h.kdf.check_floor()?;
    let kek = h.kdf.derive(password.expose().as_bytes(), &h.salt)?;
    let plain = crypto::open(
        &kek,
        &account_key_ad(&h.device_id, &h.kdf, &h.salt),
        &h.account_key,
        "account key",
    )
    .map_err(|_| Error::WrongPassword)?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| Error::Integrity("account key has the wrong length".into()))?;
    Ok(Key32::from_bytes(bytes))
}

fn wrap_account_key(
    account: &Key32,
    password: &SecretString,
    device_id: &Uuid,
    kdf: KdfParams,
) -> Result<([u8; 16], Vec<u8>)> {
    if password.is_empty() {
        return Err(Error::Invalid(
            "the master password must not be empty".into(),
        ));
    }
    let salt: [u8; 16] = crypto::random_array();
    let kek = kdf.derive(password.expose().as_bytes(), &salt)?;
    let wrapped = crypto::seal(
        &kek,
        &account_key_ad(device_id, &kdf, &salt),
        account.expose_bytes(),
    );
    Ok((salt, wrapped))
}

impl Session {
    /// Creates identity and store under `home`, and the local team "personal" (selected).
    pub async fn init(
        home: &Path,
        name: &str,
        password: &SecretString,
        kdf: KdfParams,
        clock: Clock,
    ) -> Result<Self> {
        if Store::exists(home) {
            return Err(Error::AlreadyInitialized(home.to_owned()));
        }
        let identity = DeviceIdentity::generate(name)?;
        let account = Key32::random();
        let (salt, wrapped) = wrap_account_key(&account, password, &identity.device_id, kdf)?;
        let id_key = crypto::subkey(&account, b"hush/v1/identity");
        let identity_ct = crypto::seal(
            &id_key,
            &identity_ad(&identity.device_id, true),
            &identity.to_secret_bytes(),
        );
        let header = Header {
            device_id: identity.device_id,
            kdf,
            salt,
            account_key: wrapped,
            identity: identity_ct,
            selected_team: None,
        };
        let store = Store::create(home, &header, teams_key(&account)).await?;
        let mut s = Self::from_parts(store, account, identity, clock);
        s.team_create(PERSONAL_TEAM, None, false).await?;
        Ok(s)
    }

    /// Opens the store under `home` with the master password.
    pub async fn unlock(home: &Path, password: &SecretString, clock: Clock) -> Result<Self> {
        let store = Store::open(home).await?;
        let account = unwrap_account_key(&store, password).await?;
        Self::load(store, account, clock).await
    }

    /// Opens the store with an already unwrapped account key (handed over to the agent).
    pub async fn unlock_with_key(home: &Path, account: Key32, clock: Clock) -> Result<Self> {
        let store = Store::open(home).await?;
        Self::load(store, account, clock).await
    }

    async fn load(store: Store, account: Key32, clock: Clock) -> Result<Self> {
        let header = store.header().await?;
        let (identity, committed) = open_identity(&store, &account).await?;
        let tkey = teams_key(&account);
        if committed {
            // Before anything else: a team whose rows were deleted, or rolled back to an older
            // checkpoint, is refused here (the per-team checks below cannot see it).
            store.verify_teams(&tkey).await?;
        }
        store.set_teams_key(tkey);
        let mut s = Self::from_parts(store, account, identity, clock);
        s.selected = header.selected_team;
        let settings_key = crypto::subkey(&s.account, b"hush/v1/settings");
        for row in s.store.teams().await? {
            let plain = crypto::open(
                &settings_key,
                row.team_id.as_bytes(),
                &row.settings,
                "team settings",
            )?;
            let settings = TeamSettings::decode(&plain)?;
            let team = Team {
                state: replay(&s.store, row.team_id, &s.identity, Replay::STORED).await?,
                settings,
            };
            let head = team.state.head;
            match (&row.checkpoint, head) {
                (None, None) => {}
                (Some((seq, hash, mac)), Some((hseq, hhash))) if *seq == hseq && *hash == hhash => {
                    let want = checkpoint_mac(&s.account, &row.team_id, *seq, hash);
                    if !crypto::ct_eq(&want, mac) {
                        return Err(Error::Integrity(
                            "the local log checkpoint MAC does not match".into(),
                        ));
                    }
                }
                _ => {
                    return Err(Error::Integrity(
                        "the local log does not match its checkpoint".into(),
                    ));
                }
            }
            s.teams.insert(row.team_id, team);
        }
        if !committed {
            // A store written before the team commitment existed, now verified team by team:
            // commit to what it holds, and reseal the identity so the commitment cannot be
            // stripped again unnoticed.
            let id_key = crypto::subkey(&s.account, b"hush/v1/identity");
            let resealed = crypto::seal(
                &id_key,
                &identity_ad(&s.identity.device_id, true),
                &s.identity.to_secret_bytes(),
            );
            s.store.commit_teams_with_identity(&resealed).await?;
        }
        s.seen = s.store.heads().await?;
        Ok(s)
    }

    /// Records the store's current heads as seen (after this session's own writes), so that
    /// [`Session::refresh`] reloads only for writes by other processes.
    pub async fn mark_seen(&mut self) -> Result<()> {
        self.seen = self.store.heads().await?;
        Ok(())
    }

    /// Picks up events other processes wrote since this session loaded.
    pub async fn refresh(&mut self) -> Result<()> {
        let stored = self.store.heads().await?;
        if stored != self.seen {
            let fresh =
                Self::load(self.store.clone(), self.account.clone(), self.clock.clone()).await?;
            *self = fresh;
        } else {
            self.selected = self.store.header().await?.selected_team;
        }
        Ok(())
    }

    /// Changes the master password: rewraps the account key; nothing else is re-encrypted.
    pub async fn change_password(&mut self, new_password: &SecretString) -> Result<()> {
        let kdf = KdfParams::DEFAULT;
        let (salt, wrapped) =
            wrap_account_key(&self.account, new_password, &self.identity.device_id, kdf)?;
        self.store.rewrap(kdf, &salt, &wrapped).await
    }

    /// Verifies the whole local store: SQLite integrity, every signature, every hash link, every
    /// checkpoint. Returns the number of events checked.
    pub async fn verify(&self) -> Result<u64> {
        self.store.integrity_check().await?;
        let mut n = 0;
        for team_id in self.teams.keys() {
            let st = replay(&self.store, *team_id, &self.identity, Replay::VERIFIED).await?;
            n += st.head.map_or(0, |h| h.0 + 1);
        }
        Ok(n)
    }
}
