#!/usr/bin/env bash
# Redis as the cache backend (SCCACHE_REDIS), against a real redis-server: two sccache servers
# share its entries (hits with byte-identical objects, gcc and clang); stats show the location,
# INFO used_memory and maxmemory; Redis wins over Memcached; a password (never shown) with a db
# index, an ACL user, a wrong password; a crash of Redis in the middle of a build, its restart
# on the same port, a SIGSTOP'ed (hung) Redis, a unix socket; invalid URLs fail the server start.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang
require_redis
setup

gen_c shared
for cc in "${C_COMPILERS[@]}"; do gen_c "shared_$cc"; done

log "two sccache servers share one Redis (redis-server --maxmemory 100mb)"
start_redis --maxmemory 100mb
export SCCACHE_REDIS
SCCACHE_REDIS=$(redis_url 0)
start_sccache_server a
expect_eq "$(stat_json .cache_location)" "Redis: redis://127.0.0.1:$REDIS_PORT/0" "cache_location"
expect_eq "$(stat_json '.cache_size | type')" number "type of cache_size (INFO used_memory)"
(($(stat_json .cache_size) > 0)) || fail "cache_size is $(stat_json .cache_size), expected used_memory > 0"
expect_eq "$(stat_json .max_cache_size)" 104857600 "max_cache_size (CONFIG maxmemory 100mb)"
start_sccache_server b
for cc in "${C_COMPILERS[@]}"; do
  log "$cc: miss on server a, hit on server b"
  shared_compile "src/shared_$cc.c" "shared_$cc.o" "$cc" -O1
  shared_compile src/shared.c shared.o "$cc" -g
  use_sccache a
  compile_check hit --out shared.o -- "$cc" -g -c src/shared.c -o shared.o
done
(($(redis_cli -n 0 DBSIZE) > 0)) || fail "no keys in Redis db 0 after cache writes"
expect_no_cache_errors "no backend trouble yet"

log "Redis wins over Memcached when both are set"
SCCACHE_MEMCACHED="tcp://127.0.0.1:$(fresh_port)" start_sccache_server both
expect_eq "$(stat_json .cache_location)" "Redis: redis://127.0.0.1:$REDIS_PORT/0" "cache_location with Redis and Memcached set"
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o

log "read-only mode ([cache.redis] rw_mode = \"READ_ONLY\"): hits, and a miss writes no key"
printf '[cache.redis]\nurl = "%s"\nrw_mode = "READ_ONLY"\n' "$SCCACHE_REDIS" >"$TEST_TMP/redis-ro.conf"
# (not in a subshell: the instance must stay known to this shell)
redis_url_rw=$SCCACHE_REDIS
unset SCCACHE_REDIS
SCCACHE_CONF=$TEST_TMP/redis-ro.conf start_sccache_server ro
expect_eq "$(stat_json .cache_location)" "Redis: redis://127.0.0.1:$REDIS_PORT/0" "read-only: cache_location"
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
keys_before=$(redis_cli -n 0 DBSIZE)
gen_c readonly
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out readonly.o -- gcc -O2 -c src/readonly.c -o readonly.o
wait_stat_ge '.stats.cache_writes_skipped' 1
expect_eq "$(stat_json "$J_WERR")" 0 "read-only: cache_write_errors"
expect_eq "$(redis_cli -n 0 DBSIZE)" "$keys_before" "read-only: keys in Redis after a miss"
stop_sccache_server ro
export SCCACHE_REDIS=$redis_url_rw
use_sccache a

log "invalid SCCACHE_REDIS: the server does not start and says why"
expect_start_failure bad1 SCCACHE_REDIS=http://x
expect_start_failure bad2 SCCACHE_REDIS=invalid

log "password (requirepass) and db index 3; the password is never shown"
stop_redis
pw=Pw-7xq2-cache-secret
start_redis --requirepass "$pw"
SCCACHE_REDIS="redis://:$pw@127.0.0.1:$REDIS_PORT/3"
start_sccache_server pw
expect_eq "$(stat_json .cache_location)" "Redis: redis://:***@127.0.0.1:$REDIS_PORT/3" "cache_location with a password"
expect_eq "$(stat_json .max_cache_size)" null "max_cache_size with maxmemory 0"
(($(stat_json .cache_size) > 0)) || fail "cache_size with a password: $(stat_json .cache_size)"
gen_c db3
compile_check miss --out db3.o -- gcc -O2 -c src/db3.c -o db3.o
compile_check hit --out db3.o -- gcc -O2 -c src/db3.c -o db3.o
compile_check miss --out shared.o -- clang -g -c src/shared.c -o shared.o
compile_check hit --out shared.o -- clang -g -c src/shared.c -o shared.o
(($(redis_cli -n 3 DBSIZE) > 0)) || fail "no keys in Redis db 3"
expect_eq "$(redis_cli -n 0 DBSIZE)" 0 "keys in Redis db 0 (the URL said /3)"
expect_secret_hidden "$pw" "Redis password"

