//! Every value this device can decrypt, for leak scanning (`hush scan`).
//!
//! A leaked key stays a key after it is rotated away or deleted in Hush: until it is revoked at
//! its provider it still works, and even then finding it in a repository says where it leaked.
//! So the list covers every version of every item (deleted items included) in every readable
//! vault of every team. Versions whose vault key epoch this device never held (a member added
//! after a re-key cannot open the versions before it) are skipped: they cannot be decrypted here.

use serde::{Deserialize, Serialize};

use crate::secret::{SecretString, expose_serde};
use crate::session::Session;

/// One version of one secret, with its value.
#[derive(Debug, Serialize, Deserialize)]
pub struct KnownValue {
    /// `TEAM/VAULT/NAME` (the item's current name).
    pub address: String,
    /// The version number.
    pub version: u32,
    /// The value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
}

impl Session {
    /// Every decryptable value: all versions of all items, deleted ones too, in every team.
    /// Ordered by address, then version.
    pub fn known_values(&self) -> Vec<KnownValue> {
        let mut out = Vec::new();
        for team in self.teams.values() {
            let st = &team.state;
            for vault in st.vaults.values() {
                let Some(vault_name) = vault.name.as_deref() else {
                    continue;
                };
                for item in vault.items.values() {
                    let Some(name) = item.name() else { continue };
                    let address = format!("{}/{vault_name}/{name}", st.name);
                    for version in &item.versions {
                        if let Ok(value) = st.open_value(vault, item, version) {
                            out.push(KnownValue {
                                address: address.clone(),
                                version: version.version,
                                value,
                            });
                        }
                    }
                }
            }
        }
        out.sort_by(|a, b| (&a.address, a.version).cmp(&(&b.address, b.version)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Address;
    use crate::crypto::KdfParams;
    use crate::event::PutKind;
    use crate::session::MetaUpdate;

    #[tokio::test]
    async fn lists_every_version_of_every_item_including_deleted_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Session::init(
            &dir.path().join("h"),
            "alice",
            &SecretString::new("correct horse battery staple".into()),
            KdfParams::DEFAULT,
            crate::session::system_clock(),
        )
        .await
        .expect("init");
        s.vault_create(None, "pay").await.expect("vault");
        let set = |v: &str| SecretString::new(v.into());
        let a = Address::parse("pay/KEY").expect("address");
        let b = Address::parse("pay/GONE").expect("address");
        s.set(
            None,
            &a,
            &set("old-value-1"),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        s.set(
            None,
            &a,
            &set("new-value-2"),
            MetaUpdate::default(),
            PutKind::Rotation,
        )
        .await
        .expect("rotate");
        s.set(
            None,
            &b,
            &set("deleted-value"),
            MetaUpdate::default(),
            PutKind::Set,
        )
        .await
        .expect("set");
        s.remove(None, &b).await.expect("remove");
        let got: Vec<(String, u32, String)> = s
            .known_values()
            .into_iter()
            .map(|k| (k.address, k.version, k.value.expose().to_owned()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("personal/pay/GONE".into(), 1, "deleted-value".into()),
                ("personal/pay/KEY".into(), 1, "old-value-1".into()),
                ("personal/pay/KEY".into(), 2, "new-value-2".into()),
            ]
        );
        s.close().await;
    }
}
