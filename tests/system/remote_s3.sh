#!/usr/bin/env bash
# S3 as the cache backend (SCCACHE_BUCKET + SCCACHE_ENDPOINT, AWS_* credentials), against a
# real S3 server that checks SigV4 (@20minutes/s3rver, see tests/services): two sccache servers
# share a bucket (hits with byte-identical objects, gcc and clang); stats show the location and
# no sizes; S3 wins over Redis and Memcached; a wrong secret (403) still builds and counts
# errors; key prefixes separate caches in one bucket; the S3 server stopped in the middle of a
# build, then restarted with its data; without credentials reads work and nothing is written.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang
require_s3rver
setup
for v in $(compgen -e | grep '^AWS_' || true); do unset "$v"; done

AK=AKIDSCCACHETEST
SK=sccache-test-Secret-42
BUCKET=cache
start_s3rver "$AK" "$SK" "$BUCKET" other
export SCCACHE_BUCKET=$BUCKET SCCACHE_ENDPOINT=$S3_ENDPOINT
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK
S3_LOG=$TEST_TMP/server-s3rver.log
s3_requests() { grep -cE "^$1 /" "$S3_LOG" || true; } # s3_requests METHOD: count so far

gen_c shared
for cc in "${C_COMPILERS[@]}"; do gen_c "shared_$cc"; done

log "two sccache servers share one bucket"
start_sccache_server a
expect_eq "$(stat_json .cache_location)" "S3, bucket: $BUCKET, endpoint: $S3_ENDPOINT" "cache_location"
expect_eq "$(stat_json .cache_size)" null "cache_size"
expect_eq "$(stat_json .max_cache_size)" null "max_cache_size"
start_sccache_server b
for cc in "${C_COMPILERS[@]}"; do
  log "$cc: miss on server a, hit on server b"
  shared_compile "src/shared_$cc.c" "shared_$cc.o" "$cc" -O1
  shared_compile src/shared.c shared.o "$cc" -g
done
objects=$(s3_objects "$BUCKET")
((objects >= 4)) || fail "objects in bucket $BUCKET after 4 cache writes: $objects"
expect_eq "$(s3_objects other)" 0 "objects in the other bucket"
expect_no_cache_errors "a missing object is a plain miss"
expect_eq "$(grep -c ' 403$' "$S3_LOG" || true)" 0 "requests refused by the S3 server so far"

log "S3 wins over Redis and Memcached when all are set"
SCCACHE_REDIS="redis://127.0.0.1:$(fresh_port)/0" SCCACHE_MEMCACHED="tcp://127.0.0.1:$(fresh_port)" \
  start_sccache_server all3
expect_eq "$(stat_json .cache_location)" "S3, bucket: $BUCKET, endpoint: $S3_ENDPOINT" "cache_location with S3, Redis and Memcached set"
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o

log "wrong secret: 403 from the server; compiles succeed, errors counted, nothing written"
objects=$(s3_objects "$BUCKET")
AWS_SECRET_ACCESS_KEY=not-the-Secret start_sccache_server wrongkey
# An object that exists: the signed GET is refused, so no hit.
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out shared.o -- gcc -g -c src/shared.c -o shared.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors after a lookup with a wrong secret"
gen_c wrongkey
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongkey.o -- gcc -c src/wrongkey.c -o wrongkey.o
wait_stat_ge "$J_WERR" 1
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongkey.o -- gcc -c src/wrongkey.c -o wrongkey.o
expect_eq "$(s3_objects "$BUCKET")" "$objects" "objects in the bucket after writes with a wrong secret"
(($(grep -c ' 403$' "$S3_LOG" || true) > 0)) || fail "the S3 server refused nothing: $(tail -5 "$S3_LOG")"
grep -q 403 "$SCCACHE_ERROR_LOG" ||
  fail "the server log does not give the reason (403): $(tail -5 "$SCCACHE_ERROR_LOG" 2>/dev/null)"
log "logged: $(grep -m1 403 "$SCCACHE_ERROR_LOG")"
expect_secret_hidden not-the-Secret "S3 secret"

