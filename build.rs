//! Tauri's build step, with an app manifest: only the commands listed in
//! `src-tauri/command_list.rs` get permissions (`allow-<command>`), and the capabilities in
//! `capabilities/` grant exactly those, so nothing else is callable from the web view.

include!("src-tauri/command_list.rs");

macro_rules! command_names {
    ($($c:ident),*) => {
        &[$(stringify!($c)),*]
    };
}

const COMMANDS: &[&str] = with_commands!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=capabilities");
    println!("cargo:rerun-if-changed=src-tauri/command_list.rs");
    let attrs = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        // A build script reports failure by panicking; say why first.
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}
