//! Rules about this machine that every front end applies the same way: where the data directory
//! is, and what a new master password must be.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::secret::SecretString;

/// The environment variable naming the data directory (the CLI's `--home` reads it too).
pub const HOME_ENV: &str = "HUSH_HOME";

/// Shortest master password accepted for a new store, in characters (not bytes).
pub const MIN_MASTER_PASSWORD_CHARS: usize = 8;

/// The data directory: `explicit` (the CLI's `--home`, or `HUSH_HOME`) made absolute against
/// the current directory, else the platform default (`$XDG_DATA_HOME/hush`, else
/// `~/.local/share/hush`).
pub fn resolve_home(explicit: Option<PathBuf>) -> Result<PathBuf> {
    match explicit {
        Some(h) if h.as_os_str().is_empty() => Err(Error::Invalid(format!(
            "the data directory ({HOME_ENV} or --home) is empty"
        ))),
        Some(h) if h.is_absolute() => Ok(h),
        Some(h) => std::env::current_dir()
            .map(|d| d.join(h))
            .map_err(|e| Error::io("cannot read the current directory", e)),
        None => default_home().ok_or_else(|| {
            Error::Invalid(format!(
                "cannot find a data directory: set {HOME_ENV} (or pass --home)"
            ))
        }),
    }
}

/// The platform's data directory for Hush, if the environment names one.
pub fn default_home() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .map(|d| d.join("hush"))
}

/// Checks a new master password against the policy (at least
/// [`MIN_MASTER_PASSWORD_CHARS`] characters).
pub fn check_new_master_password(password: &SecretString) -> Result<()> {
    if password.expose().chars().count() < MIN_MASTER_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "the master password must be at least {MIN_MASTER_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rule_counts_characters_not_bytes() {
        // Seven characters, fourteen bytes: too short.
        let short = SecretString::new("ééééééé".into());
        assert!(matches!(
            check_new_master_password(&short),
            Err(Error::Invalid(_))
        ));
        let ok = SecretString::new("éééééééé".into());
        assert!(check_new_master_password(&ok).is_ok());
    }

    #[test]
    fn a_relative_home_is_made_absolute_and_an_empty_one_refused() {
        let h = resolve_home(Some(PathBuf::from("rel/hush"))).expect("relative home");
        assert!(h.is_absolute() && h.ends_with("rel/hush"));
        assert!(matches!(
            resolve_home(Some(PathBuf::new())),
            Err(Error::Invalid(_))
        ));
        let abs = PathBuf::from("/tmp/hush-home");
        assert_eq!(resolve_home(Some(abs.clone())).expect("absolute"), abs);
    }
}
