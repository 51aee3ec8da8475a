#!/usr/bin/env python3
"""Benchmark harness behind bench/run (stdlib only). Read bench/README.md first.

One run = R rounds. In every round each tool (plain compiler, ours, ccache direct, ccache
preprocessor mode, Debian's sccache) takes its turn, in an order rotated by one per round so
that drift hits all tools alike. A tool's turn:

  cold   (only in the first --cold-rounds rounds) empty cache, fresh server, build every TU
  warm   fresh server, outputs removed, cache kept, build every TU: must be 100% hits
  tiny   hyperfine: a hit of a tiny C file           } the cache must answer every run
  mid    hyperfine: a hit of vendor/re2/re2/re2.cc   } with a hit, checked through its stats

Every tool builds in the same directory, so the objects of every build can be compared byte
for byte with the plain compiler's.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CACHE = Path(os.environ.get("BENCH_CACHE_DIR") or BENCH / ".cache").resolve()   # sources, work dirs
RESULTS = BENCH / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Pinned third-party sources (npm registry). integrity = the registry's dist.integrity.
PACKAGES = {
    "re2": {
        "version": "1.27.1",
        "integrity": "sha512-J0RHubiwH/isNWD2Z+TX+hpVZCkaS/X30KPtYwckK5sjEaW8BRhnd15EPIjBB5GxD174iEVtJmmCoqfErH1qDQ==",
    },
    "better-sqlite3": {
        "version": "12.11.1",
        "integrity": "sha512-dq9AtApgg5PGFtBzPFSBl3HZQjHok5gaQCM6zh2Yk0aSmDCs1CbnVI8/HgASQkNKsWFpseIO9beg5xxpYhbIfA==",
    },
}

# Flags: the packages' own Release flags (re2/binding.gyp, better-sqlite3/deps/*.gypi), Linux.
RE2_FLAGS = ["-std=c++2a", "-Wall", "-Wextra", "-Wno-sign-compare", "-Wno-unused-parameter",
             "-Wno-missing-field-initializers", "-Wno-cast-function-type", "-O3", "-g",
             "-pthread", "-DNDEBUG", "-DNOMINMAX"]
SQLITE_FLAGS = ["-std=c99", "-w", "-O3", "-DNDEBUG"]       # + deps/defines.gypi
EXT_FLAGS = ["-O3", "-DNDEBUG"]                             # deps/test_extension.c

# --quick: a handful of small TUs from both packages, C and C++.
QUICK_TUS = [
    "re2/vendor/abseil-cpp/absl/base/internal/spinlock_wait.cc",
    "re2/vendor/abseil-cpp/absl/numeric/int128.cc",
    "re2/vendor/abseil-cpp/absl/strings/ascii.cc",
    "re2/vendor/abseil-cpp/absl/hash/internal/city.cc",
    "re2/vendor/re2/util/rune.cc",
    "re2/vendor/re2/re2/perl_groups.cc",
    "better-sqlite3/deps/test_extension.c",
]
MID_TU = "re2/vendor/re2/re2/re2.cc"
TINY_SRC = "int tiny(int x) { return x * 2 + 1; }\n"

DEFAULT_TOOLS = ["plain", "ours", "ccache-direct", "ccache-pp", "sccache-debian"]
TOOLS = DEFAULT_TOOLS + ["ours-nodirect"]     # ours-nodirect: only with --tools
CACHED = [t for t in TOOLS if t != "plain"]
SERVER_TOOLS = {"ours", "ours-nodirect", "sccache-debian"}
TOOL_LABEL = {
    "plain": "plain gcc/g++",
    "ours": "sccache-cpp (ours)",
    "ours-nodirect": "sccache-cpp, SCCACHE_DIRECT=0",
    "ccache-direct": "ccache, direct mode",
    "ccache-pp": "ccache, CCACHE_NODIRECT=1",
    "sccache-debian": "Debian sccache (Rust)",
}


class BenchError(Exception):
    pass


class RegistryUnreachable(BenchError):
    pass


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def first_line(cmd, env=None) -> str:
    try:
        p = run(cmd, env=env, timeout=60)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unavailable"


# ---------------------------------------------------------------------------------------------
# Sources

def integrity_of(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def registry_url() -> str:
    try:
        url = run(["npm", "config", "get", "registry"], timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        url = ""
    return url or "https://registry.npmjs.org/"


def fetch_sources() -> dict[str, Path]:
    """npm pack every pinned package into bench/.cache/dl, verify, extract. Returns roots."""
    dl = CACHE / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    roots = {}
    for name, pin in PACKAGES.items():
        tgz = dl / f"{name}-{pin['version']}.tgz"
        if not tgz.exists() or integrity_of(tgz) != pin["integrity"]:
            if shutil.which("npm") is None:
                raise BenchError("npm is missing (apt-get install npm) and the sources are not cached")
            url = registry_url()
            try:
                ping = run(["npm", "ping", "--fetch-retries=0", "--fetch-timeout=20000"], timeout=90)
                ok = ping.returncode == 0
                lines = (ping.stderr + ping.stdout).splitlines()
                why = [ln for ln in lines if "Error" in ln or "reason" in ln][:1] or lines[-1:] or [""]
            except subprocess.TimeoutExpired:
                ok, why = False, ["npm ping timed out"]
            if not ok:
                raise RegistryUnreachable(f"the npm registry {url} cannot be reached ({why[0]}) and "
                                          f"{tgz.name} is not in {dl}")
            log(f"npm pack {name}@{pin['version']}")
            p = run(["npm", "pack", f"{name}@{pin['version']}", "--pack-destination", str(dl),
                     "--fetch-retries=1", "--fetch-timeout=60000"], timeout=600)
            if p.returncode != 0 or not tgz.exists():
                raise RegistryUnreachable(f"npm pack {name}@{pin['version']} failed: {p.stderr.strip()[-500:]}")
            got = integrity_of(tgz)
            if got != pin["integrity"]:
                tgz.unlink()
                raise BenchError(f"{tgz.name}: integrity {got} != pinned {pin['integrity']}")
        dest = CACHE / "src" / f"{name}-{pin['version']}"
        stamp = dest / ".extracted"
        if not stamp.exists():
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir(parents=True)
            with tarfile.open(tgz) as tf:
                for m in tf.getmembers():
                    if m.name.startswith("/") or ".." in Path(m.name).parts or not (m.isfile() or m.isdir()):
                        raise BenchError(f"{tgz.name}: refusing member {m.name}")
                try:
                    tf.extractall(dest, filter="data")
                except TypeError:  # python without extraction filters; members checked above
                    tf.extractall(dest)
            stamp.write_text(pin["integrity"] + "\n")
        roots[name] = dest / "package"
    return roots


def gyp_list(text: str, key: str) -> list[str]:
    """The first list value of `key` in a .gyp/.gypi file (they are not strict JSON)."""
    m = re.search(r"""["']%s["']\s*:\s*\[(.*?)\]""" % re.escape(key), text, re.S)
    if not m:
        raise BenchError(f"no '{key}' list in gyp file")
    return re.findall(r"""["']([^"']+)["']""", m.group(1))


def make_tus(roots: dict[str, Path]) -> tuple[list[dict], list[dict]]:
    """Every translation unit the packages build on Linux -> (kept, dropped)."""
    re2, bsq = roots["re2"], roots["better-sqlite3"]
    tus, dropped = [], []
    inc_re2 = [f"-I{re2 / 'vendor/re2'}", f"-I{re2 / 'vendor/abseil-cpp'}"]
    for src in gyp_list((re2 / "binding.gyp").read_text(), "sources"):
        rel = f"re2/{src}"
        if src.startswith("lib/"):
            dropped.append({"tu": rel, "reason": "Node addon glue: needs nan.h and the Node.js/V8 headers, not in the tarball",
                            "probe": ["g++", *RE2_FLAGS, *inc_re2, "-E", str(re2 / src)]})
            continue
        tus.append({"tu": rel, "src": str(re2 / src), "lang": "cxx", "flags": RE2_FLAGS + inc_re2})
    sq = bsq / "deps/sqlite3"
    defines = ["-D" + d for d in gyp_list((bsq / "deps/defines.gypi").read_text(), "defines")]
    tus.append({"tu": "better-sqlite3/deps/sqlite3/sqlite3.c", "src": str(sq / "sqlite3.c"), "lang": "c",
                "flags": SQLITE_FLAGS + defines + [f"-I{sq}"]})
    tus.append({"tu": "better-sqlite3/deps/test_extension.c", "src": str(bsq / "deps/test_extension.c"),
                "lang": "c", "flags": EXT_FLAGS + [f"-I{sq}"]})
    for src in gyp_list((bsq / "binding.gyp").read_text(), "sources"):
        dropped.append({"tu": f"better-sqlite3/{src}",
                        "reason": "Node addon: needs node.h/node_object_wrap.h (Node.js/V8 headers), not in the tarball; "
                                  "src/util/*.cpp and src/objects/*.cpp are #included by it, not TUs",
                        "probe": ["g++", "-std=c++20", "-O3", "-DNDEBUG", f"-I{sq}", "-E", str(bsq / src)]})
    # Confirm that the dropped TUs really do not compile standalone (cheap: -E stops early).
    for d in dropped:
        p = run(d.pop("probe"), stdout=subprocess.DEVNULL, timeout=120)
        err = next((ln for ln in p.stderr.splitlines() if "error" in ln), "").strip()
        d["probe_error"] = re.sub(r"^.*?/package/", "", err)[:200] if p.returncode else "(compiled!)"
        if p.returncode == 0:
            log(f"note: dropped TU {d['tu']} preprocesses fine; keeping it dropped (see reason)")
    return tus, dropped


def compile_argv(tu: dict, out: str, cc: str, cxx: str) -> list[str]:
    return [cxx if tu["lang"] == "cxx" else cc, *tu["flags"], "-MD", "-MF", out + ".d", "-c", tu["src"], "-o", out]


def write_ninja(tree: Path, tus: list[dict], launcher: list[str], cc: str, cxx: str) -> None:
    lines = ["# generated by bench/bench.py", "ninja_required_version = 1.5",
             f"launcher = {' '.join(shlex.quote(x) for x in launcher)}", "",
             "rule compile", "  command = $launcher $argv", "  description = CC $out", ""]
    for tu in tus:
        out = "obj/" + tu["tu"] + ".o"
        argv = " ".join(shlex.quote(a) for a in compile_argv(tu, out, cc, cxx))
        lines += [f"build {out}: compile {tu['src']}", f"  argv = {argv.replace('$', '$$')}"]
    tree.mkdir(parents=True, exist_ok=True)
    (tree / "build.ninja").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# Processes and measurements

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> dict | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    f = stat[stat.rindex(")") + 2:].split()
    hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
    return {"self": (int(f[11]) + int(f[12])) / CLK_TCK, "children": (int(f[13]) + int(f[14])) / CLK_TCK,
            "hwm_kb": int(hwm.group(1)) if hwm else 0}


def pids_with_env(needle: str) -> list[int]:
    want = b"\0" + needle.encode() + b"\0"
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if want in b"\0" + Path(f"/proc/{d}/environ").read_bytes():
                    found.append(int(d))
            except OSError:
                pass
    return found


def ppid_of(pid: int) -> int:
    try:
        s = Path(f"/proc/{pid}/stat").read_text()
        return int(s[s.rindex(")") + 2:].split()[1])
    except (OSError, ValueError):
        return -1


class Tool:
    """One compiler front: how to launch it, its environment, stats and server."""

    def __init__(self, name: str, work: Path, ours_bin: str, run_id: str):
        self.name = name
        self.cache = work / "caches" / name
        self.port = free_port() if name in SERVER_TOOLS else None
        self.exe = {"ours": ours_bin, "ours-nodirect": ours_bin, "sccache-debian": "/usr/bin/sccache",
                    "ccache-direct": shutil.which("ccache") or "ccache",
                    "ccache-pp": shutil.which("ccache") or "ccache", "plain": None}[name]
        self.launcher = [self.exe] if self.exe else []
        self.run_id = run_id
        self.server_pid: int | None = None
        self.server_seq = 0
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("SCCACHE_", "CCACHE_", "RUSTC_WRAPPER", "BENCH_SERVER_TAG"))}
        if name in SERVER_TOOLS:
            base.update(SCCACHE_DIR=str(self.cache), SCCACHE_SERVER_PORT=str(self.port),
                        SCCACHE_IDLE_TIMEOUT="0", SCCACHE_CACHE_SIZE="20G")
            if name == "ours-nodirect":
                base["SCCACHE_DIRECT"] = "0"
        elif name.startswith("ccache"):
            base.update(CCACHE_DIR=str(self.cache), CCACHE_MAXSIZE="20G")
            if name == "ccache-pp":
                base["CCACHE_NODIRECT"] = "1"
        self.env = base

    def env_desc(self) -> str:
        keep = [k for k in self.env if k.startswith(("SCCACHE_", "CCACHE_"))]
        return " ".join(f"{k}={'<dir>' if k.endswith('_DIR') else self.env[k]}" for k in sorted(keep))

    def available(self) -> str | None:
        if self.exe is None:
            return None
        if not (os.path.isfile(self.exe) and os.access(self.exe, os.X_OK)):
            return f"{self.exe} not found"
        return None

    def version(self) -> str:
        if self.exe is None:
            return first_line(["gcc", "--version"])
        return first_line([self.exe, "--version"], env=self.env)

    # -- server ---------------------------------------------------------------------------
    def start_server(self) -> None:
        if self.name not in SERVER_TOOLS:
            return
        self.server_seq += 1
        tag = f"{self.run_id}-{self.name}-{self.server_seq}"
        env = dict(self.env, BENCH_SERVER_TAG=tag)
        p = run([self.exe, "--start-server"], env=env, timeout=120)
        if p.returncode != 0:
            raise BenchError(f"{self.name}: --start-server failed: {p.stderr.strip()[-400:]}")
        deadline = time.monotonic() + 10
        while True:
            pids = pids_with_env(f"BENCH_SERVER_TAG={tag}")
            roots = [q for q in pids if ppid_of(q) not in pids]
            if roots:
                self.server_pid = min(roots)
                return
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name}: started, but no server process found")
            time.sleep(0.05)

    def server_cpu(self) -> dict:
        if self.server_pid is None:
            return {"self": 0.0, "children": 0.0, "hwm_kb": 0}
        c = proc_cpu(self.server_pid)
        if c is None:
            raise BenchError(f"{self.name}: server pid {self.server_pid} disappeared")
        return c

    def stop_server(self) -> None:
        if self.name not in SERVER_TOOLS:
            return
        try:
            run([self.exe, "--stop-server"], env=self.env, timeout=60)
        except subprocess.TimeoutExpired:
            pass
        pid, self.server_pid = self.server_pid, None
        if pid is None:
            return
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if not Path(f"/proc/{pid}").exists():
                break
            log(f"{self.name}: server {pid} still alive after --stop-server, sending {sig.name}")
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            time.sleep(1)

    # -- cache and stats ------------------------------------------------------------------
    def reset_cache(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)
        self.cache.mkdir(parents=True)

    def zero_stats(self) -> None:
        if self.name in SERVER_TOOLS:
            p = run([self.exe, "--zero-stats"], env=self.env, timeout=60)
        elif self.name.startswith("ccache"):
            p = run([self.exe, "-z"], env=self.env, timeout=60)
        else:
            return
        if p.returncode != 0:
            raise BenchError(f"{self.name}: zero stats failed: {p.stderr.strip()}")

    def stats(self) -> dict:
        """{hits, misses, raw} from the tool's own statistics."""
        if self.name in SERVER_TOOLS:
            p = run([self.exe, "--show-stats", "--stats-format", "json"], env=self.env, timeout=60)
            if p.returncode != 0:
                raise BenchError(f"{self.name}: --show-stats failed: {p.stderr.strip()}")
            s = json.loads(p.stdout)["stats"]
            raw = {k: v for k, v in s.items() if isinstance(v, int) and v}
            return {"hits": sum(s["cache_hits"]["counts"].values()),
                    "misses": sum(s["cache_misses"]["counts"].values()), "raw": raw}
        if self.name.startswith("ccache"):
            p = run([self.exe, "--print-stats"], env=self.env, timeout=60)
            raw = {}
            for line in p.stdout.splitlines():
                k, _, v = line.partition("\t")
                if v.strip().isdigit() and int(v) and not k.startswith(("stats_", "cache_size", "files_in")) \
                        and not k.startswith("local_storage"):
                    raw[k] = int(v)
            return {"hits": raw.get("direct_cache_hit", 0) + raw.get("preprocessed_cache_hit", 0),
                    "misses": raw.get("cache_miss", 0), "raw": raw}
        return {"hits": 0, "misses": 0, "raw": {}}

    def cache_bytes(self) -> int:
        total = 0
        for dp, _, files in os.walk(self.cache):
            for f in files:
                try:
                    total += os.lstat(os.path.join(dp, f)).st_size
                except OSError:
                    pass
        return total


