#!/usr/bin/env python3
"""Hush side by side with pass, gopass, age, keepassxc-cli, dotenvx and detect-secrets.

Run through `bench/compare` (which installs the tools and builds Hush in release mode); this file
does the measuring and writes docs/BENCHMARKS.md. Every figure is the wall time of one command
line started through `bash -c` (so every figure, the `true` baseline included, carries the same
~1 ms of bash start-up), measured with `time.perf_counter`. Operations are repeated in rounds, and
within a round the tools take turns in an order that rotates from round to round, so drift on a
busy machine falls on every tool alike.

Nothing here is secret: the values are random strings made for the run, in a temporary directory
that is deleted at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shlex
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / "target" / "bench-compare"
HUSH_PASSWORD = "correct horse battery staple"
KEEPASS_PASSWORD = "bench-keepass-password"
MEMBERS = ["alice", "bob", "carol"]  # the three members; dave is granted and revoked
PROBE_INDEX = 42  # the secret every "read one" reads
SLOW_BUDGET = 150.0  # seconds: a row repeats only while its runs would stay under this (min 1)


class BenchError(Exception):
    """A command of the benchmark failed: the run stops with this one-line message."""


# ----------------------------------------------------------------------------------------------
# Timing and results


@dataclass
class Row:
    tool: str
    op: str
    n: int
    samples: list[float] = field(default_factory=list)
    note: str = ""

    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")


class Results:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, int], Row] = {}
        self.na: dict[tuple[str, str, int], str] = {}
        self.extra: dict[str, object] = {}

    def add(self, tool: str, op: str, n: int, secs: float, note: str = "") -> None:
        row = self.rows.setdefault((tool, op, n), Row(tool, op, n))
        row.samples.append(secs)
        if note:
            row.note = note
        print(f"    {tool:<14} {op:<34} N={n:<6} {human(secs)}", flush=True)

    def not_applicable(self, tool: str, op: str, n: int, why: str) -> None:
        self.na[(tool, op, n)] = why

    def median(self, tool: str, op: str, n: int) -> float | None:
        row = self.rows.get((tool, op, n))
        return row.median() if row and row.samples else None


def human(secs: float) -> str:
    if secs != secs:  # NaN
        return "–"
    if secs >= 100:
        return f"{secs:.0f} s"
    if secs >= 1:
        return f"{secs:.2f} s"
    if secs >= 1e-3:
        return f"{secs * 1e3:.1f} ms"
    return f"{secs * 1e6:.0f} µs"


def sh(script: str, env: dict[str, str], stdin: str | None = None, check: bool = True,
       ok_codes: tuple[int, ...] = (0,), cwd: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Runs `bash -c script`; returns (seconds, process). Fails on an unexpected exit code."""
    t0 = time.perf_counter()
    p = subprocess.run(["bash", "-c", script], env=env, input=stdin, capture_output=True,
                       text=True, cwd=cwd)
    secs = time.perf_counter() - t0
    if check and p.returncode not in ok_codes:
        err = (p.stderr.strip() or p.stdout.strip()).splitlines()
        raise BenchError(f"`{script.strip()[:160]}` exited {p.returncode}: "
                         f"{err[-1] if err else 'no output'}")
    return secs, p


def rotated(items: list, k: int) -> list:
    k %= len(items)
    return items[k:] + items[:k]


# ----------------------------------------------------------------------------------------------
# Generated data


@dataclass
class Data:
    n: int
    dir: Path
    names: list[str]  # payments/prod/KEY_00042
    values: list[str]

    @property
    def probe(self) -> tuple[str, str]:
        return self.names[PROBE_INDEX], self.values[PROBE_INDEX]

    @property
    def tsv(self) -> Path:
        return self.dir / "data.tsv"

    @property
    def dotenv(self) -> Path:
        return self.dir / "plain.env"

    @property
    def keepass_xml(self) -> Path:
        return self.dir / "keepass.xml"


def all_values(n: int) -> list[str]:
    """40-character random values; the same prefix for every N (seeded), so the values planted in
    the scan tree are in every N's vault."""
    rng = random.Random(20261128)
    alphabet = string.ascii_letters + string.digits
    return ["".join(rng.choice(alphabet) for _ in range(40)) for _ in range(n)]


def env_name(name: str) -> str:
    return name.rsplit("/", 1)[1]


def make_data(n: int, base: Path) -> Data:
    d = base / f"data-{n}"
    d.mkdir()
    names = [f"payments/prod/KEY_{i:05d}" for i in range(n)]
    values = all_values(n)
    data = Data(n, d, names, values)
    data.tsv.write_text("".join(f"{k}\t{v}\n" for k, v in zip(names, values)))
    data.dotenv.write_text("".join(f'{env_name(k)}="{v}"\n' for k, v in zip(names, values)))
    data.keepass_xml.write_text(keepass_xml(names, values))
    return data


def keepass_xml(names: list[str], values: list[str]) -> str:
    import base64
    import uuid
    from xml.sax.saxutils import escape

    def uid() -> str:
        return base64.b64encode(uuid.uuid4().bytes).decode()

    entries = "".join(
        f"<Entry><UUID>{uid()}</UUID>"
        f"<String><Key>Title</Key><Value>{escape(env_name(k))}</Value></String>"
        f"<String><Key>UserName</Key><Value></Value></String>"
        f"<String><Key>Password</Key><Value ProtectInMemory=\"True\">{escape(v)}</Value></String>"
        f"</Entry>\n"
        for k, v in zip(names, values))
    return ('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n'
            "<KeePassFile><Meta><Generator>hush bench/compare</Generator></Meta><Root>"
            f"<Group><UUID>{uid()}</UUID><Name>Root</Name>"
            f"<Group><UUID>{uid()}</UUID><Name>payments</Name>"
            f"<Group><UUID>{uid()}</UUID><Name>prod</Name>\n{entries}</Group></Group></Group>"
            "</Root></KeePassFile>\n")


WORDS = ("alpha beta gamma delta config value request response handler client server cache "
         "index record buffer stream parse render update delete create select insert order "
         "account payment invoice customer report metric event queue worker thread option "
         "result error status module import export return false true none self this").split()


@dataclass
class ScanTree:
    dir: Path
    bytes: int
    planted: list[tuple[str, str]]  # (relative path, kind)


