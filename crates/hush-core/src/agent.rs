//! The agent: a per-user background process that holds the unlocked account key.
//!
//! It listens on `agent.sock` in the data directory (directory 0700, socket 0600) and serves the
//! [`crate::api`] protocol: a 4-byte big-endian length, then a JSON document, in each direction.
//! Every connection's peer uid is checked against our own, so only the same user can talk to it
//! (root can anyway). It exits after an idle timeout or on `Lock`, dropping (and so zeroizing) the
//! keys it holds. The desktop app serves the same protocol on the same socket while unlocked.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

use crate::api::{Op, Reply, Request};
use crate::error::{Error, Result};
use crate::secret::SecretBuf;
use crate::session::Session;

/// Socket file name inside the data directory.
pub const SOCKET_FILE: &str = "agent.sock";
/// Largest frame accepted.
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Path of the agent socket for a home directory.
pub fn socket_path(home: &Path) -> PathBuf {
    home.join(SOCKET_FILE)
}

async fn write_frame(stream: &mut UnixStream, value: &impl serde::Serialize) -> Result<()> {
    // Frames carry values and keys: encode into a buffer that leaves no copy when it grows.
    let mut body = SecretBuf::new();
    serde_json::to_writer(&mut body, value)
        .map_err(|e| Error::Agent(format!("cannot encode message: {e}")))?;
    write_raw_frame(stream, body.as_slice()).await
}

/// Writes one length-prefixed frame of already encoded JSON.
async fn write_raw_frame(stream: &mut UnixStream, body: &[u8]) -> Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| Error::Agent("message too large".into()))?;
    stream
        .write_all(&len.to_be_bytes())
        .await
        .map_err(|e| Error::io("agent socket", e))?;
    stream
        .write_all(body)
        .await
        .map_err(|e| Error::io("agent socket", e))
}

async fn read_frame<T: serde::de::DeserializeOwned>(stream: &mut UnixStream) -> Result<Option<T>> {
    let mut len = [0u8; 4];
    match stream.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(Error::io("agent socket", e)),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(Error::Agent("message too large".into()));
    }
    let mut body = Zeroizing::new(vec![0u8; len]);
    stream
        .read_exact(&mut body)
        .await
        .map_err(|e| Error::io("agent socket", e))?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| Error::Agent(format!("malformed message: {e}")))
}

/// A connection to a running agent.
pub struct AgentClient {
    stream: UnixStream,
}

impl AgentClient {
    /// Connects to the agent of `home`, if one is running. A stale socket is removed.
    pub async fn connect(home: &Path) -> Option<Self> {
        let path = socket_path(home);
        if !path.exists() {
            return None;
        }
        match UnixStream::connect(&path).await {
            Ok(stream) => Some(Self { stream }),
            Err(_) => {
                // Nobody listens: the agent died without cleaning up.
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Sends an operation to the agent and waits for its typed answer.
    pub async fn call<O: Op>(&mut self, op: O) -> Result<O::Output> {
        let request: Request = op.into();
        write_frame(&mut self.stream, &request).await?;
        read_frame::<Reply<O::Output>>(&mut self.stream)
            .await?
            .ok_or_else(|| Error::Agent("the agent closed the connection".into()))?
            .into_result()
    }
}

/// Serves the agent protocol for `session` until idle for `idle` or locked.
///
/// `ready` is called once the socket is listening.
pub async fn serve(session: Session, idle: Duration, ready: impl FnOnce()) -> Result<()> {
    let home = session.home().to_owned();
    let path = socket_path(&home);
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| Error::io(format!("cannot listen on {}", path.display()), e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("cannot restrict the agent socket", e))?;
    }
    ready();
    let session = Arc::new(Mutex::new(Some(session)));
    let (activity_tx, mut activity_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let my_uid = nix::unistd::getuid().as_raw();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let peer_ok = stream.peer_cred().map(|c| c.uid() == my_uid).unwrap_or(false);
                if !peer_ok {
                    continue;
                }
                let session = session.clone();
                let activity = activity_tx.clone();
                tokio::spawn(async move {
                    let _ = serve_connection(stream, session, activity).await;
                });
            }
            msg = activity_rx.recv() => {
                if msg == Some(true) {
                    break;
                }
            }
            _ = tokio::time::sleep(idle) => break,
        }
    }
    // Remove the socket only if it is still ours (a newer agent may have replaced it).
    let _ = std::fs::remove_file(&path);
    if let Some(s) = session.lock().await.take() {
        s.close().await;
    }
    Ok(())
}

