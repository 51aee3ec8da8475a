#!/usr/bin/env bash
# Memcached as the cache backend (SCCACHE_MEMCACHED), against real memcached servers: two
# sccache servers share entries (hits with byte-identical objects, gcc and clang); a URL list of
# two memcached servers uses both; stats show the location and no sizes; an entry above the
# server's item size limit (-I 1m) is not stored, counted as a write error and logged with the
# way to raise the limit; a memcached killed in the middle of a build, then restarted on the same
# port; an invalid URL fails the server start.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang
require_memcached
setup

mc_url() { echo "tcp://127.0.0.1:$(mc_port "$1")"; }

log "two sccache servers share two memcached servers (one URL list)"
start_memcached m1
start_memcached m2
export SCCACHE_MEMCACHED
SCCACHE_MEMCACHED="$(mc_url m1) $(mc_url m2)"
start_sccache_server a
expect_eq "$(stat_json .cache_location)" "Memcached: $(mc_url m1) $(mc_url m2)" "cache_location"
expect_eq "$(stat_json .cache_size)" null "cache_size"
expect_eq "$(stat_json .max_cache_size)" null "max_cache_size"
start_sccache_server b
for cc in "${C_COMPILERS[@]}"; do
  gen_c "shared_$cc"
  log "$cc: miss on server a, hit on server b"
  shared_compile "src/shared_$cc.c" "shared_$cc.o" "$cc" -O1
  use_sccache a
  compile_check hit --out "shared_$cc.o" -- "$cc" -O1 -c "src/shared_$cc.c" -o "shared_$cc.o"
done

log "entries spread over both memcached servers"
use_sccache a
for ((i = 0; i < 12; i++)); do
  gen_c "spread_$i"
  compile_check miss --out "spread_$i.o" -- gcc -c "src/spread_$i.c" -o "spread_$i.o"
done
items1=$(mc_stat m1 curr_items)
items2=$(mc_stat m2 curr_items)
log "curr_items: m1 $items1, m2 $items2"
((items1 > 0)) || fail "memcached m1 holds no items after $((12 + 2)) cache writes (m2: $items2)"
((items2 > 0)) || fail "memcached m2 holds no items after $((12 + 2)) cache writes (m1: $items1)"
use_sccache b
for ((i = 0; i < 12; i += 3)); do
  compile_check hit --out "spread_$i.o" -- gcc -c "src/spread_$i.c" -o "spread_$i.o"
done
expect_no_cache_errors "no backend trouble yet"

log "invalid SCCACHE_MEMCACHED: the server does not start and says why"
expect_start_failure bad SCCACHE_MEMCACHED=foo

log "an entry above the item size limit (memcached -I 1m) is not stored, counted and logged"
start_memcached small -I 1m
expect_eq "$(mc_stat small item_size_max settings)" 1048576 "item_size_max of memcached 'small'"
SCCACHE_MEMCACHED=$(mc_url small)
start_sccache_server small
gen_big_c big 1572864 # 1.5 MiB of random bytes: its object does not compress below 1 MiB
werr=$(stat_json "$J_WERR")
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out big.o -- gcc -c src/big.c -o big.o
wait_stat_ge "$J_WERR" "$((werr + 1))" 30
too_big_lines() { grep -F 'item size' "$SCCACHE_ERROR_LOG" 2>/dev/null | grep -cF -- '-I' || true; }
too_big_logged() { (($(too_big_lines) >= 1)); }
wait_until 10 too_big_logged ||
  fail "no log line with 'item size' and '-I' in $SCCACHE_ERROR_LOG: $(tail -5 "$SCCACHE_ERROR_LOG" 2>/dev/null)"
expect_eq "$(too_big_lines)" 1 "log lines about the item size after one too-large entry"
log "logged: $(grep -F 'item size' "$SCCACHE_ERROR_LOG" | head -1)"
log "not stored: the same compile misses again; small entries still work on that server"
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out big.o -- gcc -c src/big.c -o big.o
wait_stat_ge "$J_WERR" "$((werr + 2))" 30
gen_c small
compile_check miss --out small.o -- gcc -c src/small.c -o small.o
compile_check hit --out small.o -- gcc -c src/small.c -o small.o
expect_eq "$(stat_json "$J_ERRORS")" 0 "cache_errors (a too-large write is no read error)"

log "memcached killed in the middle of a build; restarted on the same port"
SCCACHE_MEMCACHED=$(mc_url m1)
start_sccache_server crash
mid_build_outage crash 12 stop_memcached m1 KILL
errors=$(stat_json "$J_ERRORS")
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out obj/crash/1.o -- gcc -O1 -c src/crash_1.c -o obj/crash/1.o
expect_ge "$(stat_json "$J_ERRORS")" "$((errors + 1))" "cache_errors of a compile while memcached is down"
start_memcached m1 # same port (and args); starts empty
log "after the restart: hits again once an entry is written (backoff at most ~10 s)"
poll_until_hit 30 ref/crash/0.o obj/crash/0.o -- gcc -O1 -c src/crash_0.c -o obj/crash/0.o
compile_check miss --out obj/crash/2.o -- clang -O1 -c src/crash_2.c -o obj/crash/2.o
compile_check hit --out obj/crash/2.o -- clang -O1 -c src/crash_2.c -o obj/crash/2.o
