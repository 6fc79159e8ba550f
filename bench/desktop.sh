#!/usr/bin/env bash
# Desktop benchmark: the release hush-desktop with 10,000 secrets against KeePassXC with the same
# 10,000 entries, both under one Xvfb screen. Measures (a) cold start to the unlocked list,
# (b) PSS of the app and all its child processes with the list shown, (c) search-as-you-type
# latency at 10k (Hush only), and KeePassXC's start-to-window time and PSS; prints a markdown
# table with the ratios and appends it to bench/README.md under "Desktop".
#
#   bench/desktop.sh                 build, seed, measure (3 runs each), append to bench/README.md
#   BENCH_RUNS=5 bench/desktop.sh    more runs (medians are reported)
#   BENCH_SKIP_BUILD=1 ...           reuse target/release binaries and ui/dist
#   BENCH_NO_README=1 ...            print the table only
#
# Not part of CI. Installs what is missing (Debian packages, tauri-driver). Work files (the two
# stores, the generated data, screenshots, the raw JSON) go to target/bench-desktop/.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

# shellcheck disable=SC1091
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
export PATH="$HOME/.cargo/bin:$PATH"

N="${BENCH_SECRETS:-10000}"
RUNS="${BENCH_RUNS:-3}"
PASSWORD='bench: correct horse battery staple'
KPXC_TITLE='hush-bench'
# `keepassxc-cli import -t` tunes the database's KDF (AES-KDF rounds) to a target time; give it
# about what Hush's Argon2id (64 MiB, t=3, p=4) takes here, so neither start pays a slower KDF.
KPXC_DECRYPT_MS="${BENCH_KPXC_DECRYPT_MS:-200}"

./scripts/setup.sh
need_apt=()
for pkg in xvfb xauth webkit2gtk-driver xdotool imagemagick keepassxc fonts-dejavu-core python3; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    need_apt+=("$pkg")
  fi
done
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bench: installing ${need_apt[*]}" >&2
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${need_apt[@]}"
fi
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "bench: installing tauri-driver (cargo install, ~1 min)" >&2
  cargo install tauri-driver --locked
fi

target="${CARGO_TARGET_DIR:-$root/target}"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -x "$target/release/hush-desktop" ] || [ ! -x "$target/release/hush" ]; then
  (cd ui && { [ -d node_modules/webdriverio ] || npm ci --no-audit --no-fund; } && npm run build)
  # The UI is embedded at compile time, so it is built first.
  cargo build --release --locked -p hush-desktop -p hush-cli
else
  (cd ui && { [ -d node_modules/webdriverio ] || npm ci --no-audit --no-fund; })
fi
hush="$target/release/hush"

work="$target/bench-desktop"
rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"

# ---- the data: one list of N secrets for both apps ---------------------------------------------
echo "bench: generating $N secrets" >&2
python3 - "$N" "$work" "$KPXC_TITLE" <<'PY'
import base64, json, random, sys, uuid
from xml.sax.saxutils import escape

n, work, title = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = random.Random(20261128)
services = ["payments", "billing", "infra", "auth", "search", "mail", "analytics", "storage",
            "queue", "cdn", "dns", "monitoring", "logging", "ci", "deploy", "crm", "support",
            "ml", "data", "web"]
kinds = ["API_KEY", "TOKEN", "SECRET", "DSN", "PASSWORD", "WEBHOOK_SECRET"]
providers = ["Stripe", "AWS", "GitHub", "Sentry", "Twilio", "Postgres", "Redis", "OpenAI",
             "Cloudflare", "Datadog", "Slack", "SendGrid"]
owners = ["platform", "growth", "core", "security", "data", "mobile"]
envs = ["prod", "staging", "dev"]
alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
rows = []
for i in range(n):
    svc = services[i % len(services)]
    name = f"{svc.upper()}_{i:05d}_{kinds[i % len(kinds)]}"
    note = f"{rng.choice(providers)} credential for the {svc} service, owned by team {rng.choice(owners)}"
    value = "sk_" + "".join(rng.choice(alphabet) for _ in range(40))
    rows.append((svc, name, note, svc, envs[i % len(envs)], value))
with open(f"{work}/secrets.tsv", "w") as f:
    for r in rows:
        f.write("\t".join(r) + "\n")

def u():
    return base64.b64encode(uuid.UUID(int=rng.getrandbits(128)).bytes).decode()

out = ['<?xml version="1.0" encoding="utf-8" standalone="yes"?>', "<KeePassFile>",
       f"<Meta><Generator>hush-bench</Generator><DatabaseName>{title}</DatabaseName></Meta>",
       "<Root>", f"<Group><UUID>{u()}</UUID><Name>{title}</Name>"]
