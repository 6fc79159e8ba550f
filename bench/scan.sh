#!/usr/bin/env bash
# Leak-scanning throughput: the real `hush scan` (10k known values + the key-shape rules, one
# thread pinned to one core) against detect-secrets 1.5.0 on the same generated tree.
#
#   bench/scan.sh                 # 200 MB tree, 10k values, 100 planted; about 3-5 minutes
#   SCAN_MB=50 bench/scan.sh      # smaller tree
#
# It builds release `hush` and the fixture helper, makes a throwaway store with VALUES random
# secrets (with the hush-core library: no plaintext value file), generates a deterministic tree of
# source-like text with PLANTED of those values and some provider-shaped keys in it, then times:
#   * `hush scan --threads 1` on the whole tree and on `subset/` (1% of it),
#   * `detect-secrets scan --all-files` on `subset/` (it is far slower; MB/s compares),
# both under `taskset -c 0`, wall clock, warm page cache: hush best of RUNS after a warm-up run,
# detect-secrets one run (it takes tens of seconds, so noise matters less). detect-secrets goes
# into a venv under target/ (pip, PyPI). Prints a markdown table; ratios, not absolute times,
# are what to compare between machines.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
MB=${SCAN_MB:-200}
VALUES=${SCAN_VALUES:-10000}
PLANTED=${SCAN_PLANTED:-100}
RUNS=${SCAN_RUNS:-3}
WORK=$ROOT/target/bench-scan
VENV=$ROOT/target/bench-scan-venv
DS_VERSION=1.5.0

command -v taskset >/dev/null || { echo "bench/scan.sh: needs taskset (util-linux)" >&2; exit 1; }
PIN=(taskset -c 0)

echo "== building (release)" >&2
cargo build --release --quiet -p hush-cli --bin hush
cargo build --release --quiet -p hush-tests --example scan_fixture
HUSH=$ROOT/target/release/hush
FIXTURE=$ROOT/target/release/examples/scan_fixture

if [ ! -x "$VENV/bin/detect-secrets" ] || ! "$VENV/bin/detect-secrets" --version | grep -qx "$DS_VERSION"; then
  echo "== installing detect-secrets $DS_VERSION into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "detect-secrets==$DS_VERSION"
fi

export HUSH_HOME=$WORK/home
export HUSH_PASSWORD="bench-scan password $$"
"$HUSH" lock >/dev/null 2>&1 || true
rm -rf "$WORK"
mkdir -p "$WORK"
trap '"$HUSH" lock >/dev/null 2>&1 || true' EXIT

echo "== store with $VALUES values, ${MB} MB tree with $PLANTED planted values" >&2
FIX=$("$FIXTURE" "$HUSH_HOME" "$WORK/tree" "$MB" "$VALUES" "$PLANTED")
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$FIX" "$1"; }

# The agent serves the values: no Argon2id inside the timed runs, as with an unlocked laptop.
"$HUSH" unlock --timeout 30m >/dev/null 2>&1

# best_of N CMD...: the fastest wall-clock seconds of N runs (after one warm-up run when N > 1;
# the warm-up also fills the page cache). Exit statuses 0 and 1 (found) are fine; anything else stops the bench.
best_of() {
  local runs=$1 best="" t0 t1 rc
  shift
  local first=1
  [ "$runs" -gt 1 ] && first=0
  for i in $(seq "$first" "$runs"); do
    t0=$(date +%s.%N)
    rc=0
    "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
    t1=$(date +%s.%N)
    if [ "$rc" -gt 1 ]; then
      echo "bench/scan.sh: '$*' failed ($rc):" >&2
      cat "$WORK/err" >&2
      exit 1
    fi
    [ "$i" -eq 0 ] && continue
    best=$(python3 -c 'import sys; a=float(sys.argv[2])-float(sys.argv[1]); b=sys.argv[3]; print(f"{a:.3f}" if b=="" or a<float(b) else b)' "$t0" "$t1" "$best")
  done
  echo "$best"
}

