#!/usr/bin/env bash
# Warm-hit latency of a tiny C file through each storage backend, in one hyperfine run:
# local disk, Redis, Memcached, S3 (@20minutes/s3rver, SigV4), Azure Blob (Azurite,
# SharedKey) and GCS (the firebase emulator behind gcs-auth.js, service-account token) on loopback, the multi-level chain disk,redis,s3 (hits from L0), plus a plain
# compile. Each backend gets its own sccache server (own port and SCCACHE_DIR).
# Usage: bench/remote_hit.sh [path/to/sccache]   (default: build/release/bin/sccache)
# Needs redis-server, memcached (scripts/setup.sh) and tests/services/install.sh for S3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SCCACHE=${1:-$root/build/release/bin/sccache}
for t in hyperfine redis-server memcached node openssl jq; do
  command -v "$t" >/dev/null || { echo "$t missing: run scripts/setup.sh"; exit 1; }
done
bash "$root/tests/services/install.sh" >/dev/null
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
ports=()
cleanup() {
  for p in "${ports[@]}"; do SCCACHE_SERVER_PORT=$p "$SCCACHE" --stop-server >/dev/null 2>&1 || true; done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$work" --logfile "$work/redis.log" &
pids+=($!)
mc_port=$(free_port)
memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 64 -I 32m -u "$(id -un)" >"$work/mc.log" 2>&1 &
pids+=($!)
s3_port=$(free_port)
mkdir -p "$work/s3"
S3RVER_QUIET=1 node "$root/tests/services/s3-server.js" "$work/s3" "$s3_port" AKBENCH SKBENCH bench >"$work/s3.log" 2>&1 &
pids+=($!)
az_port=$(free_port)
node "$root/tests/services/node_modules/azurite/dist/src/blob/main.js" --blobHost 127.0.0.1 --blobPort "$az_port" \
  --location "$work/azurite" --disableTelemetry --skipApiVersionCheck --silent >"$work/az.log" 2>&1 &
pids+=($!)
for _ in $(seq 400); do
  redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG &&
    (exec 3<>"/dev/tcp/127.0.0.1/$mc_port") 2>/dev/null &&
    curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && curl -s -o /dev/null "http://127.0.0.1:$az_port/" && break
  sleep 0.05
done
gcs_emu_port=$(free_port)
NODE_PATH=$root/tests/services/node_modules node "$root/tests/services/gcs-emulator.js" "$gcs_emu_port" >"$work/gcs-emu.log" 2>&1 &
pids+=($!)
gcs_port=$(free_port)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/gcs.pem" 2>/dev/null
openssl pkey -in "$work/gcs.pem" -pubout -out "$work/gcs.pub"
gcs_email=bench@demo-sccache.iam.gserviceaccount.com
jq -n --rawfile key "$work/gcs.pem" --arg email "$gcs_email" --arg uri "http://127.0.0.1:$gcs_port/token" \
  '{type: "service_account", private_key: $key, client_email: $email, token_uri: $uri}' >"$work/gcs.json"
node "$root/tests/services/gcs-auth.js" "$gcs_port" "$gcs_emu_port" "$work/gcs.pub" "$gcs_email" >"$work/gcs-auth.log" 2>&1 &
pids+=($!)
for _ in $(seq 400); do
  curl -s -o /dev/null "http://127.0.0.1:$gcs_emu_port/" && curl -s -o /dev/null "http://127.0.0.1:$gcs_port/__stats" && break
  sleep 0.05
done
az_endpoint=http://127.0.0.1:$az_port/devstoreaccount1
node "$root/tests/services/azure-container.js" "$az_endpoint" bench
az_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

echo 'int tiny(int x) { return x * 2 + 1; }' > t.c
sleep 2.5   # direct mode only records files older than ~2 s
declare -A backend=(
  [disk]=""
  [redis]="SCCACHE_REDIS=redis://127.0.0.1:$redis_port"
  [memcached]="SCCACHE_MEMCACHED=tcp://127.0.0.1:$mc_port"
  [s3]="SCCACHE_BUCKET=bench SCCACHE_ENDPOINT=http://127.0.0.1:$s3_port AWS_ACCESS_KEY_ID=AKBENCH AWS_SECRET_ACCESS_KEY=SKBENCH"
  [azure]="SCCACHE_AZURE_CONNECTION_STRING=AccountName=devstoreaccount1;AccountKey=$az_key;BlobEndpoint=$az_endpoint SCCACHE_AZURE_BLOB_CONTAINER=bench"
  [gcs]="SCCACHE_GCS_BUCKET=bench SCCACHE_GCS_ENDPOINT=http://127.0.0.1:$gcs_port SCCACHE_GCS_KEY_PATH=$work/gcs.json SCCACHE_GCS_RW_MODE=READ_WRITE"
)
backend[chain]="SCCACHE_MULTILEVEL_CHAIN=disk,redis,s3 ${backend[redis]} ${backend[s3]}"
cmds=()
for name in disk redis memcached s3 azure gcs chain; do
  port=$(free_port)
  ports+=("$port")
  c="env SCCACHE_SERVER_PORT=$port SCCACHE_DIR=$work/dir-$name SCCACHE_IDLE_TIMEOUT=0 ${backend[$name]} $SCCACHE gcc -c t.c -o t.o"
  $c >/dev/null
  sleep 0.5   # the entry and manifest are written after the reply
  $c >/dev/null
  cmds+=("$c")
  env SCCACHE_SERVER_PORT="$port" "$SCCACHE" --show-stats --stats-format json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(sys.argv[1], d["cache_location"], "hits", d["stats"]["cache_hits"]["counts"])' "$name"
done
cmds+=("gcc -c t.c -o t.o")
hyperfine -N --warmup 20 --runs "${RUNS:-300}" --export-markdown "$work/result.md" "${cmds[@]}"
cat "$work/result.md"
