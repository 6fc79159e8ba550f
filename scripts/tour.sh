#!/usr/bin/env bash
# The README's "run it" command until the desktop app lands: builds the CLI and walks through
# a five-minute tour in a throwaway data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release --locked -p hush-cli
bin_dir="${CARGO_TARGET_DIR:-$PWD/target}/release"
export PATH="$bin_dir:$PATH"

demo="$(mktemp -d)"
trap 'hush lock >/dev/null 2>&1 || true; rm -rf "$demo"' EXIT
export HUSH_HOME="$demo/hush"
export HUSH_PASSWORD="tour password, do not reuse"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step hush init --name "$(whoami)"
step hush vault create payments-prod
# Values go on stdin (or a hidden prompt on a terminal): never in argv, where ps and shell
# history would keep them.
printf 'sk_live_tour_0123456789\n' | step hush set payments-prod/STRIPE_KEY --note "Stripe live key" --tag payments --rotate-every 90d
printf 'ghp_tour_token\n' | step hush set payments-prod/GITHUB_TOKEN
step hush ls
step hush search strp
step hush get payments-prod/STRIPE_KEY
printf 'sk_live_tour_rotated\n' | step hush rotate payments-prod/STRIPE_KEY
step hush history payments-prod/STRIPE_KEY
step hush unlock --timeout 5m
unset HUSH_PASSWORD
step hush run --vault payments-prod -- sh -c 'echo "the child sees STRIPE_KEY of ${#STRIPE_KEY} characters"'
step hush run --mask --vault payments-prod -- sh -c 'echo "leaky log line: $STRIPE_KEY"'
printf 'STRIPE=hush://payments-prod/STRIPE_KEY\nURL=https://api.example.com?key=${STRIPE}\n' >"$demo/.env"
step hush run --mask --env-file "$demo/.env" -- sh -c 'echo "URL=$URL"'
printf 'stripe_key: "{{ hush://payments-prod/STRIPE_KEY }}"\n' >"$demo/config.tpl"
step hush inject -i "$demo/config.tpl" -o "$demo/config.yml"
step ls -l "$demo/config.yml"
step hush audit verify
step hush lock
printf '\nDone. Everything above lived in %s and is now deleted.\n' "$demo"
