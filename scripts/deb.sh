#!/usr/bin/env bash
# Builds the Debian package of the desktop app with the Tauri CLI (from npm: a prebuilt binary,
# no 16-minute `cargo install`). The CLI runs `npm run build` in ui/ itself (beforeBuildCommand).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if [ ! -d ui/node_modules ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi

# ui/ may list @tauri-apps/cli as a devDependency; otherwise npx fetches the same major.
if [ -x ui/node_modules/.bin/tauri ]; then
  tauri=(ui/node_modules/.bin/tauri)
else
  tauri=(npx --yes @tauri-apps/cli@2)
fi
"${tauri[@]}" build --bundles deb

target="${CARGO_TARGET_DIR:-$PWD/target}"
shopt -s nullglob
debs=("$target"/release/bundle/deb/*.deb)
if [ ${#debs[@]} -eq 0 ]; then
  echo "deb: no package in $target/release/bundle/deb" >&2
  exit 1
fi
for d in "${debs[@]}"; do
  echo "built $d" >&2
  dpkg-deb --info "$d" | sed -n '/Package:/p;/Version:/p;/Depends:/p'
  dpkg-deb --contents "$d" | awk '{print $NF}' | grep -E 'bin/|\.desktop$|icons/.*/hush' || true
done
