#!/usr/bin/env bash
# The script behind action.yml (tested by tests/service.rs, which runs it as a runner would).
# Inputs come from the environment: HUSH_SERVICE_TOKEN, INPUT_VAULTS, INPUT_ENV_FILE, INPUT_RUN.
#
# 1. hush: the one on PATH, else built from the action's own source (HUSH_ACTION_SOURCE) with
#    cargo into the runner's temporary directory.
# 2. Masks: for every secret of every vault, each line of its value is printed as
#    `::add-mask::LINE`, which the runner hides from the log from then on. The values are read in
#    a child of `hush run`, so they never pass through this script's variables or argv.
# 3. The step: `hush run --mask --vault V... [--env-file F] -- bash -c "$INPUT_RUN"`; its exit
#    code is the action's.
set -euo pipefail

if [ -z "${HUSH_SERVICE_TOKEN:-}" ]; then
  echo "::error::hush: the token input is empty: pass a service token (hush service create), e.g. token: \${{ secrets.HUSH_SERVICE_TOKEN }}" >&2
  exit 2
fi
if [ -z "${INPUT_RUN:-}" ]; then
  echo "::error::hush: the run input is empty: give the command to run with the secrets" >&2
  exit 2
fi

if ! command -v hush >/dev/null 2>&1; then
  src="${HUSH_ACTION_SOURCE:?hush is not on PATH and the action source is unknown}"
  root="${RUNNER_TEMP:-/tmp}/hush-cli"
  echo "hush: building the CLI from $src (once per job)" >&2
  cargo install --quiet --locked --root "$root" --path "$src/crates/hush-cli"
  export PATH="$root/bin:$PATH"
fi

args=()
vaults=()
for v in ${INPUT_VAULTS:-}; do
  vaults+=("$v")
  args+=(--vault "$v")
done
if [ -n "${INPUT_ENV_FILE:-}" ]; then
  args+=(--env-file "$INPUT_ENV_FILE")
fi

# Register every value with the runner's masker (names from `hush ls`, values read by a child of
# `hush run`, which has them in its environment).
for v in "${vaults[@]}"; do
  names=$(hush ls "$v" | sed 's|^[^/]*/||' | grep -E '^[A-Za-z_][A-Za-z0-9_]*$' || true)
  [ -n "$names" ] || continue
  # shellcheck disable=SC2016
  HUSH_MASK_NAMES="$names" hush run --vault "$v" -- bash -c '
    while IFS= read -r name; do
      [ -n "$name" ] || continue
      while IFS= read -r line; do
        [ -n "$line" ] && printf "::add-mask::%s\n" "$line"
      done <<< "${!name-}"
    done <<< "$HUSH_MASK_NAMES"'
done

exec hush run --mask "${args[@]}" -- bash -c "$INPUT_RUN"
