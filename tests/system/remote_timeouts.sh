#!/usr/bin/env bash
# A remote backend that accepts the connection and never answers (a hung Redis, Memcached or S3
# endpoint): the compile still succeeds with the right object, and the failed lookup counts as
# "Cache timeouts" (cache_timeouts), not as a cache error (issue 13: typed storage failures).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc
setup
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done
export SCCACHE_DIRECT=0 # one lookup per compile (direct mode would add a manifest lookup)
cat >silent.py <<'EOF2'
import socket, sys, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(64)
held = []
while True:
    c, _ = srv.accept()
    held.append(c)  # never read, never answer
EOF2
echo 'int g(int x) { return x - 3; }' >a.c
gcc -c a.c -o "$TEST_TMP/ref.o"

for backend in redis memcached s3; do
  silent_port=$(free_port)
  python3 silent.py "$silent_port" >/dev/null 2>&1 &
  track_pid $!
  wait_until 20 port_listening "$silent_port" || fail "silent listener did not come up"
  use_port "$(free_port)"
  case $backend in
  redis) export SCCACHE_REDIS=redis://127.0.0.1:$silent_port ;;
  memcached) export SCCACHE_MEMCACHED=tcp://127.0.0.1:$silent_port ;;
  s3)
    export SCCACHE_BUCKET=b SCCACHE_ENDPOINT=http://127.0.0.1:$silent_port
    export AWS_ACCESS_KEY_ID=AKIDTIMEOUTTEST AWS_SECRET_ACCESS_KEY=timeout-test-secret
    ;;
  esac
  log "$backend endpoint that never answers"
  run_to "start-$backend" "$SCCACHE_BIN" --start-server
  expect_eq "$(rc_of "start-$backend")" 0 "$backend: start: $(err_of "start-$backend")"
  rm -f a.o
  run_to "cc-$backend" "$SCCACHE_BIN" gcc -c a.c -o a.o
  expect_eq "$(rc_of "cc-$backend")" 0 "$backend: compile: $(err_of "cc-$backend")"
  expect_same_file "$TEST_TMP/ref.o" a.o "$backend: object"
  stats_refresh
  expect_eq "$(stat_json .stats.cache_timeouts)" 1 "$backend: cache timeouts"
  expect_eq "$(stat_json '[.stats.cache_errors.counts[]] | add // 0')" 0 "$backend: cache errors"
  sc --stop-server >/dev/null
  unset SCCACHE_REDIS SCCACHE_MEMCACHED SCCACHE_BUCKET SCCACHE_ENDPOINT
done
log "ok"
