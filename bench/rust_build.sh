#!/usr/bin/env bash
# Cold and warm `cargo build` (debug, CARGO_INCREMENTAL=0, --offline) of the small workspace in
# tests/system/data/cargo_ws (rlibs leaf and mid, proc-macro hello_derive, bin app): plain cargo
# vs sccache-cpp vs Debian's sccache as RUSTC_WRAPPER, one hyperfine per tool and mode.
#   cold: `cargo clean`, server restarted on an emptied cache dir (in --prepare), then build
#   warm: `cargo clean` (in --prepare), then build with the cache filled by a previous build
# Server start-up is in --prepare, not in the timings. Plain cargo has no cache: its one
# measurement is the baseline of both columns.
# Usage: bench/rust_build.sh [path/to/sccache]   (default: build/release/bin/sccache)
#   RUNS=5 (timed runs per cell), KEEP=1 keeps the work dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SCCACHE=${1:-$root/build/release/bin/sccache}
DEBIAN_SCCACHE=/usr/bin/sccache
RUNS=${RUNS:-5}
[[ -x $SCCACHE ]] || { echo "no sccache binary at $SCCACHE"; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing: run scripts/setup.sh"; exit 1; }
if ! command -v cargo >/dev/null && [[ -x $HOME/.cargo/bin/cargo ]]; then PATH=$HOME/.cargo/bin:$PATH; fi
command -v cargo >/dev/null || { echo "cargo missing (install rustup)"; exit 1; }
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

# Nothing from the caller's sccache/cargo setup leaks in.
for v in $(compgen -e | grep -E '^(SCCACHE_|RUSTC_WRAPPER$|RUSTC_WORKSPACE_WRAPPER$|CARGO_BUILD_|CARGO_TARGET_DIR$|RUSTFLAGS$|CARGO_ENCODED_RUSTFLAGS$|SC_TEST_)' || true); do
  unset "$v"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rust-bench.XXXXXX")
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
names=() # tools started as servers, for cleanup
cleanup() {
  local n
  for n in "${names[@]}"; do [[ -x $work/$n.sh ]] && "$work/$n.sh" stop; done
  if [[ ${KEEP:-} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

cp -r "$root/tests/system/data/cargo_ws" "$work/ws"
rm -rf "$work/ws/target"
# A copy, so a rebuild during the run cannot mix two versions; still named sccache (under
# any other name it would act as a masquerading compiler).
mkdir -p "$work/ours"
cp "$SCCACHE" "$work/ours/sccache"
export CARGO_HOME=$work/cargo-home CARGO_INCREMENTAL=0 CARGO_TERM_COLOR=never
export SCCACHE_IDLE_TIMEOUT=0

# make_driver NAME [WRAPPER]: $work/NAME.sh {build|clean|cold|stop|stats}, with the tool's own
# target dir, cache dir and port.
make_driver() {
  local name=$1 wrapper=${2:-} port
  port=$(free_port)
  {
    echo '#!/usr/bin/env bash'
    echo 'set -euo pipefail'
    printf 'export CARGO_TARGET_DIR=%q\n' "$work/target-$name"
    printf 'export SCCACHE_DIR=%q SCCACHE_SERVER_PORT=%q\n' "$work/cache-$name" "$port"
    printf 'export SCCACHE_ERROR_LOG=%q\n' "$work/server-$name.log"
    printf 'wrapper=%q\n' "$wrapper"
    printf 'cd %q\n' "$work/ws"
    cat <<'EOF'
[[ -z $wrapper ]] || export RUSTC_WRAPPER=$wrapper
listening() { ss -Hltn "sport = :$SCCACHE_SERVER_PORT" 2>/dev/null | grep -q .; }
stop() {
  [[ -n $wrapper ]] || return 0
  "$wrapper" --stop-server >/dev/null 2>&1 || true
  for _ in $(seq 100); do listening || return 0; sleep 0.1; done
  echo "server on port $SCCACHE_SERVER_PORT did not stop" >&2
  return 1
}
case $1 in
build) exec cargo build --offline --locked -q ;;
clean) exec cargo clean --offline -q ;;
cold)
  cargo clean --offline -q
  stop
  rm -rf "$SCCACHE_DIR"
  [[ -z $wrapper ]] || "$wrapper" --start-server >/dev/null
  ;;
stop) stop ;;
stats) "$wrapper" --show-stats --stats-format json ;;
esac
EOF
  } >"$work/$name.sh"
  chmod +x "$work/$name.sh"
}

