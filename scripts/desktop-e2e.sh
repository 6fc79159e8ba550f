#!/usr/bin/env bash
# Real-WebKit end-to-end tests of the desktop app: the built hush-desktop (Rust shell + embedded
# UI) driven by WebdriverIO through tauri-driver → WebKitWebDriver under Xvfb, against a real
# hush-relay on 127.0.0.1, two app instances with their own HUSH_HOME. The suite is
# ui/webkit/run.mjs; screenshots land in ui/webkit/screenshots/.
#
# Idempotent: installs only what is missing (Debian packages, tauri-driver), then builds
# hush-relay, the hush CLI, the UI and hush-desktop (debug), and runs the suite. Exits non-zero on any failure.
#
#   scripts/desktop-e2e.sh
#   HUSH_E2E_SKIP_BUILD=1 scripts/desktop-e2e.sh     reuse target/debug binaries and ui/dist
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
export PATH="$HOME/.cargo/bin:$PATH"

# Build packages for the app (WebKitGTK, …), Node.js and Rust.
./scripts/setup.sh

# Test packages: Xvfb, the WebKitGTK WebDriver, xclip to read the X clipboard, ImageMagick,
# a D-Bus launcher and a font for readable screenshots.
need_apt=()
for pkg in xvfb xauth webkit2gtk-driver xclip imagemagick dbus-x11 fonts-dejavu-core; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need_apt+=("$pkg")
  fi
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "desktop-e2e: installing ${need_apt[*]}" >&2
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "desktop-e2e: installing tauri-driver (cargo install, ~1 min)" >&2
  cargo install tauri-driver --locked
fi

target="${CARGO_TARGET_DIR:-$root/target}"
if [ "${HUSH_E2E_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$target/debug/hush-desktop" ] || [ ! -x "$target/debug/hush" ] || [ ! -f ui/dist/index.html ]; then
  (cd ui && npm ci --no-audit --no-fund && npm run build)
  # The UI is embedded at compile time, so it is built first.
  cargo build --locked -p hush-relay -p hush-cli -p hush-desktop
else
  (cd ui && [ -d node_modules/webdriverio ] || npm ci --no-audit --no-fund)
fi

export HUSH_DESKTOP_BIN="$target/debug/hush-desktop"
export HUSH_RELAY_BIN="$target/debug/hush-relay"
export HUSH_CLI_BIN="$target/debug/hush"

start=$(date +%s)
status=0
if [ -n "${DISPLAY:-}" ] && [ "${HUSH_E2E_USE_DISPLAY:-0}" = 1 ]; then
  (cd ui && node webkit/run.mjs) || status=$?
else
  # A fresh virtual screen (24-bit, as WebKitGTK needs) for this run only.
  (cd ui && env -u DISPLAY xvfb-run -a -s "-screen 0 1280x800x24" node webkit/run.mjs) || status=$?
fi
echo "desktop-e2e: $(( $(date +%s) - start )) s, exit $status" >&2
exit "$status"
