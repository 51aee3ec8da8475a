#!/usr/bin/env bash
# SIGKILL of the server: during a compile (the waiting client still succeeds), in the middle
# of a build (the build finishes and every object is right), and right after a miss while the
# entry is being written (a new server never serves a torn entry).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

N=16
for ((i = 0; i < N; i++)); do
  write_file "src/tu_$i.c" <<EOF
#include <stdio.h>
static const int table_${i}[] = {$i, $((i * 3)), $((i * 7))};
int tu_$i(void) { return table_${i}[$((i % 3))] + $i; }
EOF
done
python3 - <<'EOF'
import random
rng = random.Random(7)
for i in range(6):
    data = ",".join(str(rng.getrandbits(8)) for _ in range(300000))
    with open(f"src/big_{i}.c", "w") as f:
        f.write(f"const unsigned char big_{i}[] = {{{data}}};\n")
EOF
mkdir -p obj ref
for ((i = 0; i < N; i++)); do gcc -O1 -c "src/tu_$i.c" -o "ref/tu_$i.o"; done

# A compiler that is slow in its compile step and tells us when it is in it.
write_file bin/slow-gcc <<EOF
#!/bin/sh
case " \$* " in
*" -c "*) touch "$TEST_TMP/compiling.\$\$"; sleep 3; gcc "\$@"; rc=\$?; touch "$TEST_TMP/done.\$\$"; exit \$rc ;;
esac
exec gcc "\$@"
EOF
chmod +x bin/slow-gcc
compiling_started() { compgen -G "$TEST_TMP/compiling.*" >/dev/null; }
# all compile steps started by the killed server have finished (they outlive it)
orphans_done() {
  local f
  for f in "$TEST_TMP"/compiling.*; do
    [[ -e $f ]] || continue
    [[ -e $TEST_TMP/done.${f##*.} ]] || return 1
  done
}

log "kill -9 the server while it runs a compile; the waiting client still succeeds"
start_foreground_server
gcc -O1 -c src/tu_0.c -o ref/slow.o
(
  rc=0
  timeout -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" "$PWD/bin/slow-gcc" -O1 -c src/tu_0.c -o obj/slow.o \
    >"$RUNS/slow.out" 2>"$RUNS/slow.err" </dev/null || rc=$?
  echo "$rc" >"$RUNS/slow.rc"
) &
client=$!
track_pid "$client"
wait_until 60 compiling_started || fail "the slow compile never started"
kill -9 "$SERVER_PID"
wait_until 10 pid_gone "$SERVER_PID" || fail "server survived SIGKILL?"
wait "$client" || true
wait_until 30 orphans_done || fail "compile step of the killed server did not finish"
expect_eq "$(rc_of slow)" 0 "exit code of the client whose server was killed"
expect_same_file ref/slow.o obj/slow.o "object of the client whose server was killed"
log "client stderr after the kill: $(head -c 300 "$RUNS/slow.err")"

log "the next compile is correct (a new server is started)"
rm -f "$TEST_TMP"/compiling.* "$TEST_TMP"/done.*
compile_check any --out obj/slow.o -- "$PWD/bin/slow-gcc" -O1 -c src/tu_0.c -o obj/slow.o
compile_check any --out obj/tu_1.o -- gcc -O1 -c src/tu_1.c -o obj/tu_1.o
compile_check hit --out obj/tu_1.o -- gcc -O1 -c src/tu_1.c -o obj/tu_1.o
run_to stop1 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"

log "--stop-server while a compile runs: the compile still finishes correctly"
rm -f "$TEST_TMP"/compiling.* "$TEST_TMP"/done.*
gcc -O2 -c src/tu_2.c -o ref/slow2.o
(
  rc=0
  timeout -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" "$PWD/bin/slow-gcc" -O2 -c src/tu_2.c -o obj/slow2.o \
    >"$RUNS/slow2.out" 2>"$RUNS/slow2.err" </dev/null || rc=$?
  echo "$rc" >"$RUNS/slow2.rc"
) &
client=$!
track_pid "$client"
wait_until 60 compiling_started || fail "the slow compile never started"
pid=$(server_pid)
run_to stop_during "$SCCACHE_BIN" --stop-server
expect_eq "$(rc_of stop_during)" 0 "--stop-server exit code during a compile"
wait "$client" || true
expect_eq "$(rc_of slow2)" 0 "exit code of the compile running during --stop-server"
expect_same_file ref/slow2.o obj/slow2.o "object of the compile running during --stop-server"
[[ ! -s $RUNS/slow2.err ]] || log "stderr of that compile: $(head -c 300 "$RUNS/slow2.err")"
wait_until 15 pid_gone "$pid" || fail "server pid $pid still running after --stop-server"

log "kill -9 the server in the middle of a build of $N objects"
rm -f obj/*.o
start_foreground_server
(
  for ((i = 0; i < N; i++)); do
    rc=0
    timeout -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" gcc -O1 -c "src/tu_$i.c" -o "obj/tu_$i.o" \
      >"$RUNS/build.$i.out" 2>"$RUNS/build.$i.err" </dev/null || rc=$?
    echo "$rc" >"$RUNS/build.$i.rc"
  done
) &
build=$!
track_pid "$build"
three_built() { [[ -e $RUNS/build.2.rc ]]; }
wait_until 60 three_built || fail "build made no progress"
kill -9 "$SERVER_PID"
wait "$build" || true
for ((i = 0; i < N; i++)); do
  expect_eq "$(cat "$RUNS/build.$i.rc")" 0 "build step $i exit code"
  expect_same_file "ref/tu_$i.o" "obj/tu_$i.o" "build step $i object"
done
log "after the build: every object again through the cache, correct"
for ((i = 0; i < N; i++)); do
  compile_check any --out "obj/tu_$i.o" -- gcc -O1 -c "src/tu_$i.c" -o "obj/tu_$i.o"
done
run_to stop2 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: kill -9 right after misses, while their entries are being written"
  start_foreground_server
  for ((i = 0; i < 6; i++)); do
    run_to "big-$cc-$i" "$SCCACHE_BIN" "$cc" -c "src/big_$i.c" -o "obj/big_$i.o"
    expect_eq "$(rc_of "big-$cc-$i")" 0 "$cc big_$i exit code"
  done
  kill -9 "$SERVER_PID"
  wait_until 10 pid_gone "$SERVER_PID" || fail "server survived SIGKILL?"
  log "$cc: a new server serves only whole entries"
  for ((i = 0; i < 6; i++)); do
    compile_check any --out "obj/big_$i.o" -- "$cc" -c "src/big_$i.c" -o "obj/big_$i.o"
  done
  for ((i = 0; i < 6; i++)); do
    compile_check any --out "obj/big_$i.o" -- "$cc" -c "src/big_$i.c" -o "obj/big_$i.o"
  done
  run_to "stop-$cc" "$SCCACHE_BIN" --stop-server
  wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
done