# bench NAME MODE PREPARE: one hyperfine of `NAME.sh build` -> $work/NAME-MODE.json
bench() {
  hyperfine -N --style basic --runs "$RUNS" --warmup 1 --prepare "$work/$1.sh $3" \
    --command-name "$1 $2" --export-json "$work/$1-$2.json" "$work/$1.sh build"
}

# check_app NAME: the program built by NAME runs and prints what plain cargo's does.
check_app() {
  local got
  got=$("$work/target-$1/debug/app")
  [[ $got == "$expected" ]] || { printf '%s: app printed:\n%s\nexpected:\n%s\n' "$1" "$got" "$expected"; exit 1; }
}

# rust_stats NAME: one line of the server's Rust counters.
rust_stats() {
  "$work/$1.sh" stats | jq -r '"\(.stats.cache_hits.counts["Rust"] // 0) Rust hits, \(.stats.cache_misses.counts["Rust"] // 0) misses, not cached: \(.stats.not_cached | to_entries | map("\(.key)=\(.value)") | join(" "))"'
}

echo "rustc: $(rustc -V); cargo: $(cargo -V); $(nproc) cores; RUNS=$RUNS"
tools=(plain sccache-cpp)
labels=("plain cargo" "sccache-cpp ($SCCACHE)")
make_driver plain
make_driver sccache-cpp "$work/ours/sccache"
names+=(sccache-cpp)
if [[ -x $DEBIAN_SCCACHE ]]; then
  make_driver sccache-debian "$DEBIAN_SCCACHE"
  names+=(sccache-debian)
  tools+=(sccache-debian)
  labels+=("Debian $("$DEBIAN_SCCACHE" --version 2>/dev/null | head -1)")
else
  echo "Debian's sccache ($DEBIAN_SCCACHE) not found: skipped"
fi

# quiet_build NAME: a build outside the measurements (cargo -q still prints warnings).
quiet_build() {
  "$work/$1.sh" build 2>"$work/$1-build.err" || { cat "$work/$1-build.err"; exit 1; }
}

quiet_build plain
expected=$("$work/target-plain/debug/app")

for t in "${tools[@]}"; do
  echo
  if [[ $t == plain ]]; then
    bench plain build clean
    check_app plain
    continue
  fi
  bench "$t" cold cold
  check_app "$t"
  echo "$t, last cold run: $(rust_stats "$t")"
  "$work/$t.sh" cold # fill the cache once
  quiet_build "$t"
  bench "$t" warm clean
  check_app "$t"
  echo "$t, fill + warm runs: $(rust_stats "$t")"
done

echo
python3 - "$work" "${#tools[@]}" "${tools[@]}" "${labels[@]}" <<'EOF'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
tools, labels = sys.argv[3:3 + n], sys.argv[3 + n:3 + 2 * n]
def load(name):
    r = json.load(open(f"{work}/{name}.json"))["results"][0]
    return r["mean"], r["stddev"] or 0.0
base = load("plain-build")[0]
print("| tool | cold build [s] | cold / plain | warm build [s] | warm / plain |")
print("|---|---:|---:|---:|---:|")
for t, label in zip(tools, labels):
    if t == "plain":
        m, s = load("plain-build")
        cold = warm = (m, s)
    else:
        cold, warm = load(f"{t}-cold"), load(f"{t}-warm")
    cells = [f"{m:.3f} ± {s:.3f} | {m / base:.2f}" for m, s in (cold, warm)]
    print(f"| {label} | {cells[0]} | {cells[1]} |")
EOF