count_hush() { python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["findings"]; print(sum(x["kind"]=="value" for x in f), sum(x["kind"]=="rule" for x in f))' "$WORK/out"; }
count_ds() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(sum(len(v) for v in r.values()))' "$WORK/out"; }

echo "== hush scan, whole tree" >&2
T_FULL=$(best_of "$RUNS" "${PIN[@]}" "$HUSH" --json scan --threads 1 "$WORK/tree")
read -r FULL_VALUES FULL_RULES < <(count_hush)
KNOWN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["known_values"])' "$WORK/out")

echo "== hush scan, subset" >&2
T_SUB=$(best_of "$RUNS" "${PIN[@]}" "$HUSH" --json scan --threads 1 "$WORK/tree/subset")
read -r SUB_VALUES SUB_RULES < <(count_hush)

echo "== hush scan --patterns-only, subset" >&2
T_PAT=$(best_of "$RUNS" "${PIN[@]}" "$HUSH" --json scan --patterns-only --threads 1 "$WORK/tree/subset")

echo "== detect-secrets scan --all-files, subset" >&2
T_DS=$(cd "$WORK/tree/subset" && best_of 1 "${PIN[@]}" "$VENV/bin/detect-secrets" scan --all-files .)
DS_FOUND=$(count_ds)

BYTES=$(field bytes)
SUB_BYTES=$(field subset_bytes)
mbps() { python3 -c 'import sys; print(f"{int(sys.argv[1])/1e6/float(sys.argv[2]):.1f}")' "$1" "$2"; }
R_FULL=$(mbps "$BYTES" "$T_FULL")
R_SUB=$(mbps "$SUB_BYTES" "$T_SUB")
R_PAT=$(mbps "$SUB_BYTES" "$T_PAT")
R_DS=$(mbps "$SUB_BYTES" "$T_DS")
RATIO=$(python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.0f}")' "$R_SUB" "$R_DS")
RATIO_FULL=$(python3 -c 'import sys; print(f"{float(sys.argv[1])/float(sys.argv[2]):.0f}")' "$R_FULL" "$R_DS")

# Every planted value must be found, or the figure means nothing.
if [ "$FULL_VALUES" -lt "$(field planted_values)" ] || [ "$SUB_VALUES" -lt "$(field subset_planted_values)" ]; then
  echo "bench/scan.sh: hush missed planted values ($FULL_VALUES of $(field planted_values))" >&2
  exit 1
fi

cat <<EOF

Tree: $(field files) files, $(python3 -c "print(f'{$BYTES/1e6:.0f}')") MB; subset/: $(field subset_files) files, $(python3 -c "print(f'{$SUB_BYTES/1e6:.1f}')") MB. $KNOWN known values searched for. One core (taskset -c 0), warm cache; hush best of $RUNS, detect-secrets one run.

| tool | input | MB | seconds | MB/s | found (planted) |
|---|---|---:|---:|---:|---|
| hush scan --threads 1 (values + rules) | whole tree | $(python3 -c "print(f'{$BYTES/1e6:.0f}')") | $T_FULL | **$R_FULL** | $FULL_VALUES values ($(field planted_values)), $FULL_RULES shapes ($(field planted_shapes)) |
| hush scan --threads 1 (values + rules) | subset/ | $(python3 -c "print(f'{$SUB_BYTES/1e6:.1f}')") | $T_SUB | $R_SUB | $SUB_VALUES values ($(field subset_planted_values)), $SUB_RULES shapes ($(field subset_planted_shapes)) |
| hush scan --patterns-only --threads 1 | subset/ | $(python3 -c "print(f'{$SUB_BYTES/1e6:.1f}')") | $T_PAT | $R_PAT | shapes only |
| detect-secrets $DS_VERSION scan --all-files | subset/ | $(python3 -c "print(f'{$SUB_BYTES/1e6:.1f}')") | $T_DS | $R_DS | $DS_FOUND results (it cannot know vault values) |

Throughput ratio hush / detect-secrets: **${RATIO}x** on the same subset (each whole command, start-up
and, for hush, fetching $KNOWN values from the agent and building the matcher included), **${RATIO_FULL}x**
taking hush's whole-tree rate (where fixed costs are amortised).
EOF