def hash_tree(tree: Path) -> dict[str, str]:
    out = {}
    for p in sorted((tree / "obj").rglob("*")):
        if p.is_file():
            out[str(p.relative_to(tree))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def clean_tree(tree: Path) -> None:
    shutil.rmtree(tree / "obj", ignore_errors=True)
    for f in (".ninja_log", ".ninja_deps"):
        (tree / f).unlink(missing_ok=True)


def ninja_build(tool: Tool, tree: Path, jobs: int, logf: Path) -> dict:
    clean_tree(tree)
    cpu0 = tool.server_cpu()
    t0 = time.monotonic()
    with open(logf, "a") as lf:
        lf.write(f"\n=== {tool.name} {time.ctime()}\n")
        lf.flush()
        proc = subprocess.Popen(["ninja", "-C", str(tree), f"-j{jobs}", "-k", "0"], env=tool.env,
                                stdout=lf, stderr=subprocess.STDOUT)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    cpu1 = tool.server_cpu()
    if proc.returncode != 0:
        tail = logf.read_text().splitlines()[-25:]
        raise BenchError(f"{tool.name}: build failed (exit {proc.returncode}); log {logf}:\n" + "\n".join(tail))
    tree_cpu = ru.ru_utime + ru.ru_stime
    srv = cpu1["self"] - cpu0["self"]
    srv_children = cpu1["children"] - cpu0["children"]
    return {"wall": wall, "cpu_tree": tree_cpu, "cpu_server": srv, "cpu_server_children": srv_children,
            "cpu_total": tree_cpu + srv + srv_children, "server_hwm_kb": cpu1["hwm_kb"],
            "tree_maxrss_kb": ru.ru_maxrss}


def hyperfine(tool: Tool, cmd: list[str], cwd: Path, warmup: int, runs: int, out: Path) -> dict:
    cpu0 = tool.server_cpu()
    p = run(["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
             "--export-json", str(out), "--", shlex.join(cmd)], env=tool.env, cwd=cwd, timeout=3600)
    cpu1 = tool.server_cpu()
    if p.returncode != 0:
        raise BenchError(f"{tool.name}: hyperfine failed: {p.stderr.strip()[-600:]}")
    r = json.loads(out.read_text())["results"][0]
    n = warmup + runs
    srv = (cpu1["self"] - cpu0["self"]) / n
    srv_ch = (cpu1["children"] - cpu0["children"]) / n
    return {"median": statistics.median(r["times"]), "mean": r["mean"], "min": min(r["times"]),
            "max": max(r["times"]), "stddev": r.get("stddev"), "runs": runs, "warmup": warmup,
            "client_user": r["user"], "client_system": r["system"],
            "server_cpu": srv, "server_children_cpu": srv_ch,
            "cpu_total": r["user"] + r["system"] + srv + srv_ch, "server_hwm_kb": cpu1["hwm_kb"]}


# ---------------------------------------------------------------------------------------------
# The run

def machine_info() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    try:
        debian = Path("/etc/debian_version").read_text().strip()
    except OSError:
        debian = "n/a"
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
            "kernel": platform.release(), "debian": debian, "python": platform.python_version()}