# Every entry in the root group (the vault as a tag), so that KeePassXC opens on a list of all
# of them, as Hush opens on "All secrets".
for (s, name, note, t1, t2, value) in rows:
    out.append(
        f"<Entry><UUID>{u()}</UUID><Tags>{t1};{t2}</Tags>"
        f"<String><Key>Title</Key><Value>{escape(name)}</Value></String>"
        f"<String><Key>UserName</Key><Value></Value></String>"
        f"<String><Key>Password</Key><Value ProtectInMemory=\"True\">{escape(value)}</Value></String>"
        f"<String><Key>URL</Key><Value></Value></String>"
        f"<String><Key>Notes</Key><Value>{escape(note)}</Value></String></Entry>")
out += ["</Group>", "</Root>", "</KeePassFile>"]
with open(f"{work}/keepass.xml", "w") as f:
    f.write("\n".join(out))

# Search queries as a person types them: "<vault> <number>"; the named secret must come first.
picks = rng.sample(range(n), 28)
queries = [{"q": f"{rows[i][0]} {i:05d}", "expect": rows[i][1]} for i in picks]
with open(f"{work}/queries.json", "w") as f:
    json.dump(queries, f)
PY

# ---- Hush: a store with N secrets, written through the CLI and its agent ----------------------
export HUSH_HOME="$work/hush"
echo "bench: seeding the Hush store ($N × hush set through the agent)" >&2
HUSH_PASSWORD="$PASSWORD" "$hush" init --name bench >/dev/null
HUSH_PASSWORD="$PASSWORD" "$hush" unlock --timeout 60m >/dev/null
cut -f1 "$work/secrets.tsv" | sort -u | while read -r vault; do "$hush" vault create "$vault" >/dev/null; done
seed_start=$(date +%s%N)
while IFS=$'\t' read -r vault name note tag1 tag2 value; do
  printf '%s' "$value" | "$hush" set "$vault/$name" --note "$note" --tag "$tag1" --tag "$tag2" 2>/dev/null || {
    echo "bench: hush set $vault/$name failed" >&2
    "$hush" lock >/dev/null || true
    exit 1
  }
done <"$work/secrets.tsv"
seed_ms=$((($(date +%s%N) - seed_start) / 1000000))
count=$("$hush" ls | wc -l)
"$hush" lock >/dev/null
unset HUSH_HOME
if [ "$count" -ne "$N" ]; then
  echo "bench: the Hush store holds $count secrets, not $N" >&2
  exit 1
fi
echo "bench: Hush store seeded in $((seed_ms / 1000)) s ($((seed_ms * 1000 / N)) µs per hush set)" >&2

# ---- KeePassXC: the same entries, imported from KeePass XML -----------------------------------
echo "bench: creating the KeePassXC database (import, decryption time $KPXC_DECRYPT_MS ms)" >&2
kp_start=$(date +%s%N)
printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" |
  keepassxc-cli import -q -p -t "$KPXC_DECRYPT_MS" "$work/keepass.xml" "$work/bench.kdbx" >/dev/null
kp_ms=$((($(date +%s%N) - kp_start) / 1000000))
kp_count=$(printf '%s\n' "$PASSWORD" | keepassxc-cli ls -q -R -f "$work/bench.kdbx" | grep -vc '/$' || true)
if [ "$kp_count" -ne "$N" ]; then
  echo "bench: the KeePassXC database holds $kp_count entries, not $N" >&2
  exit 1
fi
echo "bench: KeePassXC database created in $kp_ms ms" >&2

# ---- measure ----------------------------------------------------------------------------------
echo "bench: measuring ($RUNS runs of each, alternating)" >&2
load_before=$(cut -d' ' -f1 /proc/loadavg)
(cd ui && env -u DISPLAY \
  HUSH_DESKTOP_BIN="$target/release/hush-desktop" BENCH_HOME="$work/hush" BENCH_PASSWORD="$PASSWORD" \
  BENCH_SECRETS="$N" BENCH_QUERIES="$work/queries.json" BENCH_RUNS="$RUNS" \
  KPXC_DB="$work/bench.kdbx" KPXC_PASSWORD="$PASSWORD" KPXC_TITLE="$KPXC_TITLE" \
  BENCH_OUT="$work/results.json" BENCH_SHOTS="$work/screenshots" \
  xvfb-run -a -s "-screen 0 1280x800x24" node webkit/bench.mjs)

load_after=$(cut -d' ' -f1 /proc/loadavg)

