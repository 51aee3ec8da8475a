#!/usr/bin/env bash
# The multi-level cache (SCCACHE_MULTILEVEL_CHAIN, newest sccache's names) against real servers:
# disk -> redis -> s3 (s3rver with SigV4 checks). A miss is written to every level; after the
# disk is wiped a hit comes from redis and is backfilled to disk (the next one is a disk hit);
# after redis is flushed too, a hit comes from s3 and is backfilled to disk and redis; with redis
# stopped the chain still serves disk and s3 hits and every build succeeds; the text and JSON
# stats count hits per level and the location lists the chain; a read-only level is never
# written; a chain naming an unconfigured level fails the start, naming the setting.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc redis-server redis-cli
require_s3rver
setup

start_redis
start_s3rver S3RVER S3RVER sccache-ml
export SCCACHE_REDIS SCCACHE_BUCKET=sccache-ml SCCACHE_ENDPOINT=$S3_ENDPOINT SCCACHE_REGION=us-east-1
SCCACHE_REDIS=$(redis_url 0)
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
export SCCACHE_MULTILEVEL_CHAIN=disk,redis,s3 SCCACHE_LOG=debug

level_hits() { stat_json "(.stats.cache_hits_by_level[\"$1\"] // 0)"; }
disk_entries() { find "$SCCACHE_DIR" -type f -size +0 ! -name '*.tmp*' 2>/dev/null | wc -l; }

log "a miss is written to every level"
start_sccache_server ml
expect_eq "$(stat_json .cache_location)" \
  "Multi-level: L0 Local disk: \"$SCCACHE_DIR\"; L1 Redis: $SCCACHE_REDIS; L2 S3, bucket: sccache-ml, endpoint: $S3_ENDPOINT" \
  "cache_location"
gen_c one
compile_check miss --out one.o -- gcc -O2 -c src/one.c -o one.o
(($(redis_cli -n 0 DBSIZE) >= 1)) || fail "no key in redis after the miss"
(($(s3_objects sccache-ml) >= 1)) || fail "no object in s3 after the miss"
compile_check hit --out one.o -- gcc -O2 -c src/one.c -o one.o
expect_eq "$(level_hits 'L0 disk')" 1 "hits at L0 disk"

log "disk wiped: the hit comes from redis and is backfilled to disk"
stop_sccache_server ml
rm -rf "${SC_INST_DIR[ml]}"
start_sccache_server ml
compile_check hit --out one.o -- gcc -O2 -c src/one.c -o one.o
expect_eq "$(level_hits 'L1 redis')" 1 "hits at L1 redis"
wait_until 10 grep -q 'backfilled .* into L0 disk' "$SCCACHE_ERROR_LOG" || fail "no backfill into L0 disk logged"
compile_check hit --out one.o -- gcc -O2 -c src/one.c -o one.o
expect_eq "$(level_hits 'L0 disk')" 1 "hits at L0 disk after the backfill"

log "disk wiped and redis flushed: the hit comes from s3, backfilled to disk and redis"
stop_sccache_server ml
rm -rf "${SC_INST_DIR[ml]}"
redis_cli -n 0 FLUSHDB >/dev/null
start_sccache_server ml
compile_check hit --out one.o -- gcc -O2 -c src/one.c -o one.o
expect_eq "$(level_hits 'L2 s3')" 1 "hits at L2 s3"
wait_until 10 grep -q 'backfilled .* into L1 redis' "$SCCACHE_ERROR_LOG" || fail "no backfill into L1 redis logged"
(($(redis_cli -n 0 DBSIZE) >= 1)) || fail "the s3 hit was not backfilled into redis"
compile_check hit --out one.o -- gcc -O2 -c src/one.c -o one.o
expect_eq "$(level_hits 'L0 disk')" 1 "hits at L0 disk after the s3 backfill"
run_to text "$SCCACHE_BIN" --show-stats
grep -q '^Cache hits at L2 s3 *1$' "$RUNS/text.out" || fail "--show-stats has no per-level line: $(cat "$RUNS/text.out")"

log "redis stopped: disk and s3 still serve, misses are compiled and stored, builds succeed"
stop_redis
gen_c two
errors_before=$(stat_json "$J_ERRORS")
compile_check miss --out two.o -- gcc -O2 -c src/two.c -o two.o
expect_ge "$(stat_json "$J_ERRORS")" "$((errors_before + 1))" "cache errors: the redis level is down"
compile_check hit --out two.o -- gcc -O2 -c src/two.c -o two.o
expect_eq "$(stat_json "$J_WERR")" 0 "write errors with the default policy l0 (disk written)"
stop_sccache_server ml
rm -rf "${SC_INST_DIR[ml]}"
start_sccache_server ml
compile_check hit --out two.o -- gcc -O2 -c src/two.c -o two.o
expect_eq "$(level_hits 'L2 s3')" 1 "the s3 hit with redis down"
stop_sccache_server ml

log "write_error_policy all: the failed redis write counts"
SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY=all start_sccache_server strict
gen_c three
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out three.o -- gcc -O2 -c src/three.c -o three.o
wait_stat_ge "$J_WERR" 1
stop_sccache_server strict

log "a read-only level is never written"
start_redis
before=$(s3_objects sccache-ml)
SCCACHE_S3_RW_MODE=READ_ONLY SCCACHE_REDIS=$(redis_url 0) start_sccache_server ro
gen_c four
compile_check miss --out four.o -- gcc -O2 -c src/four.c -o four.o
expect_eq "$(s3_objects sccache-ml)" "$before" "objects in the read-only s3 level"
(($(redis_cli -n 0 DBSIZE) >= 1)) || fail "the writable redis level was not written"
stop_sccache_server ro

log "bad chains: the server does not start and says why"
expect_start_failure unknown SCCACHE_MULTILEVEL_CHAIN=disk,floppy
expect_start_failure twice SCCACHE_MULTILEVEL_CHAIN=disk,disk
expect_start_failure policy SCCACHE_MULTILEVEL_WRITE_ERROR_POLICY=sometimes
(unset SCCACHE_REDIS && expect_start_failure unconfigured SCCACHE_MULTILEVEL_CHAIN=disk,redis)
log "PASS"
