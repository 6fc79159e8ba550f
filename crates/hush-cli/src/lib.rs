//! The `hush` command-line client: argument parsing, prompts and process plumbing over `hush-core`.
//!
//! Arguments are parsed into a pure [`cli::Cli`] before any I/O. Every command that touches
//! secrets becomes a typed [`hush_core::api::Op`] run by a [`backend::Backend`]: the running
//! agent when there is one, else a session this process unlocks itself. Data goes to stdout,
//! everything else to stderr; errors are one line that says what to do.

pub mod backend;
pub mod cli;
pub mod commands;
pub mod complete;
mod ctx;
mod hint;
pub mod lifecycle;
pub mod run;
pub mod scan;
pub mod service;
pub mod transfer;
pub mod witness;

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    use clap::Parser;
    // A TAB in a shell that sourced `hush completions SHELL`: answer and exit.
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .var(complete::COMPLETE_ENV)
        .bin("hush")
        .completer("hush")
        .complete();
    let cli = cli::Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("hush: error: {}", one_line(&e));
            1
        }
    }
}

/// An error and its causes on one line, with the CLI's words for the core's hint.
pub(crate) fn one_line(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    // anyhow's chain adds causes; the first cause usually says it best, keep both on one line.
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
    }
    if let Some(h) = hint::of(e) {
        s.push_str(hint::words(h));
    }
    s.replace('\n', " ")
}
