#!/usr/bin/env bash
# Azure Blob as the cache backend (SCCACHE_AZURE_*), against Azurite, which checks SharedKey:
# two sccache servers share its entries (byte-identical hits, gcc and clang) under a key prefix;
# the account key is never shown; [cache.azure] in the config file works too; a wrong key, a
# missing container and a stopped Azurite cost misses and counted errors, never a failed build;
# read-only mode sends no PUT; a bad connection string fails the server start, naming the setting.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang
require_azurite
setup

start_azurite sccache-cache
gen_c shared
for cc in "${C_COMPILERS[@]}"; do gen_c "shared_$cc"; done

log "two sccache servers share one container (SharedKey, key prefix ci/cache)"
export SCCACHE_AZURE_CONNECTION_STRING=$AZ_CONN SCCACHE_AZURE_BLOB_CONTAINER=sccache-cache SCCACHE_AZURE_KEY_PREFIX=ci/cache
start_sccache_server a
expect_eq "$(stat_json .cache_location)" "Azure, container: BlobContainer(url=$AZ_ENDPOINT/sccache-cache/), prefix: ci/cache/" "cache_location"
start_sccache_server b
shared_compiles
expect_ge "$(az_requests PUT)" 3 "PUT requests Azurite saw"
expect_no_cache_errors
expect_secret_hidden "$AZ_DEV_KEY" "account key"

log "the same settings from [cache.azure] in the config file"
cat >"$TEST_TMP/azure.conf" <<CONF
[cache.azure]
connection_string = "$AZ_CONN"
container = "sccache-cache"
key_prefix = "ci/cache"
CONF
unset SCCACHE_AZURE_CONNECTION_STRING SCCACHE_AZURE_BLOB_CONTAINER SCCACHE_AZURE_KEY_PREFIX
SCCACHE_CONF=$TEST_TMP/azure.conf start_sccache_server conf
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
stop_sccache_server conf
export SCCACHE_AZURE_CONNECTION_STRING=$AZ_CONN SCCACHE_AZURE_BLOB_CONTAINER=sccache-cache SCCACHE_AZURE_KEY_PREFIX=ci/cache

log "wrong account key: compiles succeed, errors counted"
wrong_key=$(printf 'not-the-key-%s' "$RANDOM" | base64 -w0)
SCCACHE_AZURE_CONNECTION_STRING="AccountName=devstoreaccount1;AccountKey=$wrong_key;BlobEndpoint=$AZ_ENDPOINT" \
  start_sccache_server wrongkey
gen_c wrongkey
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongkey.o -- gcc -O2 -c src/wrongkey.c -o wrongkey.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors after a lookup with a wrong key"
wait_stat_ge "$J_WERR" 1
stop_sccache_server wrongkey

log "a container that does not exist: errors, every build succeeds"
SCCACHE_AZURE_BLOB_CONTAINER=no-such-container start_sccache_server nocontainer
gen_c nocontainer
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out nocontainer.o -- gcc -O2 -c src/nocontainer.c -o nocontainer.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors with a missing container"
stop_sccache_server nocontainer

log "read-only mode (SCCACHE_AZURE_RW_MODE=READ_ONLY): hits; a miss sends no PUT"
SCCACHE_AZURE_RW_MODE=READ_ONLY start_sccache_server ro
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
puts=$(az_requests PUT)
gen_c readonly
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out readonly.o -- gcc -O2 -c src/readonly.c -o readonly.o
wait_stat_ge '.stats.cache_writes_skipped' 1
expect_eq "$(az_requests PUT)" "$puts" "read-only: PUT requests Azurite saw"
expect_eq "$(stat_json "$J_WERR")" 0 "read-only: cache_write_errors"
stop_sccache_server ro

log "Azurite stopped: misses and errors, every build succeeds"
stop_azurite
use_sccache a
gen_c down
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out down.o -- gcc -O2 -c src/down.c -o down.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors of server a with Azurite down"

log "bad settings: the server does not start and says why"
expect_start_failure badconn SCCACHE_AZURE_CONNECTION_STRING=AccountKey=abc
expect_start_failure noendpoint SCCACHE_AZURE_CONNECTION_STRING="BlobEndpoint=ftp://127.0.0.1/x"
expect_start_failure badmode SCCACHE_AZURE_RW_MODE=RO
log "PASS"
