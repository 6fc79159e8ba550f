#!/usr/bin/env bash
# The README's test command: sets up a fresh Debian/Ubuntu machine and runs every check CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

echo "== web UI: build (the desktop app embeds ui/dist at compile time), types, lint, unit tests" >&2
./scripts/ui.sh
(cd ui && npm run check && npm run lint && npm test)

echo "== format" >&2
cargo fmt --all -- --check

echo "== lint" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== PostgreSQL for the scale-out tests" >&2
eval "$(./scripts/postgres-test.sh)"
export HUSH_REQUIRE_POSTGRES=1

echo "== the age tool, which must open a hush backup (tests/transfer.rs)" >&2
if ! command -v age >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends age
fi
export HUSH_REQUIRE_AGE=1

echo "== the real dotenvx, which hush's .env reading is compared with (tests/dotenvx.rs)" >&2
(cd tests/fixtures/dotenvx && npm ci --no-audit --no-fund --loglevel=error)
export HUSH_REQUIRE_DOTENVX=1

echo "== tests" >&2
cargo test --workspace --locked

echo "== UI flows in headless Chromium (mocked IPC)" >&2
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends chromium
fi
(cd ui && npm run e2e)

echo "== the real app in WebKit under Xvfb, against a real relay" >&2
./scripts/desktop-e2e.sh