def ours_info(ours: str) -> dict:
    info = {"path": ours, "sha256": hashlib.sha256(Path(ours).read_bytes()).hexdigest()[:16]}
    try:
        info["version"] = first_line([ours, "--version"])
        rev = run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]).stdout.strip()
        dirty = run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
        info["commit"] = rev + ("+dirty" if dirty else "")
    except OSError:
        pass
    return info


def redis_probe(tool: Tool) -> str:
    """Does the binary have a redis backend? Ask a server configured with SCCACHE_REDIS."""
    env = dict(tool.env, SCCACHE_REDIS="redis://127.0.0.1:1", SCCACHE_SERVER_PORT=str(free_port()),
               SCCACHE_DIR=str(tool.cache.parent / "probe"), BENCH_SERVER_TAG=f"{tool.run_id}-redis-probe")
    try:
        p = run([tool.exe, "--start-server"], env=env, timeout=60)
        if p.returncode != 0:
            return f"not measured: server with SCCACHE_REDIS set did not start ({p.stderr.strip()[:120]})"
        s = run([tool.exe, "--show-stats", "--stats-format", "json"], env=env, timeout=60)
        loc = json.loads(s.stdout).get("cache_location", "?")
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        loc = f"? ({e})"
    finally:
        run([tool.exe, "--stop-server"], env=env, timeout=60)
        for pid in pids_with_env(f"BENCH_SERVER_TAG={tool.run_id}-redis-probe"):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if not loc.lower().startswith("local disk"):
        return f"backend present ({loc}) but the redis measurement is not written yet: add it to bench.py"
    return f"not measured: no redis backend yet (with SCCACHE_REDIS set the cache location is {loc})"


