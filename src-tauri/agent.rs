//! The CLI's agent protocol, served by the app while it is unlocked.
//!
//! `hush get`, `hush run` and the rest find `agent.sock` in the data directory and use the
//! app's session instead of asking for the password, exactly as with `hush unlock`. The socket
//! goes away when the app locks, and `hush lock` locks the app. CLI requests do not reset the
//! app's idle timer: a script polling through the agent must not keep an unattended window
//! unlocked. If a `hush unlock` agent is already running, the app leaves it alone and does not
//! serve (the CLI keeps using that agent).

use crate::dto::LockReason;
use crate::state::{AgentServer, Desktop};

/// Starts serving, unless another agent answers on the socket.
pub fn start(d: &Desktop) -> Option<AgentServer> {
    let home = d.home().to_owned();
    if std::os::unix::net::UnixStream::connect(hush_core::agent::socket_path(&home)).is_ok() {
        eprintln!(
            "hush-desktop: a `hush unlock` agent is already running; the app does not serve the CLI"
        );
        return None;
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let d = d.clone();
    let task = tauri::async_runtime::spawn(async move {
        let served = hush_core::agent::serve_shared(
            &home,
            d.shared().clone(),
            async {
                let _ = stop_rx.await;
            },
            || {},
            || {},
        )
        .await;
        match served {
            Ok(hush_core::agent::Stopped::LockRequested) => {
                let d = d.clone();
                tauri::async_runtime::spawn(async move { d.lock(LockReason::User).await });
            }
            Ok(hush_core::agent::Stopped::Stopped) => {}
            Err(e) => eprintln!("hush-desktop: cannot serve the CLI agent socket: {e}"),
        }
    });
    Some((stop_tx, task))
}
