//! The `hush` binary.

fn main() {
    std::process::exit(hush_cli::main());
}