def summarize(values: list[float]) -> dict | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def compute_ratios(rounds: list[dict]) -> dict:
    """Ratios pair by pair inside a round, then median and min-max over rounds."""
    pairs: dict[str, list[float]] = {}

    def add(key, num, den):
        if num is not None and den:
            pairs.setdefault(key, []).append(num / den)

    plain_cold = next((r["tools"]["plain"]["cold"] for r in rounds
                       if r["tools"].get("plain", {}).get("cold")), None)
    for r in rounds:
        t = r["tools"]

        def get(tool, phase, field, need_valid=True):
            ph = t.get(tool, {}).get(phase)
            if not ph or (need_valid and not ph.get("valid", True)):
                return None
            return ph.get(field)

        for other in TOOLS:
            if other == "ours" or other not in t:
                continue
            for metric, field in (("tiny", "median"), ("mid", "median"), ("tiny_cpu", "cpu_total"),
                                  ("mid_cpu", "cpu_total")):
                phase = metric.split("_")[0]
                add(f"{metric} ours/{other}", get("ours", phase, field), get(other, phase, field))
            if other != "plain":
                add(f"warm_wall ours/{other}", get("ours", "warm", "wall"), get(other, "warm", "wall"))
                add(f"warm_cpu ours/{other}", get("ours", "warm", "cpu_total"), get(other, "warm", "cpu_total"))
        # Cold builds against plain: same round if plain built cold in it, else the first plain.
        pc = t.get("plain", {}).get("cold") or None
        if pc is None and any(t.get(x, {}).get("cold") for x in CACHED):
            pc = plain_cold
        if pc:
            for tool in CACHED:
                add(f"cold_wall {tool}/plain", get(tool, "cold", "wall"), pc["wall"])
                add(f"cold_cpu {tool}/plain", get(tool, "cold", "cpu_total"), pc["cpu_total"])
        pw = pc or plain_cold   # a plain build is the same work in every round
        if pw:
            for tool in CACHED:
                add(f"warm_wall {tool}/plain", get(tool, "warm", "wall"), pw["wall"])
        # Cold builds of ours against the other caches.
        for other in CACHED:
            if other != "ours":
                add(f"cold_wall ours/{other}", get("ours", "cold", "wall"), get(other, "cold", "wall"))
                add(f"cold_cpu ours/{other}", get("ours", "cold", "cpu_total"), get(other, "cold", "cpu_total"))
    return {k: summarize(v) | {"values": v} for k, v in pairs.items()}


def aggregate(rounds: list[dict]) -> dict:
    agg: dict = {}
    fields = {"cold": ["wall", "cpu_total", "cpu_tree", "cpu_server", "cpu_server_children", "server_hwm_kb",
                       "cache_bytes"],
              "warm": ["wall", "cpu_total", "cpu_tree", "cpu_server", "cpu_server_children", "server_hwm_kb"],
              "tiny": ["median", "cpu_total", "client_user", "client_system", "server_cpu", "server_children_cpu",
                       "server_hwm_kb"],
              "mid": ["median", "cpu_total", "client_user", "client_system", "server_cpu", "server_children_cpu",
                      "server_hwm_kb"],
              "spawn": ["median"]}
    for tool in TOOLS:
        for phase, names in fields.items():
            for f in names:
                vals = [r["tools"][tool][phase][f] for r in rounds
                        if r["tools"].get(tool, {}).get(phase) and r["tools"][tool][phase].get("valid", True)
                        and f in r["tools"][tool][phase]]
                s = summarize(vals)
                if s:
                    agg.setdefault(tool, {}).setdefault(phase, {})[f] = s
    return agg


def check_identical(result: dict) -> list[str]:
    """Objects and depfiles of every build must equal the plain compiler's."""
    ref = result.get("reference_hashes")
    problems = []
    if not ref:
        return problems
    for r in result["rounds"]:
        for tool, phases in r["tools"].items():
            for phase in ("cold", "warm"):
                ph = phases.get(phase)
                if not ph or "hashes" not in ph:
                    continue
                h = ph.pop("hashes")
                diff = sorted(k for k in set(ref) | set(h) if ref.get(k) != h.get(k))
                ph["identical_to_plain"] = not diff
                if diff:
                    ph["differs"] = diff[:20]
                    problems.append(f"round {r['round']} {tool} {phase}: {len(diff)} file(s) differ from plain, "
                                    f"e.g. {diff[0]}")
                    if tool == "ours":
                        ph["valid"] = False
    return problems


def finalize(result: dict) -> None:
    """Derived figures; recomputed by --render, so stored results can be re-read by a newer harness."""
    result["aggregate"] = aggregate(result["rounds"])
    result["ratios"] = compute_ratios(result["rounds"])
    invalid = any(not ph.get("valid", True) for r in result["rounds"] for t in r["tools"].values()
                  for ph in t.values() if isinstance(ph, dict))
    result["all_valid"] = not invalid


