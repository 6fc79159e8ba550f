#!/usr/bin/env bash
# The README's first command: sets up a fresh Debian/Ubuntu machine, builds the web UI and the
# desktop app (release), and starts it on the current display.
# Data lives in ~/.local/share/hush unless HUSH_HOME says otherwise (same as the CLI).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

./scripts/ui.sh
cargo build --release --locked -p hush-desktop -p hush-cli
bin_dir="${CARGO_TARGET_DIR:-$PWD/target}/release"
echo "built $bin_dir/hush-desktop (and the CLI, $bin_dir/hush, which talks to the app while it is unlocked)" >&2

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the window cannot open here." >&2
  echo "run it from a desktop session, or under a virtual one:" >&2
  echo "  xvfb-run -a -s '-screen 0 1280x800x24' $bin_dir/hush-desktop" >&2
  exit 1
fi
exec "$bin_dir/hush-desktop"
