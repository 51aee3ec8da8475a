#!/usr/bin/env bash
# Command line: --version/-V, --help/-h, usage errors, --show-stats text and JSON shape,
# --zero-stats, --start-server/--stop-server, config file, unknown compilers, and that a
# started server does not hold the caller's stdout open.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc
setup

write_file src/a.c <<'EOF'
int a(void) { return 1; }
EOF
mkdir -p obj

log "--version and -V"
run_to version "$SCCACHE_BIN" --version
expect_eq "$(rc_of version)" 0 "--version exit code"
grep -Eq '^sccache [0-9]+\.[0-9]+' "$RUNS/version.out" || fail "--version printed: $(out_of version)"
run_to V "$SCCACHE_BIN" -V
expect_eq "$(rc_of V)" 0 "-V exit code"
expect_same_file "$RUNS/version.out" "$RUNS/V.out" "-V output vs --version"

log "--help and -h"
run_to help "$SCCACHE_BIN" --help
expect_eq "$(rc_of help)" 0 "--help exit code"
for word in --show-stats --zero-stats --start-server --stop-server --stats-format; do
  grep -q -- "$word" "$RUNS/help.out" || fail "--help does not mention $word"
done
grep -qi 'usage' "$RUNS/help.out" || fail "--help shows no usage line"
# The feature list comes from the storage backend table: what is built says true.
for feature in "S3:        true" "Redis:     true" "Memcached: true" "GCS:       true" "Azure:     true"; do
  grep -qx "    $feature" "$RUNS/help.out" || fail "--help features: no '$feature' in: $(sed -n '/Enabled/,$p' "$RUNS/help.out")"
done
run_to h "$SCCACHE_BIN" -h
expect_eq "$(rc_of h)" 0 "-h exit code"
port_closed "$SCCACHE_SERVER_PORT" || fail "--version/--help started a server"

log "usage errors exit 1"
run_to noargs "$SCCACHE_BIN"
expect_eq "$(rc_of noargs)" 1 "exit code without arguments"
run_to toomany "$SCCACHE_BIN" --show-stats --zero-stats
expect_eq "$(rc_of toomany)" 1 "exit code of --show-stats --zero-stats"
run_to unknown "$SCCACHE_BIN" --no-such-flag
expect_ne "$(rc_of unknown)" 0 "exit code of an unknown flag"
run_to badfmt "$SCCACHE_BIN" --show-stats --stats-format yaml
expect_ne "$(rc_of badfmt)" 0 "exit code of --stats-format yaml"
port_closed "$SCCACHE_SERVER_PORT" || fail "a usage error started a server"

log "--stop-server with no server: fails, does not start one"
run_to stop_none "$SCCACHE_BIN" --stop-server
expect_ne "$(rc_of stop_none)" 0 "--stop-server exit code with no server"
port_closed "$SCCACHE_SERVER_PORT" || fail "--stop-server started a server"

log "--start-server starts a server on SCCACHE_SERVER_PORT and returns"
run_to start "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of start)" 0 "--start-server exit code"
port_listening "$SCCACHE_SERVER_PORT" || fail "nothing listens on $SCCACHE_SERVER_PORT after --start-server"
[[ -n $(server_pid) ]] || fail "the listener on $SCCACHE_SERVER_PORT is not $SCCACHE_BIN"
ss -Hltn "sport = :$SCCACHE_SERVER_PORT" | grep -q '127\.0\.0\.1:' ||
  fail "server does not listen on 127.0.0.1 only: $(ss -Hltn "sport = :$SCCACHE_SERVER_PORT")"

