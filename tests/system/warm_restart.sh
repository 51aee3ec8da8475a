#!/usr/bin/env bash
# A server keeps what it learned (header digests, absence proofs, compiler detection answers) in
# <cache dir>/server-state across restarts: the next server's first direct hit runs no process
# at all, not even the compiler probe. What changed while no server ran is still seen: a header
# rewritten with its mtime put back, a compiler binary replaced the same way, a corrupt or
# foreign state file (ignored).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc
setup

# A compiler that logs every run, so a probe or preprocessor run shows in calls.log.
mkdir -p bin inc
cat >bin/cc <<EOF
#!/bin/sh
echo "\$*" >>"$PWD/calls.log"
exec gcc "\$@"
EOF
chmod +x bin/cc
echo '#define X 1' >inc/x.h
printf '#include "x.h"\nint f(void) { return X; }\n' >a.c
sleep 2.2 # older than the 2 s settle window, as a user's sources are
args=(./bin/cc -Iinc -c a.c -o a.o)
export SCCACHE_LOG=debug
state=$SCCACHE_DIR/server-state

calls() { wc -l <calls.log 2>/dev/null || echo 0; }
stop_server() {
  local pid
  pid=$(server_pid)
  sc --stop-server >/dev/null 2>&1 || true
  [[ -z $pid ]] || wait_until 20 pid_gone "$pid" || fail "server $pid did not exit after --stop-server"
}
# compile TAG: through sccache, then plainly; the objects must be identical.
compile() {
  run_to "$1" "$SCCACHE_BIN" "${args[@]}"
  expect_eq "$(rc_of "$1")" 0 "$1: exit code ($(err_of "$1"))"
  gcc -Iinc -c a.c -o ref.o
  expect_same_file ref.o a.o "$1: object"
}

log "miss, then a direct hit; the server saves its state when it stops"
compile miss
compile hit
stop_server
[[ -f $state ]] || fail "no $state after the server stopped"
expect_eq "$(stat -c %a "$state")" 600 "server-state mode"

log "a fresh server's first hit runs nothing: no probe, no preprocessor"
before=$(calls)
compile restart-hit
expect_eq "$(calls)" "$before" "compiler runs on the fresh server's first hit"
snap a
expect_eq "$(sval a "$J_HITS")" 1 "hits on the fresh server"
grep -q "loaded $state" "$SCCACHE_ERROR_LOG" || fail "the server did not log loading $state"

log "a header rewritten while no server ran, its mtime put back, is read again"
stop_server
touch -r inc/x.h stamp
echo '#define X 2' >inc/x.h # same size: only ctime (and inode data) tell
touch -r stamp inc/x.h
compile header-changed
snap b
expect_eq "$(sval b "$J_MISSES")" 1 "misses after the header changed"

log "a compiler replaced while no server ran, its mtime put back, is probed again"
stop_server
before=$(calls)
touch -r bin/cc stamp
printf '# another build of the compiler\n' >>bin/cc
touch -r stamp bin/cc
compile compiler-changed
expect_ge "$(calls)" "$((before + 1))" "compiler runs after the binary changed"
grep -q -- "-E .*probe.c" calls.log || fail "the changed compiler was not probed: $(cat calls.log)"
snap c
expect_eq "$(sval c "$J_MISSES")" 1 "misses after the compiler changed (a new identity)"

log "a corrupt state file is ignored"
stop_server
printf 'SCCW garbage' >"$state"
compile corrupt-state
snap d
expect_eq "$(sval d "$J_HITS")" 1 "hits with a corrupt state file"

log "a state file others may write is ignored, with a warning"
stop_server
[[ -s $state ]] || fail "the server did not rewrite $state"
chmod 0666 "$state"
before=$(calls)
compile foreign-state
expect_ge "$(calls)" "$((before + 1))" "compiler runs with an untrusted state file (probe)"
grep -q "ignoring $state" "$SCCACHE_ERROR_LOG" || fail "no warning about the writable $state"
log "ok"