def main_run(args) -> int:
    ours = args.sccache or os.environ.get("SCCACHE_BIN") or str(ROOT / "build/release/bin/sccache")
    ours = str(Path(ours).resolve())
    if not os.access(ours, os.X_OK):
        raise BenchError(f"binary under test {ours} is missing: build it (scripts/build.sh release) or set SCCACHE_BIN")
    for need in ("ninja", "hyperfine", "gcc", "g++"):
        if shutil.which(need) is None:
            raise BenchError(f"{need} is required (apt-get install ninja-build hyperfine gcc g++)")
    cc, cxx = shutil.which("gcc"), shutil.which("g++")

    roots = fetch_sources()
    tus, dropped = make_tus(roots)
    mid = next(t for t in tus if t["tu"] == MID_TU)
    if args.quick:
        tus = [t for t in tus if t["tu"] in QUICK_TUS]
    if args.tus:
        pat = re.compile(args.tus)
        tus = [t for t in tus if pat.search(t["tu"])]
    if not tus:
        raise BenchError("no translation units selected")

    stamp = datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    run_id = f"bench{os.getpid()}{stamp}"
    work = Path(args.workdir).resolve() if args.workdir else CACHE / f"work-{stamp}"
    if work.exists() and any(work.iterdir()) and not (work / ".bench-work").exists():
        raise BenchError(f"--workdir {work} exists and is not an old bench work directory; not touching it")
    shutil.rmtree(work, ignore_errors=True)
    (work / "caches").mkdir(parents=True)
    (work / ".bench-work").touch()
    tree, hitdir = work / "tree", work / "hit"
    hitdir.mkdir()
    (hitdir / "tiny.c").write_text(TINY_SRC)
    old = time.time() - 3 * 86400   # direct modes refuse to record sources modified "just now"
    os.utime(hitdir / "tiny.c", (old, old))

    # Snapshot the binary under test: a rebuild during the run must not mix two versions.
    (work / "bin").mkdir()
    ours_src, ours = ours, str(work / "bin" / "sccache")
    shutil.copy2(ours_src, ours)

    tools = {}
    skipped = {}
    for name in (args.tools.split(",") if args.tools else DEFAULT_TOOLS):
        if name not in TOOLS:
            raise BenchError(f"unknown tool {name}; known: {', '.join(TOOLS)}")
        t = Tool(name, work, ours, run_id)
        why = t.available()
        if why:
            if name == "ours":
                raise BenchError(why)
            skipped[name] = why
            log(f"skipping {name}: {why}")
        else:
            tools[name] = t
    if "plain" not in tools:
        raise BenchError("the plain compiler is the reference and cannot be left out")

    rounds_n = args.rounds or (1 if args.quick else 3)
    if rounds_n < 1 or (args.cold_rounds is not None and args.cold_rounds < 1) or args.jobs < 1:
        raise BenchError("--rounds, --cold-rounds and -j must be at least 1")
    cold_n = min(rounds_n, args.cold_rounds if args.cold_rounds is not None else 1)
    tiny_w, tiny_r = (2, 15) if args.quick else (5, 100)
    mid_w, mid_r = (1, 5) if args.quick else (2, 20)
    plain_mid_r = 1 if args.quick else 3
    jobs = args.jobs

    tiny_cmd = [cc, "-c", "tiny.c", "-o", "tiny.o"]
    mid_cmd = compile_argv(mid, "re2.o", cc, cxx)

    result = {
        "schema": 1, "date": stamp, "quick": bool(args.quick), "rounds_requested": rounds_n, "cold_rounds": cold_n,
        "jobs": jobs, "machine": machine_info(), "ours": ours_info(ours) | {"path": ours_src},
        "packages": {k: dict(v) for k, v in PACKAGES.items()},
        "tools": {n: {"label": TOOL_LABEL[n], "exe": t.exe or cc, "version": t.version(), "env": t.env_desc()}
                  for n, t in tools.items()},
        "skipped_tools": skipped,
        "tus": {"count": len(tus), "c": sum(t["lang"] == "c" for t in tus),
                "cxx": sum(t["lang"] == "cxx" for t in tus), "list": [t["tu"] for t in tus], "dropped": dropped},
        "flags": {"re2/abseil (C++)": " ".join(RE2_FLAGS) + " -I<re2>/vendor/re2 -I<re2>/vendor/abseil-cpp",
                  "sqlite3.c": " ".join(SQLITE_FLAGS) + " -D<36 defines from deps/defines.gypi> -I<deps/sqlite3>",
                  "test_extension.c": " ".join(EXT_FLAGS) + " -I<deps/sqlite3>",
                  "every TU": "-MD -MF <out>.d -c <src> -o <out>"},
        "commands": {"build": f"ninja -j{jobs} -k 0 (build.ninja: `$launcher <compiler> <flags> -MD -MF $out.d -c $in -o $out`)",
                     "tiny": f"hyperfine -N --warmup {tiny_w} --runs {tiny_r} '<launcher> {shlex.join(tiny_cmd)}'",
                     "mid": f"hyperfine -N --warmup {mid_w} --runs {mid_r} '<launcher> g++ <re2 flags> -MD -MF re2.o.d -c "
                            f"<re2>/{MID_TU.split('/', 1)[1]} -o re2.o' (plain: --runs {plain_mid_r})",
                     "spawn": "hyperfine -N --warmup 5 --runs 100 true"},
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
        "rounds": [], "problems": [],
    }
    if "ours" in tools:
        result["redis"] = redis_probe(tools["ours"])
    log(f"{len(tus)} TUs ({len(dropped)} dropped), tools {', '.join(tools)}, {rounds_n} round(s), "
        f"{cold_n} with cold builds, -j{jobs}; work dir {work}")

    buildlog = work / "build.log"
    order = list(tools)
    try:
        for rnd in range(rounds_n):
            k = rnd % len(order)
            this_order = order[k:] + order[:k]
            cold = rnd < cold_n
            rr = {"round": rnd + 1, "order": this_order, "cold": cold,
                  "loadavg": Path("/proc/loadavg").read_text().split()[:3], "tools": {}}
            log(f"round {rnd + 1}/{rounds_n}: {' '.join(this_order)}")
            sp = hyperfine(tools["plain"], ["true"], hitdir, 5, 100, work / f"spawn-{rnd}.json")
            rr["tools"].setdefault("plain", {})["spawn"] = sp
            for name in this_order:
                tool = tools[name]
                rec = rr["tools"].setdefault(name, {})
                write_ninja(tree, tus, tool.launcher, cc, cxx)
                n = len(tus)
                if cold:
                    tool.reset_cache()
                    tool.start_server()
                    tool.zero_stats()
                    b = ninja_build(tool, tree, jobs, buildlog)
                    st = tool.stats()
                    b["stats"] = st
                    if name != "plain":
                        b["cache_bytes"] = tool.cache_bytes()
                    b["hashes"] = hash_tree(tree)
                    if name != "plain":
                        b["valid"] = st["misses"] == n and st["hits"] == 0
                        if not b["valid"]:
                            b["why_invalid"] = f"expected {n} misses, got {st['misses']} misses, {st['hits']} hits"
                    elif "reference_hashes" not in result:
                        result["reference_hashes"] = dict(b["hashes"])
                    tool.stop_server()
                    rec["cold"] = b
                    log(f"  {name:15s} cold {b['wall']:7.2f}s wall {b['cpu_total']:8.2f}s cpu"
                        + ("" if b.get("valid", True) else "  INVALID: " + b["why_invalid"]))
                if name != "plain":
                    tool.start_server()
                    tool.zero_stats()
                    b = ninja_build(tool, tree, jobs, buildlog)
                    st = tool.stats()
                    b["stats"] = st
                    b["hashes"] = hash_tree(tree)
                    b["valid"] = st["hits"] == n and st["misses"] == 0
                    if not b["valid"]:
                        b["why_invalid"] = f"expected {n} hits, got {st['hits']} hits, {st['misses']} misses ({st['raw']})"
                        result["problems"].append(f"round {rnd + 1} {name} warm: {b['why_invalid']}")
                    rec["warm"] = b
                    log(f"  {name:15s} warm {b['wall']:7.2f}s wall {b['cpu_total']:8.2f}s cpu  hits {st['hits']}/{n}"
                        + ("" if b["valid"] else "  INVALID"))
                else:
                    tool.start_server()
                for phase, cmd, w, r in (("tiny", tiny_cmd, tiny_w, tiny_r),
                                         ("mid", mid_cmd, mid_w, plain_mid_r if name == "plain" else mid_r)):
                    full = tool.launcher + cmd
                    if name != "plain":   # first use is a miss, the second a hit; then measure hits only
                        for _ in range(2):
                            p = run(full, env=tool.env, cwd=hitdir, timeout=600)
                            if p.returncode != 0:
                                raise BenchError(f"{name}: {shlex.join(full)} failed: {p.stderr[-600:]}")
                        tool.zero_stats()
                    h = hyperfine(tool, full, hitdir, 0 if name == "plain" else w, r,
                                  work / f"{phase}-{name}-{rnd}.json")
                    if name != "plain":
                        st = tool.stats()
                        h["stats"] = st
                        h["valid"] = st["hits"] == w + r and st["misses"] == 0
                        if not h["valid"]:
                            h["why_invalid"] = f"expected {w + r} hits, got {st['hits']} hits, {st['misses']} misses"
                            result["problems"].append(f"round {rnd + 1} {name} {phase}: {h['why_invalid']}")
                    rec[phase] = h
                    log(f"  {name:15s} {phase:4s} {h['median'] * 1000:9.2f} ms median  "
                        f"{h['cpu_total'] * 1000:9.2f} ms cpu" + ("" if h.get("valid", True) else "  INVALID"))
                tool.stop_server()
            rr["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
            result["rounds"].append(rr)
    finally:
        for t in tools.values():
            if t.server_pid is not None:
                t.stop_server()

    result["problems"] += check_identical(result)
    result.pop("reference_hashes", None)
    result["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    results = Path(args.results_dir).resolve() if args.results_dir else RESULTS
    results.mkdir(parents=True, exist_ok=True)
    base = results / (("quick-" if args.quick else "") + stamp)
    base.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")   # raw, in case of trouble
    finalize(result)
    base.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    md = render(result)
    if args.quick or args.no_md or args.results_dir:
        base.with_suffix(".md").write_text(md)
        log(f"wrote {base}.json and {base}.md")
    else:
        (ROOT / "BENCHMARKS.md").write_text(md)
        log(f"wrote {base}.json and BENCHMARKS.md")
    print(table_text(result))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    for p in result["problems"]:
        log("PROBLEM: " + p)
    return 0 if result["all_valid"] else 3


# ---------------------------------------------------------------------------------------------
# Rendering

def fmt_s(s: dict | None, unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    if not s:
        return "–"
    m = s["median"] * scale
    if s["n"] > 1 and s["min"] != s["max"]:
        return f"{m:.{digits}f} {unit} ({s['min'] * scale:.{digits}f}–{s['max'] * scale:.{digits}f})"
    return f"{m:.{digits}f} {unit}"


def fmt_r(s: dict | None) -> str:
    if not s:
        return "–"
    if s["n"] > 1:
        return f"**{s['median']:.2f}** ({s['min']:.2f}–{s['max']:.2f}, n={s['n']})"
    return f"**{s['median']:.2f}** (n=1)"


def ms(s: dict | None) -> float | None:
    return s["median"] * 1000 if s else None


def table_text(result: dict) -> str:
    a = result["aggregate"]
    lines = [f"{'tool':16s} {'cold wall':>10s} {'cold cpu':>10s} {'warm wall':>10s} {'warm cpu':>10s} "
             f"{'tiny hit':>10s} {'mid hit':>10s}"]
    for t in TOOLS:
        if t not in a:
            continue
        g = lambda ph, f, sc=1.0: (f"{a[t][ph][f]['median'] * sc:10.3f}" if ph in a[t] and f in a[t][ph] else f"{'-':>10s}")
        lines.append(f"{t:16s} {g('cold', 'wall')} {g('cold', 'cpu_total')} {g('warm', 'wall')} {g('warm', 'cpu_total')} "
                     f"{g('tiny', 'median', 1000)} {g('mid', 'median', 1000)}")
    lines.append("(seconds for builds, milliseconds for hits; medians)")
    for k in ("warm_wall ours/ccache-direct", "tiny ours/ccache-direct", "mid ours/ccache-direct", "cold_cpu ours/plain"):
        if k in result["ratios"]:
            s = result["ratios"][k]
            lines.append(f"{k:32s} {s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f}, n={s['n']})")
    return "\n".join(lines)


# The hit-path targets (issue 17): ratio key or figure, target, how it is read.
TARGETS = [("warm_wall ours/ccache-direct", 0.6, "warm build wall, ours / ccache direct"),
           ("mid ours/ccache-direct", 0.5, "mid hit (re2.cc), ours / ccache direct"),
           ("tiny ours/ccache-direct", 0.4, "tiny hit, ours / ccache direct"),
           ("cold_cpu ours/plain", 1.02, "cold build CPU, ours / plain")]
RSS_TARGET_MIB = 20


def render_targets(w, result: dict, R: dict) -> None:
    w("\n## Targets\n")
    w("The hit-path targets (medians of the ratios above; met = the median is at or under the target).\n")
    w("| figure | target | measured | met |")
    w("|---|---|---|---|")
    for key, target, label in TARGETS:
        if key in R:
            w(f"| {label} | <= {target} | {fmt_r(R[key])} | {'yes' if R[key]['median'] <= target else 'no'} |")
    hwm = [result["aggregate"].get("ours", {}).get(ph, {}).get("server_hwm_kb") for ph in ("cold", "warm", "tiny", "mid")]
    hwm = [h["max"] if isinstance(h, dict) else h for h in hwm if h]
    if hwm:
        peak = max(hwm) / 1024
        w(f"| server peak RSS over the run | <= {RSS_TARGET_MIB} MiB | {peak:.1f} MiB | {'yes' if peak <= RSS_TARGET_MIB else 'no'} |")


def render(result: dict) -> str:
    a, R = result["aggregate"], result["ratios"]
    m, o = result["machine"], result["ours"]
    present = [t for t in TOOLS if t in result["tools"]]
    out = []
    w = out.append
    title = "Benchmarks" + (" (quick run: a handful of TUs, one round; not for quoting)" if result["quick"] else "")
    w(f"# {title}\n")
    w("Generated by `bench/run` from `bench/results/" + ("quick-" if result["quick"] else "") + f"{result['date']}.json`; "
      "rerun it to regenerate this file (`bench/run --render <json>` re-renders a stored result). "
      "How the harness works: [bench/README.md](bench/README.md).\n")
    w(f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB, Linux {m['kernel']}, Debian {m['debian']}")
    w(f"- **Under test**: `{o.get('version', '?')}`, commit {o.get('commit', '?')}, binary sha256 {o['sha256']}…")
    for t in present:
        if t != "ours":
            w(f"- **{TOOL_LABEL[t]}**: {result['tools'][t]['version']}")
    for t, why in result.get("skipped_tools", {}).items():
        w(f"- **{TOOL_LABEL[t]}**: skipped ({why})")
    pk = result["packages"]
    w("- **Sources** (npm, pinned, integrity-checked): " + ", ".join(f"`{k}@{v['version']}`" for k, v in pk.items()))
    tu = result["tus"]
    w(f"- **Build**: {tu['count']} translation units ({tu['cxx']} C++ from RE2 + abseil, {tu['c']} C from the sqlite "
      f"amalgamation package), compiled to objects with ninja at -j{result['jobs']}, no linking")
    w(f"- **Rounds**: {len(result['rounds'])} (tool order rotated each round), cold builds in the first "
      f"{result['cold_rounds']}; load average at start {' '.join(result['loadavg_start'])}, at end "
      f"{' '.join(result['loadavg_end'])}")
    w("")
    w("## Results\n")
    w("Median over rounds, (min–max) when there is more than one sample. Build CPU = user+sys of ninja and "
      "everything it waited for, plus the server's own CPU and its children's (the compilers it ran). "
      "Hit CPU = the client process tree (hyperfine user+sys) plus the server's share per hit.\n")
    w("| tool | cold build | cold CPU | warm build | warm CPU | tiny hit | tiny hit CPU | mid hit (re2.cc) | mid hit CPU | server peak RSS | cache size |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    for t in present:
        g = a.get(t, {})
        hwm = [g.get(ph, {}).get("server_hwm_kb") for ph in ("cold", "warm", "tiny", "mid")]
        hwm = max((h["max"] for h in hwm if h), default=0)
        w(f"| {TOOL_LABEL[t]} | {fmt_s(g.get('cold', {}).get('wall'))} | {fmt_s(g.get('cold', {}).get('cpu_total'))} | "
          f"{fmt_s(g.get('warm', {}).get('wall')) if t != 'plain' else '(= cold)'} | "
          f"{fmt_s(g.get('warm', {}).get('cpu_total')) if t != 'plain' else ''} | "
          f"{fmt_s(g.get('tiny', {}).get('median'), 'ms', 1000)} | {fmt_s(g.get('tiny', {}).get('cpu_total'), 'ms', 1000)} | "
          f"{fmt_s(g.get('mid', {}).get('median'), 'ms', 1000, 1)} | {fmt_s(g.get('mid', {}).get('cpu_total'), 'ms', 1000, 1)} | "
          f"{f'{hwm / 1024:.1f} MiB' if hwm else '–'} | "
          f"{fmt_s(g.get('cold', {}).get('cache_bytes'), 'MiB', 1 / 2**20, 1)} |")
    sp = a.get("plain", {}).get("spawn", {}).get("median")
    if sp:
        w(f"\nFloor: starting a trivial process (`true`) costs {fmt_s(sp, 'ms', 1000)} on this machine.")
    w("\n## Ratios\n")
    w("Computed pair by pair inside each round (cold builds against the plain build of the same round, "
      "or of the first round when plain was not rebuilt), then median (min–max, n = rounds). Below 1 = ours is faster / "
      "cheaper.\n")
    w("| ratio | value |")
    w("|---|---|")
    headline = ["warm_wall ours/ccache-direct", "tiny ours/ccache-direct", "mid ours/ccache-direct", "cold_cpu ours/plain"]
    names = {"warm_wall": "warm build wall", "warm_cpu": "warm build CPU", "tiny": "tiny hit latency",
             "mid": "mid hit latency", "tiny_cpu": "tiny hit CPU", "mid_cpu": "mid hit CPU",
             "cold_wall": "cold build wall", "cold_cpu": "cold build CPU"}
    order = list(names)
    keys = headline + sorted((k for k in R if k not in headline),
                             key=lambda k: (order.index(k.split(" ")[0]), not k.split(" ")[1].startswith("ours"), k))
    for k in keys:
        if k in R:
            metric, pair = k.split(" ")
            w(f"| {'**' if k in headline else ''}{names[metric]}: {pair}{'**' if k in headline else ''} | {fmt_r(R[k])} |")
    render_targets(w, result, R)
    # Where our hit time goes.
    w("\n## Where a hit of ours goes\n")
    w("Per hit, medians over rounds: wall time (hyperfine), CPU of the client process, CPU of the server "
      "itself, CPU of the server's children (the preprocessor, which a hit runs unless a direct mode answers "
      "it from a manifest of include files). Wall minus all CPU = waiting (process start, socket round trip, "
      "scheduling, I/O).\n")
    w("| file | tool | wall | client CPU | server CPU | server children CPU | not on a CPU |")
    w("|---|---|---|---|---|---|---|")
    for phase in ("tiny", "mid"):
        for t in ("ours", "ours-nodirect", "sccache-debian", "ccache-direct", "ccache-pp"):
            g = a.get(t, {}).get(phase)
            if not g:
                continue
            wall, cu, cs = ms(g["median"]), ms(g["client_user"]) + ms(g["client_system"]), ms(g["server_cpu"])
            ch = ms(g["server_children_cpu"])
            w(f"| {phase} | {TOOL_LABEL[t]} | {wall:.2f} ms | {cu:.2f} ms | {cs:.2f} ms | {ch:.2f} ms | {wall - cu - cs - ch:.2f} ms |")
    w("\nFor ccache everything happens in the client process (its preprocessor run is a child of the client, "
      "so it is in \"client CPU\").")
    w(f"\nRedis hit latency: {result.get('redis', 'not measured')}.")
    # Validity.
    w("\n## Validity\n")
    checks = []
    for r in result["rounds"]:
        for t, phs in r["tools"].items():
            for ph, d in phs.items():
                if isinstance(d, dict) and "valid" in d:
                    checks.append((r["round"], t, ph, d))
    bad = [c for c in checks if not c[3]["valid"]]
    w(f"- {len(checks)} hit/miss checks through each tool's own statistics (cold: every TU a miss; warm: every TU a "
      f"hit; hyperfine: every run a hit): {len(checks) - len(bad)} passed" + (", invalid: " + "; ".join(
          f"round {c[0]} {c[1]} {c[2]} ({c[3].get('why_invalid', 'objects differ')})" for c in bad) if bad else "."))
    ident = [(r["round"], t, ph, d.get("identical_to_plain")) for r in result["rounds"] for t, phs in r["tools"].items()
             for ph, d in phs.items() if isinstance(d, dict) and "identical_to_plain" in d]
    nd = [x for x in ident if not x[3]]
    w(f"- Objects and depfiles byte-identical to the plain compile in {len(ident) - len(nd)} of {len(ident)} builds"
      + ("." if not nd else ": differing in " + ", ".join(f"round {x[0]} {x[1]} {x[2]}" for x in nd) + "."))
    for p in result["problems"]:
        w(f"- Problem: {p}")
    if tu["dropped"]:
        w(f"- {len(tu['dropped'])} TUs the packages build do not compile standalone and are left out: "
          + "; ".join(sorted({d['reason'] for d in tu['dropped']})) + ". Files: "
          + ", ".join(f"`{d['tu']}`" for d in tu["dropped"]) + ".")
    # Reading.
    w("\n## Reading\n")
    for line in reading(result):
        w(f"- {line}")
    # Commands.
    w("\n## Commands\n")
    w("```")
    for k, v in result["commands"].items():
        w(f"{k}: {v}")
    for k, v in result["flags"].items():
        w(f"flags {k}: {v}")
    for t in present:
        d = result["tools"][t]
        exe = o.get("path", d["exe"]) + " (copied into the work dir)" if t.startswith("ours") else d["exe"]
        w(f"{t}: launcher {'(none)' if t == 'plain' else exe}  {d['env']}")
    w("```")
    w("\nReproduce: `bench/run` (full) or `bench/run --quick`; `bench/run --help` lists the options.")
    return "\n".join(out) + "\n"


def reading(result: dict) -> list[str]:
    a, R = result["aggregate"], result["ratios"]
    lines = []

    def r(k):
        return R.get(k, {}).get("median")

    def cmp(x):
        return "faster" if x < 1 else "slower"

    x = r("warm_wall ours/ccache-direct")
    if x:
        lines.append(f"Warm build (every TU a hit): ours takes {x:.2f}× the time of ccache in direct mode"
                     + (f", {r('warm_wall ours/ccache-pp'):.2f}× ccache in preprocessor mode" if r("warm_wall ours/ccache-pp") else "")
                     + (f" and {r('warm_wall ours/sccache-debian'):.2f}× Debian's sccache" if r("warm_wall ours/sccache-debian") else "")
                     + ".")
    x = r("warm_wall ours/plain")
    if x:
        lines.append(f"A warm build through ours costs {x:.2f}× a plain build ({1 / x:.1f}× speed-up).")
    for phase, what in (("tiny", "a tiny C file"), ("mid", "re2.cc")):
        x, y, z = r(f"{phase} ours/ccache-direct"), r(f"{phase} ours/ccache-pp"), r(f"{phase} ours/sccache-debian")
        if x:
            lines.append(f"Hit of {what}: ours takes {x:.2f}× the time of ccache direct ({cmp(x)})"
                         + (f", {y:.2f}× ccache preprocessor mode ({cmp(y)})" if y else "")
                         + (f", {z:.2f}× Debian's sccache ({cmp(z)})" if z else "") + ".")
    for phase, what in (("tiny", "the tiny C file"), ("mid", "re2.cc")):
        g = a.get("ours", {}).get(phase)
        if not g:
            continue
        wall, ch = g["median"]["median"], g["server_children_cpu"]["median"]
        cl = g["client_user"]["median"] + g["client_system"]["median"]
        text = (f"Of a {wall * 1000:.1f} ms hit of {what} through ours, {ch * 1000:.1f} ms ({100 * ch / wall:.0f}%) "
                f"is CPU of the server's children, {g['server_cpu']['median'] * 1000:.1f} ms server CPU and "
                f"{cl * 1000:.1f} ms client CPU")
        if ch > 0.2 * wall:
            text += (": the preprocessor ran on these hits, i.e. ours' direct mode did not answer them "
                     "(ccache direct does, which is its lead).")
        else:
            text += ": direct mode answered without the preprocessor."
        lines.append(text)
    x = r("cold_cpu ours/plain")
    if x:
        y, z = r("cold_wall ours/plain"), r("cold_cpu ccache-direct/plain")
        lines.append(f"Cold build (every TU a miss): ours costs {x:.2f}× the CPU of a plain build ({(x - 1) * 100:+.0f}%)"
                     + (f" and {y:.2f}× its wall time" if y else "")
                     + (f"; ccache direct costs {z:.2f}× the CPU." if z else "."))
    loads = [float(result["loadavg_start"][0]), float(result["loadavg_end"][0])]
    for rr in result["rounds"]:
        loads += [float(rr["loadavg"][0]), float(rr.get("loadavg_end", rr["loadavg"])[0])]
    cores = result["machine"].get("cores") or 1
    if max(loads) > 0.5 * cores:
        lines.append(f"The machine was busy with other work during this run (1-minute load average between "
                     f"{min(loads):.1f} and {max(loads):.1f} at round boundaries, on {cores} cores; the bench "
                     f"itself adds up to {result['jobs']}). Wall times carry that noise, and CPU times some of it "
                     "(contended caches); ratios taken inside one round are the more reliable figures.")
    if R.get("cold_cpu ours/plain", {}).get("n", 0) == 1:
        lines.append("Cold builds are one sample per tool (`--cold-rounds 1`, to keep the run near 30 minutes): "
                     "read the cold figures as indicative only.")
    if result["problems"]:
        lines.append("Some checks failed (see Validity); the affected rounds are left out of the ratios.")
    return lines


# ---------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a handful of TUs, one round, short hyperfine runs")
    ap.add_argument("--rounds", type=int, help="rounds (default 3, --quick 1)")
    ap.add_argument("--cold-rounds", type=int, help="rounds that start with a cold build (default 1: a cold "
                    "build of every TU takes ~5 min per tool on 2 cores)")
    ap.add_argument("--tools", help=f"comma-separated list from {','.join(TOOLS)} (default: all but "
                    "ours-nodirect; plain is required)")
    ap.add_argument("--tus", help="regex: only TUs whose path matches")
    ap.add_argument("--jobs", "-j", type=int, default=2, help="ninja -j (default 2)")
    ap.add_argument("--sccache", help="binary under test (default $SCCACHE_BIN, else build/release/bin/sccache)")
    ap.add_argument("--workdir", help="work directory (default bench/.cache/work-<date>, removed afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--no-md", action="store_true", help="do not touch BENCHMARKS.md (write results/<date>.md)")
    ap.add_argument("--results-dir", help="write results there (default bench/results); implies --no-md")
    ap.add_argument("--render", metavar="JSON", help="only regenerate BENCHMARKS.md from a stored result")
    ap.add_argument("--fetch-only", action="store_true", help="only download and extract the sources")
    args = ap.parse_args()
    try:
        if args.render:
            res = json.loads(Path(args.render).read_text())
            finalize(res)
            dest = Path(args.render).with_suffix(".md") if args.no_md or res.get("quick") else ROOT / "BENCHMARKS.md"
            dest.write_text(render(res))
            print(table_text(res))
            print(f"wrote {dest}")
            return 0
        if args.fetch_only:
            for k, v in fetch_sources().items():
                print(k, v)
            return 0
        return main_run(args)
    except RegistryUnreachable as e:
        print(f"bench: {e}", file=sys.stderr)
        return 77
    except BenchError as e:
        print(f"bench: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    def _term(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _term)
    sys.exit(main())
