#!/usr/bin/env bash
# Damaged cache entries never give wrong outputs: every entry file (any file below
# SCCACHE_DIR outside temp directories) is truncated, then garbled; compiles still produce
# byte-identical objects, depfiles and diagnostics, the server survives, and the entries
# are rewritten so the next round hits.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

M=6
for ((i = 0; i < M; i++)); do
  write_file "src/tu_$i.c" <<EOF
#include <stdio.h>
#include "common.h"
int tu_$i(int x) {
  int unused_$i;
  return x * $((i + 3)) + COMMON;
}
const char text_${i}[] = "some text to make the object a bit bigger $i $i $i";
EOF
done
echo '#define COMMON 11' | write_file src/common.h
mkdir -p obj

# The compiles of one round: both compilers, -g, a depfile and a warning each.
compile_round() { # compile_round EXPECT
  local cc i
  for cc in "${C_COMPILERS[@]}"; do
    for ((i = 0; i < M; i++)); do
      compile_check "$1" --out "obj/$cc-$i.o" --out "obj/$cc-$i.d" -- \
        "$cc" -g -Wall -c "src/tu_$i.c" -o "obj/$cc-$i.o" -MD -MF "obj/$cc-$i.d"
    done
  done
}

# entry_files: every file below SCCACHE_DIR except inside directories named like temp dirs.
entry_files() {
  find "$SCCACHE_DIR" -mindepth 1 -type d \
    \( -iname tmp -o -iname .tmp -o -iname temp -o -iname 'tmp.*' -o -iname '*.tmp' \) -prune \
    -o -type f -print0
}

# damage MODE: truncate or garble every entry file.
damage() {
  local mode=$1 n=0 f size
  while IFS= read -r -d '' f; do
    size=$(stat -c %s "$f")
    case $mode:$((n % 3)) in
    truncate:0) truncate -s 0 "$f" ;;
    truncate:1) truncate -s $((size / 2)) "$f" ;;
    truncate:2) truncate -s $((size > 0 ? size - 1 : 0)) "$f" ;;
    garble:0) # the first bytes (headers, magic numbers)
      head -c $((size < 32 ? size : 32)) /dev/urandom | dd of="$f" conv=notrunc status=none ;;
    garble:1) # the middle
      head -c 64 /dev/urandom | dd of="$f" bs=1 seek=$((size / 2)) conv=notrunc status=none ;;
    garble:2) # the whole file, same size
      head -c "$size" /dev/urandom >"$f" ;;
    esac
    n=$((n + 1))
  done < <(entry_files)
  log "$mode: damaged $n files"
  ((n > 0)) || fail "no entry files found below $SCCACHE_DIR"
}

log "fill the cache"
compile_round miss
compile_round hit
pid=$(server_pid)
[[ -n $pid ]] || fail "cannot find the server's pid"

for mode in truncate garble; do
  log "$mode every entry; compiles stay correct and the server keeps running"
  damage "$mode"
  snap "before-$mode"
  compile_round any
  snap "after-$mode"
  expect_eq "$(server_pid)" "$pid" "server pid after reading ${mode}d entries (did it crash?)"
  wait_writes "$(($(sval "before-$mode" "$J_WRITES") + $(sval "after-$mode" "$J_MISSES") - $(sval "before-$mode" "$J_MISSES")))" 30
  log "$mode: the damaged entries were rewritten: the next round hits"
  compile_round hit
done

log "garble again, then restart the server: a fresh server copes too"
damage garble
run_to stop "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
compile_round any
wait_writes "$(stat_json "$J_MISSES")" 30
compile_round hit

log "entries replaced by directories do not break compiles (writing them back may fail)"
while IFS= read -r -d '' f; do
  rm -f "$f"
  mkdir -p "$f"
done < <(entry_files | head -z -n 3)
run_to stop2 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
CHECK_ALLOW_WRITE_ERRORS=1 compile_round any