log "key prefixes separate caches in one bucket"
# (not a/ and b/: keys are sharded into hex directories like b/2/2/..., so objects of the
# unprefixed cache would sit under b/ too)
export SCCACHE_S3_KEY_PREFIX=team-a/
start_sccache_server pa
expect_eq "$(stat_json .cache_location)" "S3, bucket: $BUCKET, endpoint: $S3_ENDPOINT, prefix: team-a/" "cache_location with a prefix"
# shared.c is in the bucket without a prefix: not visible under team-a/
compile_check miss --out shared.o -- gcc -g -c src/shared.c -o shared.o
gen_c prefixed
compile_check miss --out prefixed.o -- gcc -O2 -c src/prefixed.c -o prefixed.o
(($(s3_objects "$BUCKET" team-a/) >= 2)) || fail "objects under $BUCKET/team-a/: $(s3_objects "$BUCKET" team-a/)"
expect_eq "$(s3_objects "$BUCKET" team-b/)" 0 "objects under $BUCKET/team-b/ before the team-b/ server wrote"
SCCACHE_S3_KEY_PREFIX=team-b/ SCCACHE_REGION=eu-central-1 start_sccache_server pb
expect_eq "$(stat_json .cache_location)" "S3, bucket: $BUCKET, endpoint: $S3_ENDPOINT, prefix: team-b/" "cache_location with prefix team-b/"
compile_check miss --out prefixed.o -- gcc -O2 -c src/prefixed.c -o prefixed.o
compile_check hit --out prefixed.o -- gcc -O2 -c src/prefixed.c -o prefixed.o
(($(s3_objects "$BUCKET" team-b/) >= 1)) || fail "objects under $BUCKET/team-b/: $(s3_objects "$BUCKET" team-b/)"
use_sccache pa
compile_check hit --out prefixed.o -- gcc -O2 -c src/prefixed.c -o prefixed.o
unset SCCACHE_S3_KEY_PREFIX

log "the S3 server stopped in the middle of a build; restarted (its data kept)"
start_sccache_server crash
mid_build_outage crash 12 stop_s3rver KILL
errors=$(stat_json "$J_ERRORS")
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out shared.o -- clang -g -c src/shared.c -o shared.o
expect_ge "$(stat_json "$J_ERRORS")" "$((errors + 1))" "cache_errors of a compile while the S3 server is down"
start_s3rver "${S3_ARGS[@]}" # same port and data directory
log "after the restart: hits again (backoff at most ~10 s)"
mkdir -p ref
clang -g -c src/shared.c -o ref/shared_clang_g.o
poll_until_hit 30 ref/shared_clang_g.o shared.o -- clang -g -c src/shared.c -o shared.o
gen_c after_crash
compile_check miss --out after_crash.o -- gcc -c src/after_crash.c -o after_crash.o
compile_check hit --out after_crash.o -- gcc -c src/after_crash.c -o after_crash.o

log "no credentials: anonymous reads hit, writes are skipped (not errors)"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
start_sccache_server anon
objects=$(s3_objects "$BUCKET")
puts=$(s3_requests PUT)
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
compile_check hit --out "shared_clang.o" -- clang -O1 -c src/shared_clang.c -o shared_clang.o
snap anon_before
gen_c anon
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out anon.o -- gcc -c src/anon.c -o anon.o
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out anon.o -- gcc -c src/anon.c -o anon.o
snap anon_after
expect_delta anon_before anon_after "$J_WERR" 0 "cache_write_errors (skipped anonymous writes)"
expect_delta anon_before anon_after "$J_WRITES" 0 "cache_writes (skipped anonymous writes)"
expect_delta anon_before anon_after "$J_ERRORS" 0 "cache_errors (anonymous reads work)"
expect_eq "$(s3_objects "$BUCKET")" "$objects" "objects in the bucket after anonymous compiles"
expect_eq "$(s3_requests PUT)" "$puts" "PUT requests received from the anonymous server"
expect_eq "$(stat_json .cache_location)" "S3, bucket: $BUCKET, endpoint: $S3_ENDPOINT" "cache_location without credentials"
expect_eq "$(grep -ciE 'anonym|credential' "$SCCACHE_ERROR_LOG" || true)" 1 \
  "log lines saying that the server reads anonymously and skips writes"