def make_scan_tree(base: Path, values: list[str], size: int) -> ScanTree:
    """About `size` bytes of code-like text in 2 000 files, with 40 planted values: 30 values of
    the vault (quoted assignments and unquoted in log lines) and 10 AWS-style access key ids."""
    rng = random.Random(7)
    root = base / "scan-tree"
    files = 2000
    per_file = size // files
    planted: list[tuple[str, str]] = []
    plant_at = {i * (files // 40) + 7: i for i in range(40)}
    total = 0
    for f in range(files):
        rel = f"src/mod{f % 40:02d}/file{f:04d}.py"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        size_now = 0
        while size_now < per_file:
            w = rng.sample(WORDS, 5)
            line = f"    {w[0]}_{w[1]} = {w[2]}({w[3]}, {w[4]}_{rng.randrange(1000)})\n"
            lines.append(line)
            size_now += len(line)
        if f in plant_at:
            i = plant_at[f]
            if i < 30:
                v = values[100 + i]
                line = (f'API_TOKEN = "{v}"\n' if i % 2 == 0
                        else f"    log.info('calling payments with token {v}')\n")
                kind = "vault value"
            else:
                key = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
                line = f'AWS_ACCESS_KEY_ID = "{key}"\n'
                kind = "AWS key id"
            lines.insert(len(lines) // 2, line)
            planted.append((rel, kind))
        text = "".join(lines)
        path.write_text(text)
        total += len(text)
    return ScanTree(root, total, planted)


# ----------------------------------------------------------------------------------------------
# Environment


def base_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUSH_", "PASSWORD_STORE"))}
    env["PATH"] = os.pathsep.join([
        str(ROOT / "target" / "release"),
        str(TOOLS_DIR / "tools" / "node_modules" / ".bin"),
        str(TOOLS_DIR / "venv" / "bin"),
        env.get("PATH", "/usr/bin:/bin"),
    ])
    env["HOME"] = str(work / "home")  # keeps every tool's config out of the real home
    env["LC_ALL"] = "C.UTF-8"
    for who in ("AUTHOR", "COMMITTER"):  # gopass commits every change; git needs an identity
        env[f"GIT_{who}_NAME"] = "bench"
        env[f"GIT_{who}_EMAIL"] = "bench@bench.invalid"
    env.pop("EDITOR", None)
    env.pop("VISUAL", None)
    return env


# ----------------------------------------------------------------------------------------------
# The tools. Each `CMD` entry is the exact shell text that is timed; `show_commands` prints them.

PASS_CMD = {
    "setup": 'pass init "$ID_ALICE" "$ID_BOB" "$ID_CAROL"',
    "populate": ("while IFS=$'\\t' read -r name value; do "
                 "printf '%s\\n' \"$value\" | pass insert -m -f \"$name\" >/dev/null; done < \"$DATA\""),
    "add": "printf '%s\\n' \"$VALUE\" | pass insert -m -f \"$NAME\" >/dev/null",
    "grant": 'pass init "$ID_ALICE" "$ID_BOB" "$ID_CAROL" "$ID_DAVE"',
    "revoke": 'pass init "$ID_ALICE" "$ID_BOB" "$ID_CAROL"',
    "read": 'pass show "$NAME"',
    "search": 'pass find "$QUERY"',
}

GOPASS_CMD = {
    "setup": 'gopass init "$ID_ALICE" "$ID_BOB" "$ID_CAROL"',
    "populate": ("while IFS=$'\\t' read -r name value; do mkdir -p \"$PASSWORD_STORE_DIR/${name%/*}\"; "
                 "BENCH_VALUE=\"$value\" EDITOR=\"$PUT_EDITOR\" gopass insert -m -f \"$name\" "
                 "</dev/null >/dev/null; done < \"$DATA\""),
    "add": ("mkdir -p \"$PASSWORD_STORE_DIR/${NAME%/*}\"; BENCH_VALUE=\"$VALUE\" EDITOR=\"$PUT_EDITOR\" "
            "gopass insert -m -f \"$NAME\" </dev/null >/dev/null"),
    "grant": 'gopass init "$ID_ALICE" "$ID_BOB" "$ID_CAROL" "$ID_DAVE" >/dev/null',
    "revoke": 'gopass init "$ID_ALICE" "$ID_BOB" "$ID_CAROL" >/dev/null',
    "read": 'gopass show "$NAME"',
    "search": 'gopass find "$QUERY"',
}

AGE_CMD = {
    "setup": 'mkdir -p "$STORE/payments/prod"',
    "populate": ("while IFS=$'\\t' read -r name value; do "
                 "printf '%s' \"$value\" | age -R \"$RECIPIENTS3\" -o \"$STORE/$name.age\"; done < \"$DATA\""),
    "add": "printf '%s' \"$VALUE\" | age -R \"$RECIPIENTS3\" -o \"$STORE/$NAME.age\"",
    "grant": ("find \"$STORE\" -name '*.age' -print0 | while IFS= read -r -d '' f; do "
              "age -d -i \"$IDENTITY\" \"$f\" | age -R \"$RECIPIENTS4\" -o \"$f.new\" && mv \"$f.new\" \"$f\"; done"),
    "revoke": ("find \"$STORE\" -name '*.age' -print0 | while IFS= read -r -d '' f; do "
               "age -d -i \"$IDENTITY\" \"$f\" | age -R \"$RECIPIENTS3\" -o \"$f.new\" && mv \"$f.new\" \"$f\"; done"),
    "read": 'age -d -i "$IDENTITY" "$STORE/$NAME.age"',
    "search": "find \"$STORE\" -name \"*$QUERY*\"",
}

KEEPASS_CMD = {
    "populate": ("printf '%s\\n%s\\n' \"$KP_PASSWORD\" \"$KP_PASSWORD\" | "
                 "keepassxc-cli import -q -p \"$XML\" \"$DB\""),
    "add": ("printf '%s\\n%s\\n' \"$KP_PASSWORD\" \"$VALUE\" | "
            "keepassxc-cli add -q -p \"$DB\" \"$NAME\""),
    "revoke": ("printf '%s\\n%s\\n%s\\n' \"$KP_PASSWORD\" \"$KP_NEXT\" \"$KP_NEXT\" | "
               "keepassxc-cli db-edit -q -p \"$DB\""),
    "read": "printf '%s\\n' \"$KP_PASSWORD\" | keepassxc-cli show -q -s -a Password \"$DB\" \"$NAME\"",
    "search": "printf '%s\\n' \"$KP_PASSWORD\" | keepassxc-cli search -q \"$DB\" \"$QUERY\"",
}

DOTENVX_CMD = {
    "populate": 'cp "$PLAIN" .env && dotenvx encrypt -f .env >/dev/null',
    "add": 'dotenvx set "$KEY" "$VALUE" -f .env >/dev/null',
    "revoke": ('dotenvx decrypt -f .env >/dev/null && rm .env.keys && '
               'sed -i -e \'/^#\\//d\' -e \'/^DOTENV_PUBLIC_KEY=/d\' .env && dotenvx encrypt -f .env >/dev/null'),
    "read": 'dotenvx get "$KEY" -f .env',
    "search": 'grep -o "^[A-Za-z0-9_]*$QUERY[A-Za-z0-9_]*" .env',
    "run": "dotenvx run -q -f .env -- true",
}

HUSH_CMD = {
    "populate": 'hush import dotenv "$ENVFILE" --vault prod >/dev/null',
    "sync": "hush sync >/dev/null",
    "add": "printf '%s' \"$VALUE\" | hush set \"$NAME\"",
    "grant": "hush grant prod dave --role read",
    "revoke": "hush revoke prod dave >/dev/null",
    "remove": 'hush remove "$MEMBER" >/dev/null',
    "read": 'hush get "$NAME"',
    "search": 'hush search "$QUERY"',
    "run": "hush run --vault prod -- true",
    "invite": "hush invite --role member --expires 1h",
    "join": 'hush join "$CODE"',
    "admit": 'hush sync >/dev/null && hush admit "$MEMBER" >/dev/null && '
             'hush grant prod "$MEMBER" --role read >/dev/null && hush sync >/dev/null',
    "first-use": "hush sync >/dev/null && hush --team payments ls prod",
    "scan": 'cd "$TREE" && hush scan .',
}

OTHER_CMD = {
    "true": "true",
    "detect-secrets": 'cd "$TREE" && detect-secrets scan --all-files .',
}


def gpg_ids(gnupg: Path, env: dict[str, str]) -> dict[str, str]:
    ids = {}
    for who in ["alice", "bob", "carol", "dave"]:
        email = f"{who}@bench.invalid"
        sh(f"gpg --batch --passphrase '' --quick-gen-key '{who} <{email}>' future-default default never",
           env)
        ids[f"ID_{who.upper()}"] = email
    return ids


class Tool:
    name = ""
    cmd: dict[str, str] = {}

    def __init__(self, bench: "Bench", data: Data) -> None:
        self.bench = bench
        self.data = data
        self.env = dict(bench.env)
        self.added = 0

    def run(self, op: str, extra: dict[str, str] | None = None, **kw) -> tuple[float, subprocess.CompletedProcess]:
        env = dict(self.env)
        env.update(extra or {})
        return sh(self.cmd[op], env, **kw)

    # Per-round operations; each returns nothing and records into results.
    def fresh(self, k: int) -> None:
        raise NotImplementedError

    def populate(self) -> float:
        return self.run("populate")[0]

    def add_one(self) -> float:
        self.added += 1
        name = f"payments/prod/NEW_{self.added:03d}"
        return self.run("add", {"NAME": name, "KEY": env_name(name),
                                "VALUE": all_values(1)[0][::-1]})[0]

    def read_one(self) -> float:
        name, value = self.data.probe
        secs, p = self.run("read", {"NAME": name, "KEY": env_name(name)})
        if p.stdout.strip() != value:
            raise BenchError(f"{self.name}: read of {name} returned something else than its value")
        return secs

    def search(self) -> float:
        q = env_name(self.data.probe[0])
        secs, p = self.run("search", {"QUERY": q})
        if q not in p.stdout:
            raise BenchError(f"{self.name}: search for {q} did not find it")
        return secs


class PassTool(Tool):
    name = "pass"
    cmd = PASS_CMD

    def fresh(self, k: int) -> None:
        store = self.bench.work / f"pass-{self.data.n}-{k}"
        self.env.update(self.bench.gpg_env)
        self.env["PASSWORD_STORE_DIR"] = str(store)
        self.env["DATA"] = str(self.data.tsv)
        self.run("setup")


class GopassTool(PassTool):
    name = "gopass"
    cmd = GOPASS_CMD

    def fresh(self, k: int) -> None:
        store = self.bench.work / f"gopass-{self.data.n}-{k}"
        self.env.update(self.bench.gpg_env)
        self.env["PASSWORD_STORE_DIR"] = str(store)
        self.env["DATA"] = str(self.data.tsv)
        self.env["PUT_EDITOR"] = str(self.bench.put_editor)
        self.run("setup")


class AgeTool(Tool):
    name = "age"
    cmd = AGE_CMD

    def fresh(self, k: int) -> None:
        self.env.update(self.bench.age_env)
        self.env["STORE"] = str(self.bench.work / f"age-{self.data.n}-{k}")
        self.env["DATA"] = str(self.data.tsv)
        self.run("setup")


class KeepassTool(Tool):
    name = "keepassxc-cli"
    cmd = KEEPASS_CMD

    def fresh(self, k: int) -> None:
        self.env["DB"] = str(self.bench.work / f"keepass-{self.data.n}-{k}.kdbx")
        self.env["XML"] = str(self.data.keepass_xml)
        self.env["KP_PASSWORD"] = KEEPASS_PASSWORD
        self.revokes = 0

    def populate(self) -> float:
        secs = super().populate()
        _, p = sh("printf '%s\\n' \"$KP_PASSWORD\" | keepassxc-cli db-info -q \"$DB\"", self.env)
        kdf = next((l.split(":", 1)[1].strip() for l in p.stdout.splitlines() if l.startswith("KDF:")), "?")
        self.bench.keepass_kdf = kdf
        return secs

    def revoke(self) -> float:
        self.revokes += 1
        nxt = f"{KEEPASS_PASSWORD}-{self.revokes}"
        secs = self.run("revoke", {"KP_NEXT": nxt})[0]
        self.env["KP_PASSWORD"] = nxt
        return secs


class DotenvxTool(Tool):
    name = "dotenvx"
    cmd = DOTENVX_CMD

    def fresh(self, k: int) -> None:
        d = self.bench.work / f"dotenvx-{self.data.n}-{k}"
        d.mkdir()
        self.cwd = d
        self.env["PLAIN"] = str(self.data.dotenv)

    def run(self, op, extra=None, **kw):
        return super().run(op, extra, cwd=self.cwd, **kw)

    def revoke(self) -> float:
        secs = self.run("revoke")[0]
        if "encrypted:" not in (self.cwd / ".env").read_text():
            raise BenchError("dotenvx: the .env file is not encrypted after the new keypair")
        return secs

    def run_true(self) -> float:
        return self.run("run")[0]


class HushMember:
    """One member's HUSH_HOME."""

    def __init__(self, bench: "Bench", home: Path, name: str) -> None:
        self.name = name
        self.env = dict(bench.env)
        self.env["HUSH_HOME"] = str(home)
        self.env["HUSH_PASSWORD"] = HUSH_PASSWORD
        self.unlocked = False

    def hush(self, args: str, extra: dict[str, str] | None = None, **kw) -> tuple[float, subprocess.CompletedProcess]:
        env = dict(self.env)
        env.update(extra or {})
        return sh(args, env, **kw)

    def unlock(self) -> None:
        self.hush("hush unlock --timeout 12h")
        self.unlocked = True

    def lock(self) -> None:
        if self.unlocked:
            self.hush("hush lock", check=False)
            self.unlocked = False


class HushTool(Tool):
    name = "Hush"
    cmd = HUSH_CMD

    def __init__(self, bench: "Bench", data: Data) -> None:
        super().__init__(bench, data)
        self.env_file = data.dir / "hush.env"
        self.env_file.write_text("".join(f"{env_name(k)}={v}\n" for k, v in zip(data.names, data.values)))
        self.owner: HushMember | None = None
        self.members: dict[str, HushMember] = {}
        self.joiners = 0
        bench.hush_tools.append(self)

    def member(self, name: str, tag: str) -> HushMember:
        home = self.bench.work / f"hush-{self.data.n}-{tag}"
        return HushMember(self.bench, home, name)

    def fresh(self, k: int) -> None:
        if self.owner:
            self.owner.lock()
        o = self.member("alice", f"alice-{k}")
        o.hush("hush init --name alice >/dev/null")
        o.hush(f"hush team create payments --relay {self.bench.relay.url} >/dev/null")
        o.hush("hush vault create prod >/dev/null")
        o.unlock()
        self.owner = o
        self.env = o.env  # alice's commands (through her agent)

    def populate(self) -> float:
        assert self.owner
        secs = self.owner.hush(self.cmd["populate"], {"ENVFILE": str(self.env_file)})[0]
        push = self.owner.hush(self.cmd["sync"])[0]
        self.bench.results.add("Hush", "populate, then `hush sync` (push)", self.data.n, push)
        return secs

    def invite_and_admit(self, newcomer: HushMember, grant: bool) -> dict[str, float]:
        """The whole join of `newcomer`; returns the time of each step."""
        assert self.owner
        t = {}
        t["invite"], p = self.owner.hush(self.cmd["invite"])
        code = p.stdout.strip()
        if not code.startswith("hush1"):
            raise BenchError("hush invite did not print an invite code")
        t["join"], _ = newcomer.hush(self.cmd["join"], {"CODE": code})
        script = self.cmd["admit"] if grant else \
            'hush sync >/dev/null && hush admit "$MEMBER" >/dev/null && hush sync >/dev/null'
        t["admit"], _ = self.owner.hush(script, {"MEMBER": newcomer.name})
        return t

    def setup_members(self) -> None:
        """bob and carol read prod; dave is a member without access (granted and revoked later)."""
        assert self.owner
        for name in ["bob", "carol", "dave"]:
            m = self.member(name, name)
            m.hush(f"hush init --name {name} >/dev/null")
            self.invite_and_admit(m, grant=name != "dave")
            m.hush("hush sync >/dev/null")
            self.members[name] = m
        name, value = self.data.probe
        _, p = self.members["bob"].hush('hush get "$NAME"', {"NAME": name})
        if p.stdout.strip() != value:
            raise BenchError("Hush: bob cannot read the team's secret after the setup")

    def grant(self) -> float:
        assert self.owner
        secs = self.owner.hush(self.cmd["grant"])[0]
        sync = self.owner.hush(self.cmd["sync"])[0]
        self.bench.results.add("Hush", "grant, then `hush sync`", self.data.n, secs + sync)
        return secs

    def revoke(self) -> float:
        assert self.owner
        secs = self.owner.hush(self.cmd["revoke"])[0]
        sync = self.owner.hush(self.cmd["sync"])[0]
        self.bench.results.add("Hush", "revoke, then `hush sync`", self.data.n, secs + sync)
        return secs


    def read_no_agent(self) -> float:
        name, value = self.data.probe
        secs, p = self.members["bob"].hush(self.cmd["read"], {"NAME": name})
        if p.stdout.strip() != value:
            raise BenchError("Hush: bob's read returned something else than the value")
        return secs

    def run_true(self) -> float:
        assert self.owner
        return self.owner.hush(self.cmd["run"])[0]

    def join(self) -> tuple[float, float, str]:
        """A new device: invite → join → admit (+ grant read on prod) → first `hush ls` showing
        every secret. Returns (total, the newcomer's sync + ls, its name)."""
        self.joiners += 1
        m = self.member(f"newcomer{self.joiners}", f"newcomer{self.joiners}")
        m.hush(f"hush init --name {m.name} >/dev/null")
        t = self.invite_and_admit(m, grant=True)
        want = self.data.n + self.added
        secs, p = m.hush(self.cmd["first-use"])
        got = sum(1 for line in p.stdout.splitlines() if "/prod/" in f"/{line}")
        if got != want:
            raise BenchError(f"Hush: the new device lists {got} secrets of prod, not {want}")
        self.members[m.name] = m
        return sum(t.values()) + secs, secs, m.name

    def remove(self, name: str) -> float:
        assert self.owner
        return self.owner.hush(self.cmd["remove"], {"MEMBER": name})[0]

    def close(self) -> None:
        for m in [self.owner, *self.members.values()]:
            if m:
                m.lock()


# ----------------------------------------------------------------------------------------------
# The run


class Relay:
    """A `hush-relay` on SQLite with its rate limits lifted (every client is on 127.0.0.1)."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        db = work / "relay.db"
        self.proc = subprocess.Popen(
            ["hush-relay", "--listen", "127.0.0.1:0", "--database", f"sqlite://{db}",
             "--rate-per-ip", "1000000", "--rate-per-device", "1000000", "--burst", "1000000"],
            env={**env, "RUST_LOG": "warn"}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        assert self.proc.stdout
        line = self.proc.stdout.readline()
        prefix = "hush-relay listening on "
        if not line.startswith(prefix):
            self.proc.kill()
            raise BenchError(f"hush-relay did not start: {line.strip() or 'no output'}")
        self.url = "http://" + line[len(prefix):].strip()
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="hush-compare-"))
        (self.work / "home").mkdir()
        self.env = base_env(self.work)
        self.results = Results()
        self.runs = args.runs
        gnupg = self.work / "gnupg"
        gnupg.mkdir(mode=0o700)
        self.gpg_env = {"GNUPGHOME": str(gnupg)}
        self.put_editor = self.work / "put-editor.sh"
        self.put_editor.write_text('#!/bin/sh\nprintf \'%s\\n\' "$BENCH_VALUE" > "$1"\n')
        self.put_editor.chmod(0o755)
        self.age_env: dict[str, str] = {}
        self.relay: Relay | None = None
        self.team_table: list[str] = []
        self.hush_tools: list[HushTool] = []
        self.scan_findings: dict[tuple[str, int], tuple[int, set[str]]] = {}
        self.elapsed = 0.0
        self.versions: list[str] = []
        self.merged: tuple[str, str, list[int]] | None = None
        self.on_stage = lambda stage: None

    def setup_keys(self) -> None:
        print("generating GPG keys (ed25519/cv25519) and age keys for alice, bob, carol, dave", flush=True)
        self.gpg_env.update(gpg_ids(Path(self.gpg_env["GNUPGHOME"]), {**self.env, **self.gpg_env}))
        recips = []
        for who in ["alice", "bob", "carol", "dave"]:
            key = self.work / f"age-{who}.key"
            sh(f"age-keygen -o '{key}' 2>/dev/null", self.env)
            recips.append(sh(f"age-keygen -y '{key}'", self.env)[1].stdout.strip())
        (self.work / "recipients3.txt").write_text("\n".join(recips[:3]) + "\n")
        (self.work / "recipients4.txt").write_text("\n".join(recips) + "\n")
        self.age_env = {"IDENTITY": str(self.work / "age-alice.key"),
                        "RECIPIENTS3": str(self.work / "recipients3.txt"),
                        "RECIPIENTS4": str(self.work / "recipients4.txt")}

    def budget_left(self, tool: str, op: str, n: int, k: int) -> bool:
        """Round k (0-based) of a row runs if one more run (as long as its slowest so far) keeps
        the row's total time under SLOW_BUDGET; the first round always runs."""
        row = self.results.rows.get((tool, op, n))
        if k == 0 or not row:
            return True
        return sum(row.samples) + max(row.samples) <= SLOW_BUDGET

    def step(self, n: int, title: str) -> None:
        """Starts the next group of operations, first writing the report so far (a run cut short
        still leaves its figures)."""
        if self.results.rows:
            self.on_stage(f"N = {n} up to: {title}")
        print(f"  {title}", flush=True)

    def one_size(self, n: int) -> None:
        print(f"\n== N = {n}", flush=True)
        data = make_data(n, self.work)
        R = self.results
        every = [HushTool, PassTool, GopassTool, AgeTool, KeepassTool, DotenvxTool]
        classes = [c for c in every if c is HushTool or c.name in self.args.tools]
        for c in every:
            if c not in classes:
                for op in OPS[:-1]:
                    if not (c is not DotenvxTool and op == "`run -- true`"):
                        R.not_applicable(c.name, op, n, "not run at this N in this report (`--tools`): see the notes")
        runs = self.runs
        populate_runs = runs if n <= 1000 else min(runs, 3)

        self.step(n, "populate")
        tools: dict[str, Tool] = {}
        for k in range(populate_runs):
            for cls in rotated(classes, k):
                name = cls.name
                if k > 0 and not self.budget_left(name, "populate", n, k):
                    continue
                tool = tools.get(name) or cls(self, data)
                tool.fresh(k)
                R.add(name, "populate", n, tool.populate())
                tools[name] = tool
        hush = tools["Hush"]
        assert isinstance(hush, HushTool)
        self.step(n, "hush: bob, carol (read) and dave (no access) join the team")
        hush.setup_members()
        order = [tools[c.name] for c in classes]

        self.step(n, "read one secret")
        ok = self.budget_left
        for k in range(runs):
            for t in rotated(order, k):
                if ok(t.name, "read one secret", n, k):
                    R.add(t.name, "read one secret", n, t.read_one())
            R.add("Hush", "read one secret, no agent", n, hush.read_no_agent())

        self.step(n, "search names")
        for k in range(runs):
            for t in rotated(order, k):
                if ok(t.name, "search names", n, k):
                    R.add(t.name, "search names", n, t.search())

        self.step(n, "`run -- true`")
        dotenvx = tools.get("dotenvx")
        for k in range(runs):
            for who in rotated(["Hush", "dotenvx", "true"], k):
                if who == "dotenvx" and not isinstance(dotenvx, DotenvxTool):
                    continue
                if who == "Hush":
                    R.add("Hush", "`run -- true`", n, hush.run_true())
                elif who == "dotenvx" and ok("dotenvx", "`run -- true`", n, k):
                    R.add("dotenvx", "`run -- true`", n, dotenvx.run_true())
                elif who == "true":
                    R.add("`true` (baseline)", "`run -- true`", n, sh(OTHER_CMD["true"], self.env)[0])

        self.step(n, "add one secret")
        for k in range(runs):
            for t in rotated(order, k):
                if ok(t.name, "add one secret", n, k):
                    R.add(t.name, "add one secret", n, t.add_one())

        self.step(n, "grant a 4th member, then revoke them")
        for tool in [t for t in NO_GRANT if t in tools]:
            R.not_applicable(tool, "grant a 4th member read access", n, NO_GRANT[tool])
        for k in range(runs):
            for t in rotated(order, k):
                if not (ok(t.name, "revoke a member", n, k)
                        and ok(t.name, "grant a 4th member read access", n, k)):
                    continue
                if isinstance(t, (PassTool, AgeTool, HushTool)):
                    grant = t.grant() if isinstance(t, HushTool) else t.run("grant")[0]
                    R.add(t.name, "grant a 4th member read access", n, grant)
                    revoke = t.revoke() if isinstance(t, HushTool) else t.run("revoke")[0]
                    R.add(t.name, "revoke a member", n, revoke)
                else:
                    R.add(t.name, "revoke a member", n, t.revoke())  # type: ignore[attr-defined]

        self.step(n, "scan the tree")
        tree = self.scan_tree
        for k in range(runs):
            for who in rotated(["Hush", "detect-secrets"], k):
                if not self.budget_left(who, "scan 100 MB tree", n, k):
                    continue
                env = {**(hush.owner.env if hush.owner else self.env), "TREE": str(tree.dir)}
                if who == "Hush":
                    secs, p = sh(HUSH_CMD["scan"], env, ok_codes=(0, 1))
                    found = {rel for rel, _ in tree.planted if rel in p.stdout}
                    R.add("Hush", "scan 100 MB tree", n, secs)
                    self.scan_findings[("Hush", n)] = (len(p.stdout.splitlines()), found)
                else:
                    secs, p = sh(OTHER_CMD["detect-secrets"], {**self.env, "TREE": str(tree.dir)})
                    res = json.loads(p.stdout).get("results", {})
                    count = sum(len(v) for v in res.values())
                    found = {rel for rel, _ in tree.planted if any(f.endswith(rel) for f in res)}
                    R.add("detect-secrets", "scan 100 MB tree", n, secs)
                    self.scan_findings[("detect-secrets", n)] = (count, found)

        self.step(n, "new device joins the team until `hush ls` shows all secrets")
        joined = []
        for k in range(runs):
            total, first, name = hush.join()
            R.add("Hush", "new device usable (invite → ls)", n, total)
            R.add("Hush", "new device: first sync + ls", n, first)
            joined.append(name)

        self.step(n, "remove members (hush remove)")
        for name in joined:
            R.add("Hush", "remove a member from the team", n, hush.remove(name))
        hush.close()

    def run(self) -> None:
        try:
            self.versions = versions(self.env)  # while HOME (tools write config there) exists
            self.setup_keys()
            self.relay = Relay(self.work, self.env)
            print(f"relay at {self.relay.url}", flush=True)
            biggest = all_values(max(self.args.sizes))
            print("generating the scan tree", flush=True)
            self.scan_tree = make_scan_tree(self.work, biggest, self.args.scan_bytes)
            for i, n in enumerate(self.args.sizes):
                self.one_size(n)
                self.on_stage(f"N = {n} done")
                if i == 0 and not self.args.no_relay:
                    self.team_table = team_bench({**os.environ})
                    self.on_stage("relay harness done")
        finally:
            for h in self.hush_tools:
                h.close()
            if self.relay:
                self.relay.stop()
            sh("gpgconf --kill gpg-agent", {**self.env, **self.gpg_env}, check=False)
            if not self.args.keep:
                shutil.rmtree(self.work, ignore_errors=True)
            else:
                print(f"kept {self.work}")


# ----------------------------------------------------------------------------------------------
# Report

OPS = ["populate", "add one secret", "grant a 4th member read access", "revoke a member",
       "read one secret", "search names", "`run -- true`", "scan 100 MB tree"]
TOOLS = ["Hush", "pass", "gopass", "age", "keepassxc-cli", "dotenvx", "detect-secrets",
         "`true` (baseline)"]
HUSH_ONLY = ["populate, then `hush sync` (push)", "grant, then `hush sync`", "revoke, then `hush sync`",
             "read one secret, no agent", "remove a member from the team",
             "new device usable (invite → ls)", "new device: first sync + ls"]

# Tools with no per-member access: what a "grant" would be.
NO_GRANT = {
    "keepassxc-cli": "one shared database password; handing it over gives read and write "
                     "access to every entry",
    "dotenvx": "one shared private key (`DOTENV_PRIVATE_KEY`); handing it over gives read "
               "access to every value",
}

# Why another tool is ahead of Hush, where it is: shown as a note when the ratio is below 1.
WHY = {
    "search names": "the names are plain file or variable names on disk: `find`, `pass find` and "
                    "`grep` list a directory or a file. Hush's names are encrypted; the agent "
                    "searches its decrypted index (ranked fuzzy match over names, notes and tags) "
                    "and answers over its socket.",
    "read one secret": "one process decrypts one small file with a key that needs no unlocking "
                       "(age identity file, GPG key without passphrase). Hush's `get` starts the "
                       "`hush` binary and asks the agent, which holds the unlocked store.",
    "add one secret": "one encryption into one new file. Hush seals, signs and hash-chains an "
                      "event, checks it against the team state and commits it to its SQLite store "
                      "in one transaction, through the agent.",
    "populate": "`keepassxc-cli import` encrypts one database file once (one KDF, one cipher "
                "pass). Hush seals every secret separately under the vault key and signs, "
                "hash-chains and checks one event per secret, so that teammates can verify who "
                "wrote what and sync it secret by secret.",
    "revoke a member": "the other tool replaces one key (a new database password or .env "
                       "keypair) without recording who may read what. Hush re-keys the vault for "
                       "the remaining readers, signs the change into the log and marks every "
                       "secret of the vault exposed (to be rotated).",
    "`run -- true`": "",
    "grant a 4th member read access": "",
    "scan 100 MB tree": "",
}


def machine() -> list[str]:
    def read(p: str) -> str:
        try:
            return Path(p).read_text()
        except OSError:
            return ""
    model = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
                  if l.startswith("model name")), platform.processor() or "unknown")
    mem = next((l.split(":", 1)[1].strip() for l in read("/proc/meminfo").splitlines()
                if l.startswith("MemTotal")), "unknown")
    mem_gib = f"{int(mem.split()[0]) / 1024 / 1024:.1f} GiB" if mem.split()[0].isdigit() else mem
    osname = next((l.split("=", 1)[1].strip('"') for l in read("/etc/os-release").splitlines()
                   if l.startswith("PRETTY_NAME=")), platform.system())
    return [f"`nproc`: {os.cpu_count()}", f"model name: {model}", f"RAM: {mem_gib}",
            f"kernel: {platform.release()}", f"OS: {osname}"]


def versions(env: dict[str, str]) -> list[str]:
    cmds = {
        "hush": "hush --version", "pass": "pass version | grep -o 'v[0-9.]*'",
        "gopass": "gopass version", "age": "age --version", "gpg": "gpg --version | head -1",
        "keepassxc-cli": "keepassxc-cli --version", "dotenvx": "dotenvx --version",
        "detect-secrets": "detect-secrets --version", "node": "node --version",
    }
    out = []
    for k, c in cmds.items():
        _, p = sh(c, env, check=False)
        out.append(f"{k} {p.stdout.strip().splitlines()[0] if p.stdout.strip() else '?'}")
    return out


def ratio_cell(other: float, hush: float | None) -> str:
    if hush is None or hush != hush:
        return "–"
    r = other / hush
    if 0.9 <= r < 1.1:
        return f"{r:.2f}× (about the same)"
    if r >= 1.0:
        return f"{r:.2f}× (Hush faster)"
    return f"**{r:.2f}× (Hush slower)**"


def render(bench: Bench, started: dt.datetime, load: tuple[str, str], cmdline: str,
           team_table: list[str], desktop: list[str], status: str) -> str:
    R = bench.results
    sizes = sorted(set(bench.args.sizes) | set(bench.merged[2] if bench.merged else []))
    out: list[str] = []
    w = out.append
    w("# Hush beside the tools teams use")
    w("")
    w("Generated by `bench/compare` (issue #6). Do not edit by hand: run it again.")
    if status != "complete":
        w("")
        w(f"**This report is {status}.**")
    w("")
    w("## Reproduce")
    w("")
    w("```sh")
    w("bench/compare            # everything this report shows, in one run")
    w("```")
    w("")
    w(f"This report: `{cmdline}`.")
    if bench.merged:
        src, cmd, ns = bench.merged
        w(f"It merges the figures of an earlier run (`{cmd}`, N = "
          f"{', '.join(str(n) for n in ns)}) read from `{src}`: each N was measured in one "
          "run, the tools alternating within it.")
    w("")
    w("`bench/compare` installs what is missing (Debian: `pass gopass age keepassxc gnupg tree "
      "python3-venv nodejs npm`; npm: `@dotenvx/dotenvx` under `target/bench-compare/tools`; "
      "PyPI: `detect-secrets` in `target/bench-compare/venv`), builds `hush` and `hush-relay` "
      "with `cargo build --release`, and runs `bench/compare.d/compare.py`. "
      "`bench/compare --quick` is N = 1 000 only with 3 runs and no relay harness.")
    w("")
    w("## Machine and run")
    w("")
    for line in machine():
        w(f"- {line}")
    w(f"- started {started:%Y-%m-%d %H:%M} UTC, took {bench.elapsed / 60:.0f} min; "
      f"load average {load[0]} at the start, {load[1]} at the end "
      "(other sessions share this machine: ratios within a run are what matter)")
    w(f"- versions: {', '.join(bench.versions)}")
    w("")
    w("## Hush and the others, same data, same run")
    w("")
    w(f"N secrets named `payments/prod/KEY_00000` … with 40-character random values, 3 members "
      f"(alice, bob, carol) who can read them, and dave as the 4th member who is granted read "
      f"access and then revoked. Each timed operation ran {bench.runs} times (see *runs*) in "
      "rounds, the tools taking turns in a rotating order; median, minimum and maximum wall "
      "time. *Ratio* is the other tool's median over Hush's for the same operation and N: "
      "above 1 Hush is faster.")
    w("")
    ahead = same = behind = 0
    for (tool, op, n), row in R.rows.items():
        h = R.median("Hush", op, n)
        if tool in ("Hush", "`true` (baseline)") or op not in OPS or not h:
            continue
        r = row.median() / h
        ahead, same, behind = (ahead + (r >= 1.1), same + (0.9 <= r < 1.1), behind + (r < 0.9))
    w(f"In short: of {ahead + same + behind} comparisons with another tool, Hush is faster in "
      f"{ahead}, about the same (within 10 %) in {same} and slower in {behind}; the slower ones "
      "are listed with the reason under the table.")
    w("")
    w("| tool | operation | N | median | min–max | runs | ratio (other / Hush) |")
    w("|---|---|---|---|---|---|---|")
    notes: list[str] = []
    for n in sizes:
        for op in OPS:
            hush_med = R.median("Hush", op, n)
            for tool in TOOLS:
                row = R.rows.get((tool, op, n))
                if row is None:
                    why = R.na.get((tool, op, n))
                    if why:
                        w(f"| {tool} | {op} | {n} | n/a | | | {why} |")
                    continue
                med = row.median()
                baseline = tool.startswith("`true`")
                if tool == "Hush":
                    cell = "1 (reference)"
                elif baseline and hush_med is not None:
                    cell = f"baseline: Hush adds {human(hush_med - med)}"
                else:
                    cell = ratio_cell(med, hush_med)
                if tool != "Hush" and not baseline and hush_med and med < 0.9 * hush_med:
                    notes.append(f"{tool}, {op}, N={n}: {WHY.get(op) or 'see the notes below.'}")
                w(f"| {tool} | {op} | {n} | {human(med)} | {human(min(row.samples))}–"
                  f"{human(max(row.samples))} | {len(row.samples)} | {cell} |")
            if op == "scan 100 MB tree" and ("Hush", op, n) not in R.rows:
                w(f"| Hush | {op} | {n} | pending | | | `hush scan` was not available |")
        for op in HUSH_ONLY:
            row = R.rows.get(("Hush", op, n))
            if row:
                w(f"| Hush | {op} | {n} | {human(row.median())} | {human(min(row.samples))}–"
                  f"{human(max(row.samples))} | {len(row.samples)} | Hush only |")
    w("")
    w("Rows with fewer runs than the others: an operation is repeated only while one more run "
      f"(as long as its slowest so far) keeps its total under {SLOW_BUDGET:.0f} s, and populating N = 10 000 is done at most 3 times (each "
      "populate needs a fresh store). The loops of `pass`, `gopass` and `age` start one process "
      "per secret, as a script using them has to.")
    w("")
    if bench.args.note:
        w("### Notes on this run")
        w("")
        for note in bench.args.note:
            w(f"- {note}")
        w("")
    if notes:
        w("### Where Hush is not ahead, and why")
        w("")
        seen = set()
        for note in notes:
            if note not in seen:
                w(f"- {note}")
                seen.add(note)
        w("")
    if bench.scan_findings:
        w("### What the scanners found")
        w("")
        tree = bench.scan_tree
        vault = sum(1 for _, k in tree.planted if k == "vault value")
        aws = len(tree.planted) - vault
        w(f"The tree: {len(set(p for p, _ in tree.planted)) and 2000} files, "
          f"{tree.bytes / 1e6:.0f} MB of generated code-like text, with {vault} values of the vault "
          f"(half as `API_TOKEN = \"…\"`, half unquoted in a log line) and {aws} AWS-style access "
          "key ids planted.")
        w("")
        w("| scanner | N | findings | planted files found |")
        w("|---|---|---|---|")
        for (who, n), (count, found) in sorted(bench.scan_findings.items(), key=lambda x: (x[0][1], x[0][0])):
            w(f"| {who} | {n} | {count} | {len(found)} of {len(tree.planted)} |")
        w("")
    w("## Each anchor's exact commands")
    w("")
    w("Every command runs through `bash -c` with the variables shown set by the script; values "
      "come from a TSV file (`name<TAB>value`) or the generated `.env`/XML. GPG keys are "
      "`gpg --batch --passphrase '' --quick-gen-key 'NAME <NAME@bench.invalid>' future-default "
      "default never` (ed25519/cv25519) in a throwaway `GNUPGHOME`; age keys come from "
      "`age-keygen`. `hush` runs with a separate `HUSH_HOME` per member and `HUSH_PASSWORD`; "
      "alice (the owner) has the agent unlocked (`hush unlock`), so her commands go through it; "
      "bob's \"no agent\" read derives the key from the password (Argon2id) every time. The team "
      "syncs through a local `hush-relay` on SQLite with its rate limits lifted "
      "(`--rate-per-ip 1000000 --rate-per-device 1000000 --burst 1000000`).")
    w("")
    for title, cmds in [("Hush", HUSH_CMD), ("pass", PASS_CMD), ("gopass", GOPASS_CMD),
                        ("age", AGE_CMD), ("keepassxc-cli", KEEPASS_CMD),
                        ("dotenvx", DOTENVX_CMD), ("baseline and detect-secrets", OTHER_CMD)]:
        w(f"**{title}**")
        w("")
        w("```sh")
        for op, c in cmds.items():
            w(f"# {op}")
            w(c)
        w("```")
        w("")
    w("Notes on the anchors:")
    w("")
    w("- `gopass` is Debian's package (1.5.0, github.com/aviau/gopass, a small Go reimplementation "
      "of pass, not gopasspw/gopass). It commits every change to git, cannot read a value from a "
      "pipe (so `$PUT_EDITOR` is a two-line script that writes `$BENCH_VALUE` into the file it is "
      "given) and does not create sub-directories (hence the `mkdir -p`).")
    w("- `pass` runs without git. `pass init` with a changed list of GPG ids re-encrypts every "
      "file (decrypt, encrypt to the new ids): that is its grant and its revoke.")
    w("- `age` has no store: one file per secret, and a grant or revoke re-encrypts every file to "
      "the new recipient list.")
    w(f"- `keepassxc-cli`: one KDBX file with the defaults of `keepassxc-cli import` (KDF: "
      f"{getattr(bench, 'keepass_kdf', '?')}): every command pays the unlock. A \"grant\" is handing over "
      "the database password (not applicable: all or nothing); a revoke is a new password "
      "(`db-edit -p`), which re-encrypts the file.")
    w("- `dotenvx`: one encrypted `.env` (secp256k1 + AES per value). A grant is handing over "
      "`DOTENV_PRIVATE_KEY` (not applicable: all or nothing); it has no rotate command in this "
      "version, so a revoke is decrypt, drop the keypair, encrypt with a new one. Its "
      "\"search\" is a `grep`: the variable names are plaintext.")
    w("- `detect-secrets` finds high-entropy strings and known key shapes; `hush scan` finds "
      "every value the vault holds (all versions) and known key shapes.")
    w("")
    w("## Hush's relay under load")
    w("")
    if team_table == [] and not bench.args.no_relay and not bench.args.team_log:
        w("Pending: the relay harness runs after N = 1 000.")
    elif team_table:
        src = (f"the log `{bench.args.team_log}` of `cargo bench -p hush-tests --bench team`"
               if bench.args.team_log else "`cargo bench -p hush-tests --bench team` in the same run")
        w(f"From {src} (in-process clients "
          "against real `hush-relay` processes on SQLite and PostgreSQL, rate limits lifted; "
          "`bench/README.md` explains each figure). Append rows: 1 client appending 2 000 events "
          "one by one, and 16 / 64 concurrent clients; pull and new-device rows use the harness's "
          "10k-secret team.")
        w("")
        out.extend(team_table)
    else:
        w("Not measured in this run (`--quick` or `--no-relay`): run `bench/compare` without them.")
    w("")
    w("## Desktop app beside KeePassXC")
    w("")
    out.extend(desktop)
    w("")
    return "\n".join(out)


def team_bench(env: dict[str, str]) -> list[str]:
    """Runs the relay harness and keeps its table's relay rows."""
    print("\n== relay harness: cargo bench -p hush-tests --bench team (5–10 min)", flush=True)
    log = TOOLS_DIR / "team-bench.log"
    with open(log, "w") as f:
        p = subprocess.run(["cargo", "bench", "-p", "hush-tests", "--bench", "team"], cwd=ROOT,
                           env=env, stdout=f, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        return [f"The harness failed (exit {p.returncode}); its output is in `{log.relative_to(ROOT)}`."]
    return team_rows(log.read_text())


def team_rows(text: str) -> list[str]:
    """The relay rows of the team harness's final table."""
    keep = ("append", "pull", "new device", "pushing", "next `sync_team`")
    rows = [l for l in text.splitlines()
            if l.startswith("| ") and any(k in l for k in keep) and " vs " not in l]
    return ["| figure | runs | median | min | max | note |", "|---|---|---|---|---|---|", *rows]


def desktop_table(env: dict[str, str]) -> list[str]:
    script = ROOT / "bench" / "desktop.sh"
    if not script.exists():
        return ["Pending: `bench/desktop.sh` (cold start and memory of the desktop app beside "
                "KeePassXC) does not exist yet."]
    print("\n== desktop: bench/desktop.sh (builds the release desktop app)", flush=True)
    p = subprocess.run(["bash", str(script)], cwd=ROOT, env={**env, "BENCH_NO_README": "1"},
                       capture_output=True, text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"`bench/desktop.sh` failed (exit {p.returncode}): {last}"]
    lines = p.stdout.rstrip().splitlines()
    start = max((i for i, l in enumerate(lines) if l.startswith("### ")), default=0)
    return ["From `BENCH_NO_README=1 bench/desktop.sh`, run by `bench/compare` after the rest:",
            "", *lines[start:]]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="N = 1000 only, 3 runs, no relay harness")
    ap.add_argument("--sizes", default="1000,10000", help="comma-separated N (default 1000,10000)")
    ap.add_argument("--runs", type=int, default=5, help="runs per operation (default 5)")
    ap.add_argument("--scan-mb", type=int, default=100, help="size of the scan tree in MB")
    ap.add_argument("--no-relay", action="store_true", help="skip the relay harness")
    ap.add_argument("--no-desktop", action="store_true", help="skip bench/desktop.sh")
    ap.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--tools", default="pass,gopass,age,keepassxc-cli,dotenvx",
                    help="the other tools to run (Hush and detect-secrets always run)")
    ap.add_argument("--merge", metavar="RESULTS_JSON",
                    help="start from the figures of an earlier run (its results.json)")
    ap.add_argument("--merge-command", default="an earlier run",
                    help="the command of the merged run, for the report")
    ap.add_argument("--note", action="append", default=[],
                    help="a sentence for the report's notes on this run (repeatable)")
    ap.add_argument("--team-log", metavar="LOG",
                    help="take the relay rows from this log of the team harness instead of running it")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.runs, args.no_relay = "1000", 3, True
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.tools = set(args.tools.split(","))
    if args.team_log:
        args.no_relay = True
    if args.runs < 1 or any(n <= PROBE_INDEX + 100 + 30 for n in args.sizes):
        print("compare: --runs must be at least 1 and every size above 130", file=sys.stderr)
        return 2
    args.scan_bytes = args.scan_mb * 1_000_000
    cmdline = shlex.join(["bench/compare", *sys.argv[1:]])

    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()
    bench = Bench(args)
    if args.merge:
        merged = json.loads(Path(args.merge).read_text())
        meta = merged.pop("_meta", {})
        for who, n, count, found in meta.get("scan", []):
            bench.scan_findings[(who, int(n))] = (int(count), set(found))
        for key, samples in merged.items():
            tool, op, n = key.split("|")
            row = bench.results.rows.setdefault((tool, op, int(n)), Row(tool, op, int(n)))
            row.samples.extend(samples)
            if tool in NO_GRANT and op == "revoke a member":
                bench.results.not_applicable(tool, "grant a 4th member read access", int(n),
                                             NO_GRANT[tool])
        bench.merged = (args.merge, meta.get("command") or args.merge_command,
                        sorted({int(k.split("|")[2]) for k in merged}))
    if args.team_log:
        bench.team_table = team_rows(Path(args.team_log).read_text())
    t0 = time.perf_counter()
    desktop = ["Not run yet."]

    def write(status: str) -> None:
        bench.elapsed = time.perf_counter() - t0
        load1 = os.getloadavg()
        doc = render(bench, started, (f"{load0[0]:.1f}", f"{load1[0]:.1f}"), cmdline,
                     bench.team_table, desktop, status)
        Path(args.out).write_text(doc)
        raw: dict[str, object] = {f"{t}|{o}|{n}": r.samples
                                  for (t, o, n), r in bench.results.rows.items()}
        raw["_meta"] = {"command": cmdline,
                        "scan": [[who, n, count, sorted(found)]
                                 for (who, n), (count, found) in bench.scan_findings.items()]}
        (TOOLS_DIR / "results.json").write_text(json.dumps(raw, indent=1))
        print(f"\nwrote {args.out} ({status})", flush=True)

    bench.on_stage = lambda stage: write(f"partial: {stage}, the run goes on")
    try:
        bench.run()
        if args.no_desktop:
            desktop = ["Skipped in this run (`--no-desktop`). `bench/desktop.sh` measures it (cold "
                       "start and memory with 10 000 secrets beside KeePassXC) and records its "
                       "figures in `bench/README.md` under *Desktop*; `bench/compare` without "
                       "`--no-desktop` runs it and copies its table here."]
        else:
            desktop = desktop_table({**os.environ})
    except BenchError as e:
        print(f"compare: error: {e}", file=sys.stderr)
        return 1
    write("complete")
    return 0

if __name__ == "__main__":
    sys.exit(main())
