#!/usr/bin/env bash
# The README's test command: sets up a fresh Debian/Ubuntu machine and runs every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

echo "== web UI (the desktop app embeds ui/dist at compile time)" >&2
./scripts/ui.sh

echo "== format" >&2
cargo fmt --all -- --check

echo "== lint" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== PostgreSQL for the scale-out tests" >&2
eval "$(./scripts/postgres-test.sh)"
export HUSH_REQUIRE_POSTGRES=1

echo "== tests" >&2
cargo test --workspace --locked
