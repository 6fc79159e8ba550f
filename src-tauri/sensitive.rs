//! Secret values at the IPC boundary.
//!
//! [`Sensitive`] wraps what the web view sends us (a master password, a secret's new value):
//! it is deserialized straight into the core's zeroizing [`SecretString`], its `Debug` redacts,
//! and it refuses to be serialized, so it cannot be logged or echoed back by accident (the
//! pattern of gitbutler's `Sensitive<T>`). [`Revealed`] is the one way out: the return type of
//! `reveal_secret`, the only command that hands a value to the web view.

use hush_core::secret::SecretString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret received from the web view.
pub struct Sensitive(pub SecretString);

impl<'de> Deserialize<'de> for Sensitive {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        hush_core::secret::expose_serde::deserialize(d).map(Sensitive)
    }
}

impl Serialize for Sensitive {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "refusing to serialize a sensitive value",
        ))
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

/// A value the person asked to see (`reveal_secret`): serializes as the plain string.
pub struct Revealed(pub SecretString);

impl Serialize for Revealed {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        hush_core::secret::expose_serde::serialize(&self.0, s)
    }
}

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Revealed(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_redacts_and_refuses_to_serialize() {
        let s: Sensitive = serde_json::from_str("\"hunter2-marker\"").expect("deserializes");
        assert_eq!(s.0.expose(), "hunter2-marker");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(serde_json::to_string(&s).is_err());
        let r = Revealed(SecretString::new("hunter2-marker".into()));
        assert!(!format!("{r:?}").contains("hunter2"));
        assert_eq!(
            serde_json::to_string(&r).expect("serializes"),
            "\"hunter2-marker\""
        );
    }
}
