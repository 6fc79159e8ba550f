//! The CLI's words for the core's [`Hint`]s: the `hush` command to run next.
//!
//! Core messages never name a command (the app shows them to people without a terminal); the
//! CLI appends these to the one-line error it prints.

use hush_core::Hint;

/// What to append to an error's message for `hint`, separator included.
pub fn words(hint: Hint) -> &'static str {
    match hint {
        Hint::Init => "; run `hush init --name NAME` first",
        Hint::Unlock => {
            ": unlock the Hush app or run `hush unlock` first, set HUSH_PASSWORD (for scripts), or run in a terminal"
        }
        Hint::Sync => "; run `hush sync` and try again",
        Hint::Members => " (see `hush members`)",
        Hint::SelectTeam => " (run `hush team use TEAM`)",
        Hint::Vaults => " (see `hush vault list`)",
        Hint::Witnesses => " (see `hush team witness list`)",
        Hint::CreateSecret => "; create it with `hush set`",
        Hint::RevokeService => " with `hush service revoke NAME`",
        Hint::RemoveMember => " with `hush remove NAME`",
    }
}

/// What to append to an alert's detail for `hint`, naming the alert's `subject` in the command.
pub fn for_subject(hint: Hint, subject: &str) -> String {
    match hint {
        Hint::RevokeService => format!(": hush service revoke {subject}"),
        Hint::RemoveMember => format!(": hush remove {subject}"),
        other => words(other).to_owned(),
    }
}

/// The hint of the first core error in an error's chain that has one.
pub fn of(e: &anyhow::Error) -> Option<Hint> {
    e.chain()
        .filter_map(|c| c.downcast_ref::<hush_core::Error>())
        .find_map(hush_core::Error::hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_hint_is_found_under_context_and_worded_as_a_command() {
        let e: anyhow::Error = hush_core::Error::NotInitialized("/h".into()).into();
        let e = Err::<(), _>(e).context("opening").expect_err("err");
        assert_eq!(of(&e), Some(Hint::Init));
        assert!(words(Hint::Init).contains("`hush init --name NAME`"));
        let plain = anyhow::anyhow!("no core error here");
        assert_eq!(of(&plain), None);
        for h in [Hint::Sync, Hint::Members, Hint::Vaults, Hint::Unlock] {
            assert!(words(h).contains("`hush "), "{h:?}");
        }
        assert_eq!(
            for_subject(Hint::RevokeService, "ci"),
            ": hush service revoke ci"
        );
        assert_eq!(for_subject(Hint::RemoveMember, "old"), ": hush remove old");
    }
}