# ---- report -----------------------------------------------------------------------------------
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
machine="$(nproc) vCPUs ($cpu), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, Linux $(uname -r)"
webkit=$(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null || echo '?')
kpxc=$(dpkg-query -W -f='${Version}' keepassxc 2>/dev/null || echo '?')
report=$(python3 - "$work/results.json" "$seed_ms" "$kp_ms" "$machine" "$webkit" "$kpxc" "$KPXC_DECRYPT_MS" "$load_before" "$load_after" <<'PY'
import datetime, json, sys
r = json.load(open(sys.argv[1]))
load = f"{sys.argv[8]} before and {sys.argv[9]} after the measurements"
seed_s, kp_s, machine, webkit, kpxc, kdf_ms = float(sys.argv[2]) / 1000, float(sys.argv[3]) / 1000, sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
h, k = r["hush"], r["keepassxc"]
mib = lambda kb: kb / 1024
parts = ", ".join(f"{p['comm']} {mib(p['kb']):.0f}" for p in sorted(h["pssParts"], key=lambda p: -p["kb"]))
kparts = ", ".join(f"{p['comm']} {mib(p['kb']):.0f}" for p in sorted(k["pssParts"], key=lambda p: -p["kb"]))
print(f"### {datetime.date.today().isoformat()}: {r['secrets']:,} secrets, median of {r['runs']} runs")
print()
print(f"{machine}; WebKitGTK {webkit}, KeePassXC {kpxc} (KDF tuned to {kdf_ms} ms by `keepassxc-cli import -t`); Hush release build; "
      f"1-minute load average {load}.")
print()
print("| figure | Hush | KeePassXC | Hush / KeePassXC |")
print("|---|---|---|---|")
print(f"| start to the unlocked list / open-database window | {h['coldStartMs']:.0f} ms | {k['toWindowMs']:.0f} ms | {h['coldStartMs'] / k['toWindowMs']:.2f}× |")
print(f"| PSS, app and child processes, list shown | {mib(h['pssKb']):.0f} MiB | {mib(k['pssKb']):.0f} MiB | {h['pssKb'] / k['pssKb']:.2f}× |")
print(f"| search-as-you-type, {r['secrets']:,} secrets (median of {h['searchQueries']}) | {h['searchMedianMs']:.1f} ms (max {h['searchMaxMs']:.1f}) | — | — |")
print()
ipc = ", ".join(f"`{c}` {ms} ms" for c, ms in sorted((h.get("ipcMs") or {}).items(), key=lambda x: -x[1]))
print(f"- Hush's start (the median run): {h['toUnlockScreenMs']:.0f} ms from the process start to the unlock screen, then {h['unlockToListMs']:.0f} ms "
      f"from submitting the password to the list ({h['rowsRendered']} rows rendered; the list holds up to 500 and renders them a page at a time as it scrolls) and the sidebar's count. "
      f"IPC calls as the page saw them (they wait for each other on the session's lock): {ipc}.")
if h.get("searchAnsweredMedianMs") is not None:
    print(f"- Search-as-you-type, split (medians): `search_secrets` answered {h['searchAnsweredMedianMs']:.1f} ms after the input event "
          f"(the call itself {h['searchIpcMedianMs']:.1f} ms: core search and JSON both ways); the rest, to the painted frame, is rendering the list.")
print(f"- Hush's PSS by process (MiB): {parts}; {mib(h['pssAfterSearchKb']):.0f} MiB after the searches.")
print(f"- KeePassXC's PSS by process (MiB): {kparts}.")
print(f"- Seeding: {r['secrets']:,} × `hush set` through the agent took {seed_s:.0f} s ({seed_s * 1000 / r['secrets']:.1f} ms each); "
      f"`keepassxc-cli import` of the same entries took {kp_s:.1f} s.")
PY
)
echo
echo "$report"
if [ "${BENCH_NO_README:-0}" != 1 ]; then
  # At the end of the "## Desktop" section (other sections may follow it), else of the file.
  REPORT="$report" python3 - bench/README.md <<'PY'
import os, sys
path = sys.argv[1]
text, block = open(path).read(), os.environ["REPORT"].strip("\n")
start = text.find("\n## Desktop\n")
end = text.find("\n## ", start + 1) if start != -1 else -1
if end == -1:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
else:
    text = text[:end].rstrip("\n") + "\n\n" + block + "\n" + text[end:]
open(path, "w").write(text)
PY
  echo "bench: added to bench/README.md (Desktop)" >&2
fi
echo "bench: screenshots and raw results in $work" >&2
