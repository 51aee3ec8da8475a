#!/usr/bin/env bash
# Issue 14, item 1: the local server serves only its own user, and the client talks only to a
# server of its own user.
# - another user's requests (a compile naming the attacker's script as the compiler, a
#   Shutdown), sent as raw frames without our client, are refused before any is read: the
#   script never runs as the server's user, the server keeps running, and the refusal says why;
# - another user's sccache client falls back to a local compile with a one-line warning;
# - a server of another user (something squatting the port) gets no request from our client;
# - SCCACHE_SERVER_UDS: private socket (0600, directory 0700), stale socket replaced, a live
#   one refused, a directory writable by others refused, abstract sockets checked with
#   SO_PEERCRED on both ends.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc setpriv ss
[[ $(id -u) == 0 ]] || skip "needs root, to run processes as user nobody with setpriv"
setup
WIRE="python3 $SYSTEST_DIR/data/local_wire.py"
chmod 711 "$TEST_TMP"
pub=$TEST_TMP/pub
mkdir -m 1777 "$pub" "$pub/tmp" "$pub/home"
chmod 1777 "$pub/tmp" "$pub/home"
# as_nobody CMD...: run as uid/gid 65534 with a home and temp dir that user can write.
as_nobody() {
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HOME="$pub/home" TMPDIR="$pub/tmp" SCCACHE_DIR="$pub/home/cache" SCCACHE_ERROR_LOG="$pub/nobody.log" "$@"
}
# as_nobody_bg CMD...: the same in the background; $! is then the command's own pid.
as_nobody_bg() {
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HOME="$pub/home" TMPDIR="$pub/tmp" SCCACHE_DIR="$pub/home/cache" SCCACHE_ERROR_LOG="$pub/nobody.log" "$@" &
}
uds_server_pid() { ss -Hxlp 2>/dev/null | grep -F "$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true; }

echo 'int f(int x) { return x * 7; }' >"$pub/a.c"
chmod 644 "$pub/a.c"
gcc -c "$pub/a.c" -o "$TEST_TMP/ref.o"
printf '#!/bin/sh\nid -u >> %s/ran-as\n' "$pub" >"$pub/evil.sh"
chmod 755 "$pub/evil.sh"

log "start the server (root) and record real request frames from our own client"
run_to start "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of start)" 0 "start: $(err_of start)"
pid=$(server_pid)
$WIRE greeting "$SCCACHE_SERVER_PORT" "$TEST_TMP/greeting.bin"
record() { # record NAME CMD...: the first frame our client sends for CMD
  local name=$1 rport
  shift
  rport=$(free_port)
  $WIRE record "$rport" "$TEST_TMP/greeting.bin" "$TEST_TMP/$name.bin" >"$TEST_TMP/rec.log" 2>&1 &
  track_pid $!
  wait_until 20 port_listening "$rport" || fail "recorder did not come up"
  (cd "$pub" && SCCACHE_SERVER_PORT=$rport "$TIMEOUT_BIN" 30 "$SCCACHE_BIN" "$@" >/dev/null 2>&1) || true
  [[ -s $TEST_TMP/$name.bin ]] || fail "no $name frame recorded: $(cat "$TEST_TMP/rec.log")"
}
record shutdown --stop-server
record compile "$pub/evil.sh" -c a.c -o a.o
rm -f "$pub/ran-as" # the recording's local fallback ran the script as root, in our own client

log "another user's raw compile request naming its script: refused before it is read"
as_nobody $WIRE replay "$SCCACHE_SERVER_PORT" "$TEST_TMP/compile.bin" >"$TEST_TMP/replay1.txt"
grep -q "serves only uid 0 (its own user); the connecting process runs as uid 65534" "$TEST_TMP/replay1.txt" ||
  fail "refusal does not say why: $(cat "$TEST_TMP/replay1.txt")"
sleep 1
[[ ! -e $pub/ran-as ]] || fail "the attacker's script ran, as uid $(cat "$pub/ran-as")"

log "another user's raw Shutdown: refused, the server keeps running"
as_nobody $WIRE replay "$SCCACHE_SERVER_PORT" "$TEST_TMP/shutdown.bin" >"$TEST_TMP/replay2.txt"
grep -q "serves only uid 0" "$TEST_TMP/replay2.txt" || fail "shutdown refusal: $(cat "$TEST_TMP/replay2.txt")"
sleep 0.5
expect_eq "$(server_pid)" "$pid" "server pid after another user's Shutdown"

log "another user's sccache client: local compile, one warning, nothing reaches the server"
rm -f "$pub/a.o"
(cd "$pub" && as_nobody "$TIMEOUT_BIN" 60 "$SCCACHE_BIN" gcc -c a.c -o a.o) >"$TEST_TMP/nobody.out" 2>"$TEST_TMP/nobody.err" ||
  fail "nobody's compile failed: $(cat "$TEST_TMP/nobody.err")"
expect_same_file "$TEST_TMP/ref.o" "$pub/a.o" "nobody's object"
expect_eq "$(wc -l <"$TEST_TMP/nobody.err")" 1 "nobody's stderr lines"
grep -q "refused this client" "$TEST_TMP/nobody.err" || fail "nobody's warning: $(cat "$TEST_TMP/nobody.err")"
stats_refresh
expect_eq "$(stat_json .stats.compile_requests)" 0 "compile requests the server accepted from others"

log "positive control: the same raw compile frame from the server's own user is served"
$WIRE replay "$SCCACHE_SERVER_PORT" "$TEST_TMP/compile.bin" >/dev/null
wait_until 10 test -s "$pub/ran-as" || fail "the recorded compile frame is not a valid request"
expect_eq "$(sort -u "$pub/ran-as")" 0 "uid the owner's request ran as"

log "a port squatted by another user's fake server: our client sends it nothing"
fport=$(free_port)
as_nobody_bg $WIRE fake "$fport" "$TEST_TMP/greeting.bin" "$pub/fake.log" >/dev/null 2>&1
track_pid $!
wait_until 20 port_listening "$fport" || fail "fake server did not come up"
rm -f a.o
SCCACHE_SERVER_PORT=$fport run_to squat "$SCCACHE_BIN" gcc -c "$pub/a.c" -o a.o
expect_eq "$(rc_of squat)" 0 "compile against a squatted port: $(err_of squat)"
expect_same_file "$TEST_TMP/ref.o" a.o "object with a squatted port"
grep -q "runs as uid 65534, not as this user (uid 0)" "$RUNS/squat.err" || fail "squat warning: $(err_of squat)"
wait_until 10 test -s "$pub/fake.log" || fail "the fake server saw no connection"
expect_eq "$(sort -u "$pub/fake.log")" 0 "bytes our client sent to another user's server"

log "SCCACHE_SERVER_UDS: a private socket in a private directory"
export SCCACHE_SERVER_UDS=$TEST_TMP/uds/server.sock
compile_check miss --out u.o -- gcc -c "$pub/a.c" -o u.o
compile_check hit --out u.o -- gcc -c "$pub/a.c" -o u.o
upid=$(uds_server_pid "$SCCACHE_SERVER_UDS")
[[ -n $upid ]] && track_pid "$upid"
expect_eq "$(stat -c %a "$TEST_TMP/uds")" 700 "socket directory mode"
expect_eq "$(stat -c '%a %u' "$SCCACHE_SERVER_UDS")" "600 0" "socket mode and owner"
(cd "$pub" && as_nobody "$TIMEOUT_BIN" 60 "$SCCACHE_BIN" gcc -c a.c -o b.o) 2>"$TEST_TMP/nobody-uds.err" ||
  fail "nobody's compile with a private socket failed"
expect_same_file "$TEST_TMP/ref.o" "$pub/b.o" "nobody's object (private socket)"

log "a live socket is refused to a second server; a stale one is replaced"
run_to second "$SCCACHE_BIN" --start-server
expect_ne "$(rc_of second)" 0 "second server on a live socket"
grep -q "another server is listening there" "$RUNS/second.err" || fail "second server: $(err_of second)"
kill -9 "$upid"
wait_until 10 pid_gone "$upid" || fail "server did not die"
[[ -S $SCCACHE_SERVER_UDS ]] || fail "expected the killed server's socket file to remain"
compile_check hit --out u.o -- gcc -c "$pub/a.c" -o u.o
upid=$(uds_server_pid "$SCCACHE_SERVER_UDS")
[[ -n $upid ]] && track_pid "$upid"
run_to stop_uds "$SCCACHE_BIN" --stop-server
expect_eq "$(rc_of stop_uds)" 0 "stop the unix-socket server"
wait_until 10 test ! -e "$SCCACHE_SERVER_UDS" || fail "the socket file outlived its server"

log "a socket directory other users may write to is refused"
mkdir -m 777 "$TEST_TMP/open"
chmod 777 "$TEST_TMP/open"
SCCACHE_SERVER_UDS=$TEST_TMP/open/s.sock run_to open_dir "$SCCACHE_BIN" --start-server
expect_ne "$(rc_of open_dir)" 0 "server in a world-writable directory"
grep -q "writable by other users" "$RUNS/open_dir.err" || fail "open dir: $(err_of open_dir)"

log "abstract sockets: SO_PEERCRED checked by the server and by the client"
export SCCACHE_SERVER_UDS="\\x00sccache-test-$$-$RANDOM"
compile_check hit --out v.o -- gcc -c "$pub/a.c" -o v.o
as_nobody env SCCACHE_SERVER_UDS="$SCCACHE_SERVER_UDS" "$TIMEOUT_BIN" 30 "$SCCACHE_BIN" --show-stats \
  >/dev/null 2>"$TEST_TMP/abs-nobody.err" && fail "nobody got stats from root's abstract-socket server"
grep -q "serves only uid 0" "$TEST_TMP/abs-nobody.err" || fail "abstract refusal: $(cat "$TEST_TMP/abs-nobody.err")"
run_to stop_abs "$SCCACHE_BIN" --stop-server
expect_eq "$(rc_of stop_abs)" 0 "stop the abstract-socket server"
export SCCACHE_SERVER_UDS="\\x00sccache-test-nobody-$$-$RANDOM"
as_nobody env SCCACHE_SERVER_UDS="$SCCACHE_SERVER_UDS" "$TIMEOUT_BIN" 30 "$SCCACHE_BIN" --start-server >/dev/null ||
  fail "nobody's abstract-socket server did not start"
rm -f w.o
run_to abs_squat "$SCCACHE_BIN" gcc -c "$pub/a.c" -o w.o
expect_eq "$(rc_of abs_squat)" 0 "compile against another user's abstract socket"
expect_same_file "$TEST_TMP/ref.o" w.o "object against another user's abstract socket"
grep -q "refused this client\|runs as uid 65534" "$RUNS/abs_squat.err" || fail "abstract squat: $(err_of abs_squat)"
as_nobody env SCCACHE_SERVER_UDS="$SCCACHE_SERVER_UDS" "$TIMEOUT_BIN" 30 "$SCCACHE_BIN" --stop-server >/dev/null ||
  fail "cannot stop nobody's server"
unset SCCACHE_SERVER_UDS
log "ok"
