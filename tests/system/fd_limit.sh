#!/usr/bin/env bash
# Issue 14, item 5: at its open-file limit the server neither spins nor stalls its clients. It
# backs off, sheds the connections it cannot serve with an error that says why (the client then
# compiles locally at once, with a warning naming the limit), logs the cause, and recovers when
# descriptors are free again.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc prlimit
setup
cat >hold.py <<'EOF2'
import socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
held = []
for _ in range(count):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    held.append(s)
print("holding", len(held), flush=True)
time.sleep(600)
EOF2
echo 'int f(void) { return 42; }' >a.c
gcc -c a.c -o "$TEST_TMP/ref.o"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

log "server with a limit of 64 open files"
run_to start prlimit --nofile=64:64 "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of start)" 0 "start: $(err_of start)"
pid=$(server_pid)
compile_check miss --out a.o -- gcc -c a.c -o a.o

log "hold 120 idle connections: more than the server can accept"
python3 hold.py "$SCCACHE_SERVER_PORT" 120 >"$TEST_TMP/hold.log" 2>&1 &
holder=$!
track_pid "$holder"
wait_until 30 grep -q holding "$TEST_TMP/hold.log" || fail "holder: $(cat "$TEST_TMP/hold.log")"
sleep 2

log "the accept loop does not spin"
t0=$(cpu_ticks "$pid")
sleep 2
t1=$(cpu_ticks "$pid")
expect_le "$((t1 - t0))" 40 "server CPU ticks (1/100 s) in 2 s at the fd limit"

log "a compile now falls back at once, saying why"
rm -f a.o
started=$SECONDS
run_to limited "$SCCACHE_BIN" gcc -c a.c -o a.o
expect_eq "$(rc_of limited)" 0 "compile at the fd limit: $(err_of limited)"
expect_same_file "$TEST_TMP/ref.o" a.o "object at the fd limit"
expect_le "$((SECONDS - started))" 5 "seconds for a compile at the fd limit"
grep -q "open-file limit" "$RUNS/limited.err" || fail "client warning: $(err_of limited)"
grep -q "at the open-file limit (64 descriptors)" "$SCCACHE_ERROR_LOG" || fail "server log does not name the limit"

log "descriptors free again: the server serves from its cache"
kill "$holder"
wait "$holder" 2>/dev/null || true
sleep 1
compile_check hit --out a.o -- gcc -c a.c -o a.o
expect_eq "$(server_pid)" "$pid" "server pid"
log "ok"
