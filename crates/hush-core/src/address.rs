//! Addresses (`VAULT/NAME`, `TEAM/VAULT/NAME`) and references (`hush://VAULT/NAME`).
//!
//! References are what people commit to files instead of values; they are parsed strictly so a
//! typo is an error naming the reference, never a silently empty value.

use crate::error::{Error, Result};
use crate::item::validate_name;

/// The `hush://` scheme prefix.
pub const REF_PREFIX: &str = "hush://";

/// A secret's address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Address {
    /// Team name, when the vault name alone is ambiguous.
    pub team: Option<String>,
    /// Vault name.
    pub vault: String,
    /// Secret name.
    pub name: String,
}

impl Address {
    /// Parses `VAULT/NAME` or `TEAM/VAULT/NAME`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            Error::Invalid(format!(
                "malformed address {s:?}: expected VAULT/NAME or TEAM/VAULT/NAME"
            ))
        };
        let parts: Vec<&str> = s.split('/').collect();
        let (team, vault, name) = match parts.as_slice() {
            [v, n] => (None, *v, *n),
            [t, v, n] => (Some(*t), *v, *n),
            _ => return Err(bad()),
        };
        if let Some(t) = team {
            validate_name(t, "team").map_err(|_| bad())?;
        }
        validate_name(vault, "vault").map_err(|_| bad())?;
        validate_name(name, "secret").map_err(|_| bad())?;
        Ok(Address {
            team: team.map(str::to_owned),
            vault: vault.to_owned(),
            name: name.to_owned(),
        })
    }

    /// Parses a `hush://` reference.
    pub fn parse_reference(s: &str) -> Result<Self> {
        let rest = s.strip_prefix(REF_PREFIX).ok_or_else(|| {
            Error::Invalid(format!(
                "malformed reference {s:?}: must start with hush://"
            ))
        })?;
        Self::parse(rest).map_err(|_| {
            Error::Invalid(format!(
                "malformed reference {s:?}: expected hush://VAULT/NAME or hush://TEAM/VAULT/NAME"
            ))
        })
    }

    /// The reference form of this address.
    pub fn to_reference(&self) -> String {
        format!("{REF_PREFIX}{self}")
    }

    /// A `NAME=hush://…` line for an env file, naming the secret by its own name (which must be
    /// a valid environment variable name).
    pub fn to_env_line(&self) -> Result<String> {
        if !is_env_name(&self.name) {
            return Err(Error::Invalid(format!(
                "`{}` is not a valid environment variable name",
                self.name
            )));
        }
        Ok(format!("{}={}", self.name, self.to_reference()))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.team {
            Some(t) => write!(f, "{t}/{}/{}", self.vault, self.name),
            None => write!(f, "{}/{}", self.vault, self.name),
        }
    }
}

/// True for names usable as environment variables: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lines_name_the_secret_and_refuse_names_a_shell_cannot_take() {
        let a = Address::parse("prod/STRIPE_KEY").expect("address");
        assert_eq!(
            a.to_env_line().expect("env name"),
            "STRIPE_KEY=hush://prod/STRIPE_KEY"
        );
        let bad = Address::parse("prod/stripe-key").expect("address");
        assert!(matches!(bad.to_env_line(), Err(Error::Invalid(_))));
    }

    #[test]
    fn parses_addresses_and_references() {
        let a = Address::parse("prod/STRIPE_KEY").expect("two parts");
        assert_eq!(
            (a.team.as_deref(), a.vault.as_str(), a.name.as_str()),
            (None, "prod", "STRIPE_KEY")
        );
        let b = Address::parse("acme/prod/STRIPE_KEY").expect("three parts");
        assert_eq!(b.team.as_deref(), Some("acme"));
        assert_eq!(b.to_reference(), "hush://acme/prod/STRIPE_KEY");
        assert_eq!(
            Address::parse_reference("hush://prod/K").ok(),
            Some(Address::parse("prod/K").expect("ok"))
        );
        for bad in ["", "prod", "prod/", "/K", "a/b/c/d", "prod//K", "prod/ K"] {
            assert!(Address::parse(bad).is_err(), "{bad:?}");
        }
        for bad in ["prod/K", "hush:/prod/K", "hush://prod", "https://prod/K"] {
            assert!(Address::parse_reference(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn env_names() {
        assert!(is_env_name("STRIPE_KEY"));
        assert!(is_env_name("_x1"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("my-key"));
        assert!(!is_env_name(""));
    }
}
