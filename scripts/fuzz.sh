#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time and fails if any of them finds a crash.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 30 s per target, every target
#
# The machine has only the stable toolchain: RUSTC_BOOTSTRAP=1 lets it accept the nightly flags
# cargo-fuzz passes (sanitizer, coverage instrumentation). Each target starts from its seeds and
# past findings in fuzz/regressions/TARGET/ and keeps what it learns in fuzz/corpus/TARGET/
# (ignored by git). A crash leaves its input in fuzz/artifacts/TARGET/; copy it into
# fuzz/regressions/TARGET/ with a name that says what broke, and fix the bug: `cargo test -p
# hush-tests --test reliability` then replays it in the normal test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-30}"
shift || true
case "$SECONDS_PER_TARGET" in
    '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "== building ${#targets[@]} fuzz targets" >&2
start=$(date +%s)
if [ "$#" -gt 0 ]; then
    for t in "${targets[@]}"; do cargo fuzz build -O "$t" >&2; done
else
    cargo fuzz build -O >&2
fi
echo "== built in $(($(date +%s) - start)) s" >&2

failed=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "== fuzzing $t for ${SECONDS_PER_TARGET} s" >&2
    if ! cargo fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/regressions/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>"fuzz/$t.log"; then
        failed+=("$t")
        tail -n 40 "fuzz/$t.log" >&2
        echo "fuzz: $t FAILED; the input is in fuzz/artifacts/$t/ (copy it into fuzz/regressions/$t/)" >&2
    else
        runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/$t.log" | grep -o '[0-9]*$' || echo "?")
        cov=$(grep -o 'cov: [0-9]*' "fuzz/$t.log" | tail -n 1 | grep -o '[0-9]*' || echo "?")
        echo "FIGURE fuzz: $t: ${runs} inputs in ${SECONDS_PER_TARGET} s, coverage ${cov} edges, no crash" >&2
    fi
    rm -f "fuzz/$t.log"
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${SECONDS_PER_TARGET} s each, no crash" >&2