log "wrong password: compiles succeed, errors counted, nothing stored"
keys_before=$(redis_cli -n 3 DBSIZE)
SCCACHE_REDIS="redis://:wrong-Pw-99@127.0.0.1:$REDIS_PORT/3"
start_sccache_server wrongpw
expect_eq "$(stat_json .cache_location)" "Redis: redis://:***@127.0.0.1:$REDIS_PORT/3" "cache_location with a wrong password"
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out db3.o -- gcc -O2 -c src/db3.c -o db3.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors after a lookup with a wrong password"
gen_c wrongpw
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongpw.o -- gcc -c src/wrongpw.c -o wrongpw.o
wait_stat_ge "$J_WERR" 1
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongpw.o -- gcc -c src/wrongpw.c -o wrongpw.o
expect_eq "$(redis_cli -n 3 DBSIZE)" "$keys_before" "keys in db 3 after writes with a wrong password"
expect_secret_hidden wrong-Pw-99 "wrong Redis password"

log "ACL user (redis://user:password@...), the default user disabled"
stop_redis
start_redis
redis_cli ACL SETUSER sccache on '>acl-Secret-5' '~*' '+@all' >/dev/null
redis_cli ACL SETUSER default off >/dev/null
SCCACHE_REDIS="redis://sccache:acl-Secret-5@127.0.0.1:$REDIS_PORT/0"
start_sccache_server acl
expect_eq "$(stat_json .cache_location)" "Redis: redis://sccache:***@127.0.0.1:$REDIS_PORT/0" "cache_location with a user"
compile_check miss --out shared.o -- gcc -g -c src/shared.c -o shared.o
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
(($(redis_cli --user sccache --pass acl-Secret-5 DBSIZE) > 0)) || fail "no keys stored as ACL user sccache"
expect_secret_hidden acl-Secret-5 "ACL password"

log "Redis killed in the middle of a build; restarted on the same port"
stop_redis KILL
start_redis
SCCACHE_REDIS=$(redis_url 0)
start_sccache_server crash
mid_build_outage crash 12 stop_redis KILL
log "while Redis is down: compiles are right and count errors"
errors=$(stat_json "$J_ERRORS")
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out obj/crash/1.o -- gcc -O1 -c src/crash_1.c -o obj/crash/1.o
expect_ge "$(stat_json "$J_ERRORS")" "$((errors + 1))" "cache_errors of a compile while Redis is down"
start_redis # same port; empty (no persistence)
log "after the restart: hits again once an entry is written (backoff at most ~10 s)"
poll_until_hit 30 ref/crash/0.o obj/crash/0.o -- gcc -O1 -c src/crash_0.c -o obj/crash/0.o
compile_check miss --out obj/crash/2.o -- gcc -O1 -c src/crash_2.c -o obj/crash/2.o
compile_check hit --out obj/crash/2.o -- gcc -O1 -c src/crash_2.c -o obj/crash/2.o

log "a hung (SIGSTOP'ed) Redis does not hang compiles"
gen_c hung
gcc -O1 -c src/hung.c -o ref/hung.o
mkdir -p obj/hung
kill -STOP "$REDIS_PID"
for i in 1 2; do
  # No stats calls while Redis is stopped: the location/size query would wait for it too.
  rm -f obj/hung/hung.o
  CMD_TIMEOUT=15 run_to "hung$i" "$SCCACHE_BIN" gcc -O1 -c src/hung.c -o obj/hung/hung.o
  expect_eq "$(rc_of "hung$i")" 0 "exit code of compile $i with a stopped Redis ($(err_of "hung$i"))"
  [[ ! -s $RUNS/hung$i.err ]] || fail "compile $i with a stopped Redis wrote to stderr: $(err_of "hung$i")"
  expect_same_file ref/hung.o obj/hung/hung.o "object of compile $i with a stopped Redis"
done
kill -CONT "$REDIS_PID"
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors after compiles against a stopped Redis"
poll_until_hit 30 ref/hung.o obj/hung/hung.o -- gcc -O1 -c src/hung.c -o obj/hung/hung.o

log "unix socket (unix:///path?db=2)"
stop_redis
start_redis --unixsocket "$TEST_TMP/redis.sock" --port 0
SCCACHE_REDIS="unix://$TEST_TMP/redis.sock?db=2"
start_sccache_server unix
location=$(stat_json .cache_location)
[[ $location == "Redis: "* ]] || fail "cache_location for a unix socket: '$location'"
gen_c unix
compile_check miss --out unix.o -- clang -O1 -c src/unix.c -o unix.o
compile_check hit --out unix.o -- clang -O1 -c src/unix.c -o unix.o
(($(redis_cli -n 2 DBSIZE) > 0)) || fail "no keys in Redis db 2 over the unix socket"
expect_eq "$(redis_cli -n 0 DBSIZE)" 0 "keys in Redis db 0 (the URL said db=2)"
expect_eq "$(stat_json "$J_ERRORS")" 0 "cache_errors over the unix socket"
