#!/usr/bin/env bash
# SCCACHE_CACHE_SIZE=1M: with about 2 MiB of incompressible objects going through the cache,
# the cache directory stays within 1 MiB (plus the slack below), the oldest entries are
# evicted, the newest still hit, and every object stays correct.
#
# Slack: `du -sb` also counts the directories themselves (4 KiB apparent size each on ext4;
# measured below, not assumed), plus a fixed 64 KiB for bookkeeping files an implementation
# may keep beside the entries (an index, a lock file). The entries themselves must fit in the
# configured size, as the cache_size stat must.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang du
setup

export SCCACHE_CACHE_SIZE=1M
LIMIT=$((1024 * 1024))
N=48
BLOB=40000

python3 - "$N" "$BLOB" <<'EOF'
import os, random, sys
n, size = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(1234)
os.makedirs("src", exist_ok=True)
def blob(name, count):
    data = bytes(rng.getrandbits(8) for _ in range(count))
    body = ",".join(str(b) for b in data)
    return f"const unsigned char {name}[{count}] = {{{body}}};\n"
for i in range(n):
    with open(f"src/blob_{i}.c", "w") as f:
        f.write(blob(f"blob_{i}", size))
with open("src/huge.c", "w") as f:
    f.write(blob("huge", 2 * 1024 * 1024))
EOF
mkdir -p obj

# check_cache_size WHEN: the cache directory and the reported size are within the limit.
check_cache_size() {
  local total dirs slack cache_size max_size
  total=$(du -sb "$SCCACHE_DIR" | cut -f1)
  dirs=$(find "$SCCACHE_DIR" -type d -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  slack=$((dirs + 64 * 1024))
  if ((total > LIMIT + slack)); then
    find "$SCCACHE_DIR" -type f -printf '%s %p\n' | sort -n | tail -5 >&2
    fail "$1: du -sb $SCCACHE_DIR = $total > $LIMIT + slack $slack (directories $dirs)"
  fi
  stats_refresh
  cache_size=$(jq -r '.cache_size // 0' "$TEST_TMP/stats.json")
  max_size=$(jq -r '.max_cache_size // 0' "$TEST_TMP/stats.json")
  expect_eq "$max_size" "$LIMIT" "max_cache_size with SCCACHE_CACHE_SIZE=$SCCACHE_CACHE_SIZE"
  expect_le "$cache_size" "$LIMIT" "$1: reported cache_size"
}

cc=gcc
for ((i = 0; i < N; i++)); do
  compile_check miss --out "obj/blob_$i.o" -- "$cc" -c "src/blob_$i.c" -o "obj/blob_$i.o"
  check_cache_size "after blob_$i"
done
obj_size=$(stat -c %s obj/blob_0.o)
log "object size $obj_size bytes, $N objects: $((obj_size * N)) bytes through a $LIMIT byte cache"
size=$(stat_json '.cache_size // 0')
expect_ge "$size" $((LIMIT / 4)) "cache_size after filling (the cache should still hold recent entries)"

log "the newest entries still hit"
for ((i = N - 3; i < N; i++)); do
  compile_check hit --out "obj/blob_$i.o" -- "$cc" -c "src/blob_$i.c" -o "obj/blob_$i.o"
done
log "the oldest entries were evicted and come back correct"
for ((i = 0; i < 3; i++)); do
  compile_check miss --out "obj/blob_$i.o" -- "$cc" -c "src/blob_$i.c" -o "obj/blob_$i.o"
  check_cache_size "after recompiling blob_$i"
done

log "an object bigger than the whole cache: correct result, limit still respected"
writes_before=$(stat_json "$J_WRITES + $J_WERR")
writes_moved() { (($(stat_json "$J_WRITES + $J_WERR") > writes_before)); }
for attempt in 1 2; do
  run_to "huge_ref$attempt" "$cc" -c src/huge.c -o obj/huge_ref.o
  run_to "huge_sc$attempt" "$SCCACHE_BIN" "$cc" -c src/huge.c -o obj/huge.o
  expect_eq "$(rc_of "huge_sc$attempt")" 0 "oversized object compile exit code"
  expect_same_file "$RUNS/huge_ref$attempt.err" "$RUNS/huge_sc$attempt.err" "oversized object stderr"
  expect_same_file obj/huge_ref.o obj/huge.o "oversized object"
  # The entry may be stored and evict everything else, or be refused; either way give the
  # background write up to 10 s to land before measuring.
  wait_until 10 writes_moved || log "no cache write recorded for the oversized entry (refused outright?)"
  check_cache_size "after the oversized object (attempt $attempt)"
done

log "clang objects share the same budget"
for ((i = 0; i < 8; i++)); do
  compile_check miss --out "obj/clang_$i.o" -- clang -c "src/blob_$i.c" -o "obj/clang_$i.o"
  check_cache_size "after clang blob_$i"
done

log "a restarted server keeps the limit"
run_to stop "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
for ((i = 8; i < 16; i++)); do
  compile_check any --out "obj/clang_$i.o" -- clang -c "src/blob_$i.c" -o "obj/clang_$i.o"
done
wait_writes 8 30
check_cache_size "after restart"

log "a smaller limit across a restart trims the existing cache"
run_to stop2 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
export SCCACHE_CACHE_SIZE=512K
LIMIT=$((512 * 1024))
compile_check miss --out obj/small.o -- clang -O1 -c src/blob_30.c -o obj/small.o
check_cache_size "after restarting with SCCACHE_CACHE_SIZE=512K"
compile_check hit --out obj/small.o -- clang -O1 -c src/blob_30.c -o obj/small.o