log "--show-stats text"
compile_check miss --out obj/a.o -- gcc -c src/a.c -o obj/a.o
compile_check hit --out obj/a.o -- gcc -c src/a.c -o obj/a.o
run_to text "$SCCACHE_BIN" --show-stats
expect_eq "$(rc_of text)" 0 "--show-stats exit code"
grep -Eq '^Compile requests +2$' "$RUNS/text.out" || fail "text stats: no 'Compile requests 2' line: $(out_of text)"
grep -Eq '^Cache hits +1$' "$RUNS/text.out" || fail "text stats: no 'Cache hits 1' line"
grep -Eq '^Cache misses +1$' "$RUNS/text.out" || fail "text stats: no 'Cache misses 1' line"
grep -Fq "Local disk: \"$SCCACHE_DIR\"" "$RUNS/text.out" || fail "text stats: no cache location"
grep -Eq '^Max cache size +10 GiB$' "$RUNS/text.out" || fail "text stats: no 'Max cache size 10 GiB' line"

log "--show-stats --stats-format json shape"
run_to json "$SCCACHE_BIN" --show-stats --stats-format json
expect_eq "$(rc_of json)" 0 "--stats-format json exit code"
run_to json_eq "$SCCACHE_BIN" --show-stats --stats-format=json
expect_eq "$(rc_of json_eq)" 0 "--stats-format=json exit code"
jq -e . "$RUNS/json_eq.out" >/dev/null || fail "--stats-format=json output is not JSON"
shape_errors=$(jq -r '
  def need(cond; msg): if cond then empty else msg end;
  (.stats as $s
   | (("compile_requests", "requests_executed", "requests_unsupported_compiler",
       "requests_not_compile", "requests_not_cacheable", "cache_timeouts", "cache_read_errors",
       "non_cacheable_compilations", "forced_recaches", "cache_write_errors", "cache_writes",
       "compile_fails", "dist_compiles", "dist_errors")
      | . as $k | need(($s[$k] | type) == "number"; "stats.\($k) missing or not a number")),
     (("cache_hits", "cache_misses", "cache_errors")
      | . as $k | need(($s[$k].counts | type) == "object"; "stats.\($k).counts not an object")),
     (("cache_write_duration", "cache_read_hit_duration", "cache_read_miss_duration")
      | . as $k | need(($s[$k].secs | type) == "number" and ($s[$k].nanos | type) == "number";
                       "stats.\($k) is not {secs,nanos}")),
     need(($s.not_cached | type) == "object"; "stats.not_cached not an object")),
  need((.cache_location | type) == "string"; "cache_location not a string"),
  need((.cache_size | type) == "number" or .cache_size == null; "cache_size not a number/null"),
  need((.max_cache_size | type) == "number" or .max_cache_size == null; "max_cache_size not a number/null")' "$RUNS/json.out")
[[ -z $shape_errors ]] || fail "JSON stats shape: $shape_errors"
expect_eq "$(jq -r '.stats.cache_hits.counts["C/C++"]' "$RUNS/json.out")" 1 "json cache_hits C/C++"
expect_eq "$(jq -r '.stats.cache_misses.counts["C/C++"]' "$RUNS/json.out")" 1 "json cache_misses C/C++"
expect_eq "$(jq -r '.stats.compile_requests' "$RUNS/json.out")" 2 "json compile_requests"
expect_eq "$(jq -r '.stats.requests_executed' "$RUNS/json.out")" 2 "json requests_executed"
expect_eq "$(jq -r '.cache_location' "$RUNS/json.out")" "Local disk: \"$SCCACHE_DIR\"" "json cache_location"
expect_eq "$(jq -r '.max_cache_size' "$RUNS/json.out")" 10737418240 "json max_cache_size default"

log "--zero-stats prints fresh stats and zeroes the counters, not the cache"
size_before=$(stat_json '.cache_size // 0')
run_to zero "$SCCACHE_BIN" --zero-stats
expect_eq "$(rc_of zero)" 0 "--zero-stats exit code"
grep -Eq '^Compile requests +0$' "$RUNS/zero.out" || fail "--zero-stats output: $(out_of zero)"
run_to z "$SCCACHE_BIN" -z
expect_eq "$(rc_of z)" 0 "-z exit code"
snap zeroed
expect_eq "$(sval zeroed "$J_REQS")" 0 "compile_requests after --zero-stats"
expect_eq "$(sval zeroed "$J_HITS")" 0 "cache hits after --zero-stats"
expect_eq "$(sval zeroed "$J_MISSES")" 0 "cache misses after --zero-stats"
expect_eq "$(sval zeroed "$J_WRITES")" 0 "cache writes after --zero-stats"
expect_eq "$(sval zeroed '.cache_size // 0')" "$size_before" "cache_size after --zero-stats"
compile_check hit --out obj/a.o -- gcc -c src/a.c -o obj/a.o

log "--stop-server prints the final stats and the server goes away"
pid=$(server_pid)
run_to stop "$SCCACHE_BIN" --stop-server
expect_eq "$(rc_of stop)" 0 "--stop-server exit code"
grep -Eq '^Compile requests +1$' "$RUNS/stop.out" || fail "--stop-server output: $(out_of stop)"
wait_until 15 pid_gone "$pid" || fail "server pid $pid still running after --stop-server"
port_closed "$SCCACHE_SERVER_PORT" || fail "port still open after --stop-server"

log "a compile with an unknown compiler name fails cleanly"
run_to nocc "$SCCACHE_BIN" no-such-compiler-xyz -c src/a.c -o obj/x.o
expect_ne "$(rc_of nocc)" 0 "exit code for a compiler that does not exist"
[[ -s $RUNS/nocc.err ]] || fail "no error message for a compiler that does not exist"

log "the auto-started / started server does not hold the caller's stdout or stderr open"
run_to stop2 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "port still open"
# shellcheck disable=SC2016 # $0 is expanded by the inner bash
CMD_TIMEOUT=30 run_to pipe_start bash -c '"$0" --start-server 2>&1 | cat >/dev/null' "$SCCACHE_BIN"
expect_eq "$(rc_of pipe_start)" 0 "--start-server | cat"
run_to stop3 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "port still open"
# shellcheck disable=SC2016
CMD_TIMEOUT=30 run_to pipe_compile bash -c '"$0" gcc -c src/a.c -o obj/a.o 2>&1 | cat' "$SCCACHE_BIN"
expect_eq "$(rc_of pipe_compile)" 0 "sccache gcc ... | cat (auto-starting)"

log "SCCACHE_CONF: [cache.disk] dir and size are used"
run_to stop4 "$SCCACHE_BIN" --stop-server
wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "port still open"
printf '[cache.disk]\ndir = "%s"\nsize = 2097152\n' "$TEST_TMP/conf-cache" >"$TEST_TMP/conf.toml"
(
  unset SCCACHE_DIR
  export SCCACHE_CONF=$TEST_TMP/conf.toml
  expect_eq "$(stat_json .cache_location)" "Local disk: \"$TEST_TMP/conf-cache\"" "cache_location from SCCACHE_CONF"
  expect_eq "$(stat_json .max_cache_size)" 2097152 "max_cache_size from SCCACHE_CONF"
  compile_check any --out obj/a.o -- gcc -c src/a.c -o obj/a.o
  sc --stop-server >/dev/null 2>&1 || true
  wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "port still open"
)
has_entries() { [[ -n $(find "$TEST_TMP/conf-cache" -type f 2>/dev/null | head -1) ]]; }
wait_until 5 has_entries || fail "nothing was written below the configured cache dir"

log "a malformed config file is an error (exit 2)"
printf '[cache.disk\ndir = \n' >"$TEST_TMP/bad.toml"
SCCACHE_CONF=$TEST_TMP/bad.toml run_to badconf "$SCCACHE_BIN" --show-stats
expect_eq "$(rc_of badconf)" 2 "exit code with a malformed SCCACHE_CONF"
[[ -s $RUNS/badconf.err ]] || fail "no error message for a malformed SCCACHE_CONF"
port_closed "$SCCACHE_SERVER_PORT" || fail "a server started despite the malformed config"
