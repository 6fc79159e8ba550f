//! When the app locks by itself: after the auto-lock period without input, and when the
//! system goes to sleep or the screen locks.
//!
//! Idle time comes from the idle clock (`idle.rs`), which also counts time the system slept
//! through without us hearing about it, so such a laptop locks as soon as it wakes.
//!
//! Sleep and screen lock come from D-Bus on Linux: logind's `PrepareForSleep(true)` on the
//! system bus, logind's `Lock` signal for our session (`loginctl lock-session`, and what most
//! desktops send when the screen locks), and `ActiveChanged(true)` from the
//! `org.freedesktop.ScreenSaver` / `org.gnome.ScreenSaver` services on the session bus. Where a
//! bus or service is missing (containers, Xvfb, minimal window managers), only the idle timer
//! applies; the app prints which watchers could not start. We take no sleep inhibitor lock, so
//! the lock races the suspend: it normally completes first (it is a few milliseconds of work),
//! and the idle clock's wall-clock reading catches it otherwise.

use std::time::Duration;

use crate::dto::LockReason;
use crate::state::Desktop;

/// Locks the app when it has been idle for the auto-lock period. Runs for the app's lifetime.
pub async fn idle_loop(d: Desktop) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let limit = Duration::from_secs(u64::from(d.settings().auto_lock_mins) * 60);
        if d.is_unlocked() && d.idle().idle_for() >= limit {
            d.lock(LockReason::Idle).await;
        }
    }
}

/// Starts the idle timer and the system watchers.
pub fn spawn(d: &Desktop) {
    tauri::async_runtime::spawn(idle_loop(d.clone()));
    #[cfg(target_os = "linux")]
    {
        let d = d.clone();
        tauri::async_runtime::spawn(async move { linux::watch(d).await });
    }
}

#[cfg(target_os = "linux")]
pub(crate) mod linux {
    use futures_util::StreamExt;
    use zbus::Connection;

    use crate::dto::LockReason;
    use crate::state::Desktop;

    /// Locks on every signal `member` of `iface` at `path` from `dest` whose first argument is
    /// `true`.
    pub(crate) async fn lock_on(
        d: Desktop,
        conn: Connection,
        dest: &'static str,
        path: String,
        iface: &'static str,
        member: &'static str,
    ) -> zbus::Result<()> {
        let proxy = zbus::Proxy::new(&conn, dest, path, iface).await?;
        let mut signals = proxy.receive_signal(member).await?;
        while let Some(msg) = signals.next().await {
            let flag = if member == "Lock" {
                Ok(true)
            } else {
                msg.body().deserialize::<bool>()
            };
            if flag == Ok(true) {
                d.lock(LockReason::Sleep).await;
            }
        }
        Ok(())
    }

    async fn our_logind_session(conn: &Connection) -> zbus::Result<String> {
        let manager = zbus::Proxy::new(
            conn,
            "org.freedesktop.login1",
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
        )
        .await?;
        let path: zbus::zvariant::OwnedObjectPath = manager
            .call("GetSessionByPID", &(std::process::id()))
            .await?;
        Ok(path.as_str().to_owned())
    }

    pub async fn watch(d: Desktop) {
        let mut tasks = Vec::new();
        match Connection::system().await {
            Ok(sys) => {
                tasks.push(tokio::spawn(lock_on(
                    d.clone(),
                    sys.clone(),
                    "org.freedesktop.login1",
                    "/org/freedesktop/login1".into(),
                    "org.freedesktop.login1.Manager",
                    "PrepareForSleep",
                )));
                match our_logind_session(&sys).await {
                    Ok(path) => tasks.push(tokio::spawn(lock_on(
                        d.clone(),
                        sys,
                        "org.freedesktop.login1",
                        path,
                        "org.freedesktop.login1.Session",
                        "Lock",
                    ))),
                    Err(e) => eprintln!(
                        "hush-desktop: not in a logind session ({e}); screen-lock signals from logind are not watched"
                    ),
                }
            }
            Err(e) => eprintln!(
                "hush-desktop: no system D-Bus ({e}); the app will not lock when the system sleeps (the idle timer still applies)"
            ),
        }
        match Connection::session().await {
            Ok(session) => {
                for (dest, path, iface) in [
                    (
                        "org.freedesktop.ScreenSaver",
                        "/org/freedesktop/ScreenSaver",
                        "org.freedesktop.ScreenSaver",
                    ),
                    (
                        "org.gnome.ScreenSaver",
                        "/org/gnome/ScreenSaver",
                        "org.gnome.ScreenSaver",
                    ),
                ] {
                    tasks.push(tokio::spawn(lock_on(
                        d.clone(),
                        session.clone(),
                        dest,
                        path.into(),
                        iface,
                        "ActiveChanged",
                    )));
                }
            }
            Err(e) => eprintln!(
                "hush-desktop: no session D-Bus ({e}); the app will not lock when the screen locks (the idle timer still applies)"
            ),
        }
        for t in tasks {
            if let Ok(Err(e)) = t.await {
                eprintln!("hush-desktop: a sleep/screen-lock watcher stopped: {e}");
            }
        }
    }
}
