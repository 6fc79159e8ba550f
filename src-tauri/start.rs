//! What the app starts when it unlocks: the CLI's agent socket ([`crate::agent`]) and the
//! background sync ([`crate::sync`]). This wiring sits above the app state, so `state.rs` never
//! names the modules that use it.

use std::future::Future;

use hush_core::session::{Session, WhoAmI};

use crate::error::CmdResult;
use crate::state::{Desktop, Running};

/// Opens a session with `open` (unlock or init) unless one is open, and starts what runs while
/// unlocked.
pub async fn unlock(
    d: &Desktop,
    open: impl Future<Output = hush_core::Result<Session>>,
) -> CmdResult<WhoAmI> {
    d.unlock_with(open, running).await
}

/// Starts serving the agent socket (unless another agent does) and the background sync loop.
fn running(d: &Desktop) -> Running {
    let agent = crate::agent::start(d);
    let me = d.clone();
    let sync = tauri::async_runtime::spawn(async move { crate::sync::run(me).await });
    Running {
        agent,
        tasks: vec![sync],
    }
}
