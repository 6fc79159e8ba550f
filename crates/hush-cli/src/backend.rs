//! Where requests go: the agent when one is running, else a session unlocked in this process.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hush_core::agent::AgentClient;
use hush_core::api::Op;
use hush_core::secret::SecretString;
use hush_core::session::{Session, system_clock};
use zeroize::Zeroizing;

/// The environment variable scripts use to pass the master password.
pub const PASSWORD_ENV: &str = "HUSH_PASSWORD";

/// A place to send requests.
pub enum Backend {
    /// The running agent.
    Agent(AgentClient),
    /// A session this process unlocked.
    Local(Box<Session>),
}

impl Backend {
    /// Connects to the agent, or unlocks the store with a password. With HUSH_SERVICE_TOKEN set,
    /// a session for that service identity that lives only in memory instead.
    pub async fn open(home: &Path) -> Result<Self> {
        if let Some(token) = service_token()? {
            let session = Session::open_service(&token, system_clock()).await?;
            return Ok(Backend::Local(Box::new(session)));
        }
        if !hush_core::store::Store::exists(home) {
            return Err(hush_core::Error::NotInitialized(home.to_owned()).into());
        }
        if let Some(client) = AgentClient::connect(home).await {
            return Ok(Backend::Agent(client));
        }
        let password = password("Master password: ")?;
        let session = Session::unlock(home, &password, system_clock()).await?;
        Ok(Backend::Local(Box::new(session)))
    }

    /// Runs one operation: in the agent, or on this process's session.
    pub async fn call<O: Op>(&mut self, op: O) -> Result<O::Output> {
        Ok(match self {
            Backend::Agent(c) => c.call(op).await?,
            Backend::Local(s) => op.run(s).await?,
        })
    }

    /// Closes a local session cleanly.
    pub async fn close(self) {
        if let Backend::Local(s) = self {
            s.close().await;
        }
    }
}

/// The service token from HUSH_SERVICE_TOKEN, if set (an empty variable counts as unset).
pub fn service_token() -> Result<Option<Zeroizing<String>>> {
    match std::env::var_os(hush_core::service::TOKEN_ENV) {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => v
            .into_string()
            .map(|s| Some(Zeroizing::new(s)))
            .map_err(|_| anyhow::anyhow!("{} is not valid UTF-8", hush_core::service::TOKEN_ENV)),
    }
}

/// The master password: from HUSH_PASSWORD, else a prompt on the terminal.
pub fn password(prompt: &str) -> Result<SecretString> {
    if let Some(p) = secret_from_env(PASSWORD_ENV)? {
        return Ok(p);
    }
    prompt_hidden(prompt)
}

/// A password or passphrase scripts pass in the environment variable `var`, if it is set.
pub(crate) fn secret_from_env(var: &str) -> Result<Option<SecretString>> {
    std::env::var_os(var)
        .map(|p| {
            p.into_string()
                .map(SecretString::new)
                .map_err(|_| anyhow::anyhow!("{var} is not valid UTF-8"))
        })
        .transpose()
}

/// Prompts on the controlling terminal without echo.
pub fn prompt_hidden(prompt: &str) -> Result<SecretString> {
    if std::fs::File::open("/dev/tty").is_err() {
        return Err(hush_core::Error::PasswordRequired.into());
    }
    let p = rpassword::prompt_password(prompt).context("cannot read from the terminal")?;
    Ok(SecretString::new(p))
}

/// A new password, confirmed (or HUSH_PASSWORD / the given variable for scripts).
pub fn new_password(env: &str) -> Result<SecretString> {
    if let Some(p) = secret_from_env(env)? {
        return Ok(p);
    }
    let a = prompt_hidden("New master password: ")?;
    hush_core::local::check_new_master_password(&a)?;
    let b = prompt_hidden("Repeat the password: ")?;
    if a != b {
        bail!("the passwords do not match");
    }
    Ok(a)
}

/// The data directory: --home / HUSH_HOME, else the platform default.
pub fn resolve_home(home: Option<PathBuf>) -> Result<PathBuf> {
    Ok(hush_core::local::resolve_home(home)?)
}
