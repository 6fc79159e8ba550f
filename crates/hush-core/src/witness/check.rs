//! Comparing a witness's signed head with the chain this device is about to accept: a witness
//! ahead of what the relay served means the relay withholds history, a different hash at a
//! position both know is a fork. Also the check of a whole pulled log against every witness it
//! requires (a service token's read-only session).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::client::WitnessClient;
use crate::error::{Error, Result};
use crate::identity::DeviceIdentity;
use crate::witness_proto::{CoSigned, WitnessHead};

/// A required witness of a team: key, URL and client.
pub(super) struct Required {
    pub(super) key: [u8; 32],
    pub(super) client: WitnessClient,
}

impl Required {
    /// A client for each witness of `witnesses` (key → URL).
    pub(super) fn all(
        witnesses: &BTreeMap<[u8; 32], String>,
        allow_http: bool,
    ) -> Result<Vec<Self>> {
        witnesses
            .iter()
            .map(|(key, url)| {
                Ok(Self {
                    key: *key,
                    client: WitnessClient::new(url, allow_http)?,
                })
            })
            .collect()
    }

    /// A head this witness answered to an extend, signature checked, compared with the chain
    /// ending at `tip`.
    pub(super) fn check_answer(
        &self,
        head: &WitnessHead,
        tid: &Uuid,
        tip: u64,
        hash_at: impl Fn(u64) -> Option<[u8; 32]>,
    ) -> Result<CoSigned> {
        let signed = self.client.verified(head, &self.key, tid)?;
        compare(self.client.url(), &signed, Some(tip), hash_at)?;
        Ok(signed)
    }
}

/// Compares a witness's head with the chain this device is about to accept, which ends at `tip`;
/// `hash_at` gives this device's hash at a position (`None` beyond what it knows).
pub(super) fn compare(
    url: &str,
    head: &CoSigned,
    tip: Option<u64>,
    hash_at: impl Fn(u64) -> Option<[u8; 32]>,
) -> Result<()> {
    let fork = |seq: u64| {
        Error::Integrity(format!(
            "the witness {url} co-signed a different event {seq} than the relay served (forked history); nothing was stored or pushed"
        ))
    };
    if let Some((seq, theirs)) = head.at
        && hash_at(seq).is_some_and(|ours| ours != theirs)
    {
        return Err(fork(seq));
    }
    match tip {
        Some(t) if head.seq <= t => match hash_at(head.seq) {
            Some(ours) if ours == head.hash => Ok(()),
            Some(_) => Err(fork(head.seq)),
            None => Ok(()),
        },
        _ => Err(withholding(url, head.seq, tip)),
    }
}

/// A witness head past `tip` that agrees with this device's chain at `tip`: either the relay
/// withholds what follows, or another member pushed (and had it co-signed) between this device's
/// read of the relay's head and its read of the witness. Only the relay's head, read again, tells.
pub(super) fn ahead_but_consistent(
    head: &CoSigned,
    tip: u64,
    hash_at: impl Fn(u64) -> Option<[u8; 32]>,
) -> bool {
    head.seq > tip && hash_at(tip).is_some_and(|ours| head.at == Some((tip, ours)))
}

/// Reads every witness's head and compares it with a chain ending at `tip`. `Ok(Some((seq,
/// url)))`: a witness is ahead at `seq` but agrees up to `tip` (see [`ahead_but_consistent`]).
pub(super) async fn check_heads(
    required: &[Required],
    me: &DeviceIdentity,
    tid: Uuid,
    tip: u64,
    hash_at: impl Fn(u64) -> Option<[u8; 32]> + Copy,
    clock: &crate::session::Clock,
) -> Result<Option<(u64, String)>> {
    let mut ahead: Option<(u64, String)> = None;
    for w in required {
        if let Some(head) = w.client.head(me, &w.key, &tid, Some(tip), clock()).await? {
            if ahead_but_consistent(&head, tip, hash_at) {
                if ahead.as_ref().is_none_or(|(s, _)| head.seq > *s) {
                    ahead = Some((head.seq, w.client.url().to_owned()));
                }
                continue;
            }
            compare(w.client.url(), &head, Some(tip), hash_at)?;
        }
    }
    Ok(ahead)
}

/// For a read-only session that pulled and verified a team's whole log (a service token): every
/// witness the log requires must agree with it, or the job refuses the relay's answer.
pub(crate) async fn check_whole_log(
    witnesses: &BTreeMap<[u8; 32], String>,
    allow_http: bool,
    me: &DeviceIdentity,
    tid: Uuid,
    hashes: &[[u8; 32]],
    clock: &crate::session::Clock,
) -> Result<()> {
    let Some(tip) = hashes.len().checked_sub(1) else {
        return Ok(());
    };
    let required = Required::all(witnesses, allow_http)?;
    let hash_at = |seq: u64| hashes.get(usize::try_from(seq).ok()?).copied();
    match check_heads(&required, me, tid, tip as u64, hash_at, clock).await? {
        None => Ok(()),
        Some((seq, url)) => Err(withholding(&url, seq, Some(tip as u64))),
    }
}

/// The witness at `url` co-signed up to `witnessed`, and the relay served only up to `tip`.
pub(super) fn withholding(url: &str, witnessed: u64, tip: Option<u64>) -> Error {
    Error::Integrity(format!(
        "the witness {url} has co-signed the team log up to event {witnessed}, but the relay served it only up to {}: the relay is withholding history (a removal, new keys?); nothing was stored or pushed; tell a team admin and compare team state codes",
        tip.map_or_else(|| "nothing".to_owned(), |t| format!("event {t}"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seq: u64, hash: u8, at: Option<(u64, u8)>) -> CoSigned {
        CoSigned {
            seq,
            hash: [hash; 32],
            at: at.map(|(s, h)| (s, [h; 32])),
        }
    }

    #[test]
    fn a_witness_ahead_of_the_relay_or_on_another_branch_is_refused() {
        // Our chain: event n has hash n.
        let ours = |s: u64| (s <= 5).then_some([s as u8; 32]);
        // Behind or level, same hashes: fine.
        assert!(compare("w", &head(3, 3, None), Some(5), ours).is_ok());
        assert!(compare("w", &head(5, 5, Some((5, 5))), Some(5), ours).is_ok());
        // Ahead of what the relay served: withholding.
        let e = compare("w", &head(7, 7, Some((5, 5))), Some(5), ours).unwrap_err();
        assert!(e.to_string().contains("withholding"), "{e}");
        assert!(e.to_string().contains("witness w"), "{e}");
        // Ahead, and even its hash at our tip differs: a fork.
        let e = compare("w", &head(7, 7, Some((5, 9))), Some(5), ours).unwrap_err();
        assert!(e.to_string().contains("forked"), "{e}");
        // Same position, another hash: a fork.
        let e = compare("w", &head(4, 9, None), Some(5), ours).unwrap_err();
        assert!(e.to_string().contains("forked"), "{e}");
        // Nothing from the relay while the witness knows the team.
        assert!(compare("w", &head(0, 0, None), None, ours).is_err());
        // Ahead but agreeing at our tip: a race with another member's push, or withholding;
        // the caller asks the relay again. Disagreeing at the tip is never that.
        assert!(ahead_but_consistent(&head(7, 7, Some((5, 5))), 5, ours));
        assert!(!ahead_but_consistent(&head(7, 7, Some((5, 9))), 5, ours));
        assert!(!ahead_but_consistent(&head(7, 7, None), 5, ours));
        assert!(!ahead_but_consistent(&head(5, 5, Some((5, 5))), 5, ours));
    }
}
