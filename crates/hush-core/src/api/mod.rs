//! The typed operation API every front end speaks.
//!
//! Each operation is a struct implementing [`Op`]: its fields are the arguments, its
//! [`Op::Output`] the typed answer, and [`Op::run`] the one implementation, on an unlocked
//! [`Session`]. A front end either runs an operation in-process (`op.run(&mut session)`) or
//! sends it to the agent ([`crate::agent::AgentClient::call`]), which runs the same [`Op::run`]
//! and sends the output back — so the CLI, the agent and the desktop app share every operation
//! and no front end matches on an answer's shape.
//!
//! On the agent socket a request is the [`Request`] enum as JSON (`{"op": "get", …fields}`) and
//! the answer is a [`Reply`]: `{"ok": output}` or `{"error": {"code", "message"}}`. Both sides
//! come from one build, so the output type is known to the caller from the operation it sent.

mod env;
mod members;
mod oversight;
mod secrets;
mod store;
mod transfer;

use std::future::Future;

use crate::error::{Error, Hint, Result};
use crate::membership::ExposedInfo;
use crate::secret::{SecretBuf, SecretString, expose_serde};
use crate::session::Session;
use crate::sync::SyncReport;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use env::{
    ChangeWaits, EnvCheck, EnvCheckReport, EnvDiff, EnvDiffReport, OverrideList, OverrideRemove,
    OverrideSet,
};
pub use members::{Access, Admit, Grant, Invite, Join, Members, RemoveMember, Revoke};
pub use oversight::{
    Audit, AuditVerify, DeviceActivity, DeviceAlerts, KnownValues, ServiceCreate, ServiceList,
    ServiceRevoke, WitnessAdd, WitnessList, WitnessRemove,
};
pub use secrets::{
    Attention, Conflicts, Exposed, Get, History, KeyStatus, Leaked, List, ListAll, NameAs,
    NameForm, ReadFor, RecordUsage, Remove, Resolve, ResolveConflict, Reveal, RevealedValue,
    Rotate, Search, Set, VaultValues, named_teams,
};
pub use store::{
    Lock, Ping, Sync, TeamCompared, TeamCreate, TeamList, TeamStatus, TeamUse, VaultCreate,
    VaultList, Verify, Whoami,
};
pub use transfer::{Export, ExportAll, Import};

/// One operation on an unlocked store, with its typed answer.
pub trait Op: Serialize + DeserializeOwned + Send + Into<Request> {
    /// What the operation answers.
    type Output: Serialize + DeserializeOwned + Send;

    /// Runs the operation on `s` (in-process, or in the agent for a request from a client).
    fn run(self, s: &mut Session) -> impl Future<Output = Result<Self::Output>> + Send;
}

/// Declares the [`Request`] enum (one variant per operation, tagged by its snake_case name) and
/// the agent's dispatch over it.
macro_rules! operations {
    ($($name:ident),* $(,)?) => {
        /// Any operation, as sent over the agent socket.
        #[derive(Debug, Serialize, Deserialize)]
        #[serde(tag = "op", rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum Request {
            $(
                #[allow(missing_docs)]
                $name($name),
            )*
        }

        $(
            impl From<$name> for Request {
                fn from(op: $name) -> Self {
                    Request::$name(op)
                }
            }
        )*

        impl Request {
            /// Runs the operation and encodes its answer as an `ok` [`Reply`] (into a buffer
            /// that is wiped when dropped: answers carry values).
            pub async fn serve(self, s: &mut Session) -> Result<SecretBuf> {
                match self {
                    $(Request::$name(op) => encode(&Reply::Ok(op.run(s).await?)),)*
                }
            }
        }
    };
}

operations!(
    Ping,
    Whoami,
    TeamCreate,
    TeamList,
    TeamUse,
    VaultCreate,
    VaultList,
    Set,
    Get,
    List,
    Search,
    History,
    Remove,
    Resolve,
    VaultValues,
    Verify,
    Lock,
    Sync,
    TeamStatus,
    TeamCompared,
    Invite,
    Join,
    Members,
    Admit,
    RemoveMember,
    Grant,
    Revoke,
    Access,
    Exposed,
    Conflicts,
    KeyStatus,
    Rotate,
    Leaked,
    Audit,
    AuditVerify,
    RecordUsage,
    ResolveConflict,
    ServiceCreate,
    ServiceList,
    ServiceRevoke,
    DeviceActivity,
    DeviceAlerts,
    Import,
    Export,
    ExportAll,
    KnownValues,
    WitnessAdd,
    WitnessList,
    WitnessRemove,
    ListAll,
    Attention,
    Reveal,
    NameAs,
    EnvDiff,
    EnvCheck,
    ChangeWaits,
    OverrideSet,
    OverrideRemove,
    OverrideList,
);

