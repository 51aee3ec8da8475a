#!/usr/bin/env bash
# A broken local cache costs misses, never a failed build: the cache directory deleted under a
# running server (it is recreated and used again), SCCACHE_DIR that is a regular file, and
# SCCACHE_DIR below a file (cannot be created): the server starts anyway, compiles uncached,
# counts the failed stores and names the directory in its log.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

write_file src/a.c <<'EOF'
#include <stdio.h>
int main(void) { puts("a"); return 0; }
EOF
write_file src/b.c <<'EOF'
int b(int x) { return x - 1; }
EOF
mkdir -p obj

compile_check miss --out obj/a.o -- gcc -c src/a.c -o obj/a.o
pid=$(server_pid)

log "cache directory replaced by a file under a running server"
rm -rf "$SCCACHE_DIR"
echo "not a directory" >"$SCCACHE_DIR"
CHECK_ALLOW_WRITE_ERRORS=1 compile_check any --out obj/a.o -- gcc -O1 -c src/a.c -o obj/a.o
CHECK_ALLOW_WRITE_ERRORS=1 compile_check any --out obj/a.o -- gcc -O1 -c src/a.c -o obj/a.o
expect_eq "$(server_pid)" "$pid" "server pid (the server must survive)"
run_to stop "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"

for bad in file below-file; do
  log "SCCACHE_DIR unusable at start ($bad): compiles still succeed"
  use_port "$(free_port)"
  case $bad in
  file) export SCCACHE_DIR=$TEST_TMP/cache-is-a-file && echo x >"$SCCACHE_DIR" ;;
  below-file) export SCCACHE_DIR=$TEST_TMP/cache-is-a-file/sub ;;
  esac
  for cc in "${C_COMPILERS[@]}"; do
    for _ in 1 2; do
      # The server starts anyway and compiles uncached: exit code, outputs and compiler
      # diagnostics as a plain compile.
      rm -f obj/b.o
      run_to "ref-$bad-$cc" "$cc" -Wall -c src/b.c -o obj/b.ref.o
      run_to "sc-$bad-$cc" "$SCCACHE_BIN" "$cc" -Wall -c src/b.c -o obj/b.o
      expect_eq "$(rc_of "sc-$bad-$cc")" 0 "$bad: $cc exit code"
      expect_same_file obj/b.ref.o obj/b.o "$bad: $cc object"
      [[ ! -s $RUNS/sc-$bad-$cc.out ]] || fail "$bad: unexpected stdout: $(out_of "sc-$bad-$cc")"
      log "$bad: $cc stderr: $(head -c 200 "$RUNS/sc-$bad-$cc.err")"
    done
  done
  run_to "stats-$bad" "$SCCACHE_BIN" --show-stats
  expect_eq "$(rc_of "stats-$bad")" 0 "$bad: --show-stats exit code (the server runs): $(head -c 200 "$RUNS/stats-$bad.err")"
  stats_refresh
  expect_eq "$(stat_json "$J_REQS")" 4 "$bad: compile requests the server answered"
  expect_eq "$(stat_json "$J_HITS")" 0 "$bad: cache hits"
  expect_ge "$(stat_json "$J_WERR")" 1 "$bad: cache_write_errors (each store fails, counted)"
  grep -qF "SCCACHE_DIR=$SCCACHE_DIR is unusable" "$SCCACHE_ERROR_LOG" ||
    fail "$bad: the server log does not name the unusable $SCCACHE_DIR: $(tail -5 "$SCCACHE_ERROR_LOG")"
  run_to "stop-$bad" "$SCCACHE_BIN" --stop-server
done

log "back to a normal cache directory"
use_port "$(free_port)"
export SCCACHE_DIR=$TEST_TMP/cache
rm -rf "$SCCACHE_DIR"

log "cache directory removed under a running server"
compile_check miss --out obj/a.o -- gcc -c src/a.c -o obj/a.o
compile_check hit --out obj/a.o -- gcc -c src/a.c -o obj/a.o
pid=$(server_pid)
rm -rf "$SCCACHE_DIR"
CHECK_ALLOW_WRITE_ERRORS=1 compile_check any --out obj/a.o -- gcc -c src/a.c -o obj/a.o
wait_writes "$(stat_json "$J_MISSES")" # that entry's background write is done (it may fail)
expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$J_HITS" 0 "hits right after the cache dir was removed"
log "a new entry is written into the recreated directory and hits"
compile_check miss --out obj/b.o -- clang -c src/b.c -o obj/b.o
compile_check hit --out obj/b.o -- clang -c src/b.c -o obj/b.o
has_files() { [[ -n $(find "$SCCACHE_DIR" -type f 2>/dev/null | head -1) ]]; }
has_files || fail "nothing written below the recreated $SCCACHE_DIR"
expect_eq "$(server_pid)" "$pid" "server pid (the server must survive)"
compile_check hit --out obj/a.o -- gcc -c src/a.c -o obj/a.o
