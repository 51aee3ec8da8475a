#!/usr/bin/env bash
# SCCACHE_IDLE_TIMEOUT=2: the server exits on its own once idle (daemon and foreground), any
# request resets the timer but connections alone (a port probe, an open idle connection) do not,
# the next compile starts a new server; 0 means never.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc
setup

write_file src/a.c <<'EOF'
int a(void) { return 1; }
EOF
mkdir -p obj
export SCCACHE_IDLE_TIMEOUT=2
server_exited() { pid_gone "$1" && port_closed "$SCCACHE_SERVER_PORT"; }

log "daemon: starts, compiles, then exits by itself"
run_to start "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of start)" 0 "--start-server exit code"
pid=$(server_pid)
[[ -n $pid ]] || fail "no server listening on $SCCACHE_SERVER_PORT after --start-server"
compile_check miss --out obj/a.o -- gcc -c src/a.c -o obj/a.o
last_request=$SECONDS
wait_until 20 server_exited "$pid" || fail "server pid $pid still running 20 s after its last request"
idle=$((SECONDS - last_request))
log "server exited about ${idle}s after its last request"
expect_ge "$idle" 1 "seconds the server stayed up after the last request"

log "the next compile starts a new server and hits the disk cache"
compile_check hit --out obj/a.o -- gcc -c src/a.c -o obj/a.o
pid=$(server_pid)
[[ -n $pid ]] || fail "no server after the compile"

log "requests keep it alive: stats every 0.5 s for 5 s"
deadline=$((SECONDS + 5))
while ((SECONDS < deadline)); do
  stats_refresh
  expect_eq "$(server_pid)" "$pid" "server pid while requests keep coming"
  sleep 0.5
done
wait_until 20 server_exited "$pid" || fail "server pid $pid did not exit after requests stopped"

log "connections alone do not keep it alive: a probe connects every 0.3 s, one connection stays open"
run_to startp "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of startp)" 0 "--start-server exit code"
pid=$(server_pid)
[[ -n $pid ]] || fail "no server listening after --start-server"
probe_started=$SECONDS
exec 4<>"/dev/tcp/127.0.0.1/$SCCACHE_SERVER_PORT"
while pid_alive "$pid" && ((SECONDS - probe_started < 20)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$SCCACHE_SERVER_PORT") 2>/dev/null || true
  sleep 0.3
done
exec 4>&-
pid_alive "$pid" && fail "server pid $pid still running after 20 s of connections without requests"
lasted=$((SECONDS - probe_started))
log "the server exited about ${lasted}s after its start despite the probes"
((lasted <= 6)) || fail "the server lasted ${lasted}s with SCCACHE_IDLE_TIMEOUT=2: the connections kept it alive"
wait_until 10 server_exited "$pid" || fail "port $SCCACHE_SERVER_PORT still open after the server exited"

log "a compile longer than the idle timeout is neither cut off nor loses its entry"
write_file bin/slow-gcc <<'EOF'
#!/bin/sh
case " $* " in
*" -c "*) sleep 3 ;;
esac
exec gcc "$@"
EOF
chmod +x bin/slow-gcc
compile_check miss --out obj/slow.o -- "$PWD/bin/slow-gcc" -c src/a.c -o obj/slow.o
pid=$(server_pid)
wait_until 20 server_exited "$pid" || fail "server pid $pid did not exit after the slow compile"
compile_check hit --out obj/slow.o -- "$PWD/bin/slow-gcc" -c src/a.c -o obj/slow.o
pid=$(server_pid)
wait_until 20 server_exited "$pid" || fail "server pid $pid did not exit after the hit"

log "foreground server (SCCACHE_NO_DAEMON=1) exits by itself with status 0"
start_foreground_server
compile_check hit --out obj/a.o -- gcc -c src/a.c -o obj/a.o
wait_until 20 pid_gone "$SERVER_PID" || fail "foreground server still running 20 s after its last request"
rc=0
wait "$SERVER_PID" || rc=$?
expect_eq "$rc" 0 "foreground server exit status after idle timeout"

log "SCCACHE_IDLE_TIMEOUT=0 never times out (checked for 4 s, twice the timeout above)"
export SCCACHE_IDLE_TIMEOUT=0
run_to start0 "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of start0)" 0 "--start-server exit code"
pid=$(server_pid)
[[ -n $pid ]] || fail "no server listening after --start-server"
sleep 4 # waiting for something not to happen: a fixed wait is the only way
pid_alive "$pid" || fail "server with SCCACHE_IDLE_TIMEOUT=0 exited on its own"