impl Request {
    /// Whether this asks the agent to lock (it answers, then stops serving).
    pub fn is_lock(&self) -> bool {
        matches!(self, Request::Lock(_))
    }
}

/// The answer to a request on the agent socket.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply<T> {
    /// The operation's output.
    Ok(T),
    /// The operation failed.
    Error {
        /// Stable error code ([`Error::code`]).
        code: String,
        /// Human-readable message.
        message: String,
        /// What the person can do next (each front end words it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hint: Option<Hint>,
    },
}

impl<T> Reply<T> {
    /// The error reply for `e`.
    pub fn error(e: &Error) -> Self {
        Reply::Error {
            code: e.code().into(),
            message: e.to_string(),
            hint: e.hint(),
        }
    }

    /// The output, or the error the other side reported.
    pub fn into_result(self) -> Result<T> {
        match self {
            Reply::Ok(v) => Ok(v),
            Reply::Error {
                code,
                message,
                hint,
            } => Err(Error::from_code(&code, message, hint)),
        }
    }
}

/// Encodes a reply as JSON into a buffer that leaves no copy when it grows and is wiped when
/// dropped (answers carry values).
pub fn encode<T: Serialize>(reply: &Reply<T>) -> Result<SecretBuf> {
    let mut body = SecretBuf::new();
    serde_json::to_writer(&mut body, reply)
        .map_err(|e| Error::Agent(format!("cannot encode message: {e}")))?;
    Ok(body)
}

/// A secret's value (the answer to [`Get`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct Revealed {
    /// The value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// It is this person's override, not the team's value (`hush override`).
    #[serde(default)]
    pub overridden: bool,
}

/// A name and its value (the answer to [`Resolve`] and [`VaultValues`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct NamedValue {
    /// Name or reference.
    pub name: String,
    /// Value.
    #[serde(with = "expose_serde")]
    pub value: SecretString,
    /// It is this person's override, not the team's value (`hush override`).
    #[serde(default)]
    pub overridden: bool,
}

/// One team's sync result (the answer to [`Sync`] is one per team).
#[derive(Debug, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// Team.
    pub team: String,
    /// The report, when it succeeded.
    pub report: Option<SyncReport>,
    /// The error code and message, when it failed.
    pub error: Option<(String, String)>,
    /// What to do about that error, which each front end words itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<crate::Hint>,
}

/// A removed member and the secrets it could read (the answer to [`RemoveMember`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct Removed {
    /// The member.
    pub member: crate::membership::MemberInfo,
    /// Secrets to rotate.
    pub exposed: Vec<ExposedInfo>,
}

/// A revoked service identity and the secrets it could read (the answer to [`ServiceRevoke`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceRevoked {
    /// The service.
    pub service: crate::service::ServiceInfo,
    /// Secrets to rotate if its token may have leaked.
    pub exposed: Vec<ExposedInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_keep_their_wire_names() {
        let v = serde_json::to_value(Request::from(Ping {})).unwrap();
        assert_eq!(v, serde_json::json!({"op": "ping"}));
        let v = serde_json::to_value(Request::from(TeamUse {
            name: "acme".into(),
        }))
        .unwrap();
        assert_eq!(v, serde_json::json!({"op": "team_use", "name": "acme"}));
        let back: Request = serde_json::from_value(serde_json::json!({"op": "lock"})).unwrap();
        assert!(back.is_lock());
    }

    #[test]
    fn an_error_reply_becomes_the_same_error() {
        let e = Error::NotFound("secret `a/B`".into());
        let bytes = encode(&Reply::<u32>::error(&e)).unwrap();
        let back: Reply<u32> = serde_json::from_slice(bytes.as_slice()).unwrap();
        let err = back.into_result().unwrap_err();
        assert_eq!(err.code(), e.code());
        assert_eq!(err.to_string(), e.to_string());
    }

    #[test]
    fn an_ok_reply_carries_the_typed_output() {
        let bytes = encode(&Reply::Ok(Revealed {
            value: SecretString::new("s3cret".into()),
            overridden: false,
        }))
        .unwrap();
        let back: Reply<Revealed> = serde_json::from_slice(bytes.as_slice()).unwrap();
        assert_eq!(back.into_result().unwrap().value.expose(), "s3cret");
    }
}
