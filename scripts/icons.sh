#!/usr/bin/env bash
# Regenerates the app icons from icons/hush.svg: RGBA PNGs (Tauri refuses RGB ones).
# Needs rsvg-convert (librsvg2-bin) and ImageMagick; installs them if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rsvg-convert >/dev/null 2>&1 || ! command -v convert >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends librsvg2-bin imagemagick
fi

render() { # size output
  rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio icons/hush.svg \
    | convert - -background none -alpha on "PNG32:icons/$2"
}
render 32 32x32.png
render 128 128x128.png
render 256 128x128@2x.png
render 512 icon.png
for f in 32x32.png 128x128.png 128x128@2x.png icon.png; do
  identify -format '%f %wx%h %[channels]\n' "icons/$f"
done