/// Why [`serve_shared`] stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The `stop` future completed (the owner locked).
    Stopped,
    /// A client sent [`crate::api::Lock`] (`hush lock`): the owner should lock now.
    LockRequested,
}

/// Serves the agent protocol for a session owned by someone else (the desktop app), until
/// `stop` completes or a client asks to lock.
///
/// Unlike [`serve`], this neither owns nor closes the session and has no idle timeout: the
/// owner decides when to lock, and a request that arrives after it took the session out of
/// `session` is answered "locked". `on_request` is called for every request served. The socket
/// is created as in [`serve`] (0600, peer uid checked) and removed on return if it is still the
/// one this call created.
pub async fn serve_shared(
    home: &Path,
    session: Arc<Mutex<Option<Session>>>,
    stop: impl std::future::Future<Output = ()>,
    on_request: impl Fn() + Send + Sync + 'static,
    ready: impl FnOnce(),
) -> Result<Stopped> {
    use std::os::unix::fs::MetadataExt;
    let path = socket_path(home);
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)
        .map_err(|e| Error::io(format!("cannot listen on {}", path.display()), e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("cannot restrict the agent socket", e))?;
    }
    let ours = std::fs::metadata(&path).map(|m| (m.dev(), m.ino())).ok();
    ready();
    let (activity_tx, mut activity_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let my_uid = nix::unistd::getuid().as_raw();
    tokio::pin!(stop);
    let why = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let peer_ok = stream.peer_cred().map(|c| c.uid() == my_uid).unwrap_or(false);
                if !peer_ok {
                    continue;
                }
                let session = session.clone();
                let activity = activity_tx.clone();
                tokio::spawn(async move {
                    let _ = serve_connection(stream, session, activity).await;
                });
            }
            msg = activity_rx.recv() => match msg {
                Some(true) => break Stopped::LockRequested,
                Some(false) => on_request(),
                None => {}
            },
            () = &mut stop => break Stopped::Stopped,
        }
    };
    drop(listener);
    if std::fs::metadata(&path).map(|m| (m.dev(), m.ino())).ok() == ours {
        let _ = std::fs::remove_file(&path);
    }
    Ok(why)
}

async fn serve_connection(
    mut stream: UnixStream,
    session: Arc<Mutex<Option<Session>>>,
    activity: tokio::sync::mpsc::UnboundedSender<bool>,
) -> Result<()> {
    while let Some(req) = read_frame::<Request>(&mut stream).await? {
        let lock = req.is_lock();
        let _ = activity.send(false);
        let reply = {
            let mut guard = session.lock().await;
            match guard.as_mut() {
                None => error_reply(&Error::Agent("the agent is locked".into())),
                Some(s) => match s.refresh().await {
                    Err(e) => error_reply(&e),
                    Ok(()) => match req.serve(s).await {
                        Err(e) => error_reply(&e),
                        Ok(answer) => match s.mark_seen().await {
                            Ok(()) => answer,
                            Err(e) => error_reply(&e),
                        },
                    },
                },
            }
        };
        write_raw_frame(&mut stream, reply.as_slice()).await?;
        if lock {
            let _ = activity.send(true);
            break;
        }
    }
    Ok(())
}

/// An encoded error reply (encoding a code and a message cannot fail).
fn error_reply(e: &Error) -> SecretBuf {
    crate::api::encode(&Reply::<()>::error(e)).unwrap_or_default()
}
