#!/usr/bin/env bash
# Builds the web UI into ui/dist, which the desktop app embeds at compile time (Tauri's
# generate_context! needs it before any `cargo build/test/clippy` of hush-desktop).
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run build
