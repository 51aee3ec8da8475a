#!/usr/bin/env bash
# Issue 14, item 4: a client that dies mid-compile (Ctrl-C of make) cancels its compile in the
# server: the compiler's whole process group is killed at once, nothing is cached for it, and it
# cannot finish after a newer compile of the same output and leave a stale object.
# The compiler is gcc behind a wrapper that waits before compiling (-c without -E), so that
# the test can kill the client while the compile runs.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc
setup
mkdir -p bin
cat >bin/slowgcc <<'EOS'
#!/bin/sh
slow=0
for a in "$@"; do
  case $a in -E) slow=0; break ;; -c) slow=1 ;; esac
done
if [ "$slow" = 1 ] && [ "${SLOW_SECS:-0}" != 0 ]; then
  echo $$ >"$MARK_DIR/slow.pid"
  sleep "$SLOW_SECS"
fi
exec gcc "$@"
EOS
chmod +x bin/slowgcc
export MARK_DIR=$TEST_TMP
mkdir -p "$TEST_TMP/v1" "$TEST_TMP/v2"
echo 'int version(void) { return 1; }' >"$TEST_TMP/v1/a.c"
echo 'int version(void) { return 2; } int newer(void) { return 0; }' >"$TEST_TMP/v2/a.c"
(cd "$TEST_TMP/v2" && gcc -c a.c -o "$TEST_TMP/v2.o")
cp "$TEST_TMP/v1/a.c" a.c
sc --start-server >/dev/null

log "compile version 1 slowly; kill its client while the compiler runs"
SLOW_SECS=6 "$SCCACHE_BIN" "$PWD/bin/slowgcc" -c a.c -o out.o >/dev/null 2>&1 &
client=$!
track_pid "$client"
wait_until 20 test -s "$TEST_TMP/slow.pid" || fail "the slow compile did not start"
compiler=$(cat "$TEST_TMP/slow.pid")
pid_alive "$compiler" || fail "compiler process not found"
kill -TERM "$client" # as Ctrl-C would (a background job of a script ignores SIGINT)
wait "$client" 2>/dev/null || true

log "the compile's process group is killed at once"
wait_until 3 pid_gone "$compiler" || fail "the compiler (pid $compiler) still runs after its client died"
if ps -o args= -C sleep | grep -qx "sleep 6"; then
  fail "the compiler's child (sleep) survived its process group's kill"
fi

log "a newer compile of the same output wins, and stays"
cp "$TEST_TMP/v2/a.c" a.c
run_to v2 "$SCCACHE_BIN" "$PWD/bin/slowgcc" -c a.c -o out.o
expect_eq "$(rc_of v2)" 0 "newer compile: $(err_of v2)"
expect_same_file "$TEST_TMP/v2.o" out.o "object right after the newer compile"
sleep 7 # past the moment the cancelled compile would have finished
expect_same_file "$TEST_TMP/v2.o" out.o "object after the cancelled compile's finishing time"

log "nothing was cached for the cancelled compile"
wait_writes 1 30
stats_refresh
expect_eq "$(stat_json .stats.cache_writes)" 1 "cache writes (only the newer compile)"
cp "$TEST_TMP/v1/a.c" a.c
compile_check miss --out out.o -- "$PWD/bin/slowgcc" -c a.c -o out.o
log "ok"
