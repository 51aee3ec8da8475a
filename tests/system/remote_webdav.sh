#!/usr/bin/env bash
# WebDAV as the cache backend (SCCACHE_WEBDAV_*), against nginx's DAV module with basic auth:
# two sccache servers share its entries (byte-identical hits, gcc and clang), objects land at
# <prefix>/k0/k1/k2/<key>; the password is never shown; a wrong password and a stopped nginx cost
# misses and counted errors, never a failed build; a bad endpoint fails the server start.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
require_tool gcc clang nginx openssl curl
[[ -e /usr/lib/nginx/modules/ngx_http_dav_ext_module.so ]] || skip "libnginx-mod-http-dav-ext missing"
setup

NGX_DIR=$TEST_TMP/nginx
NGX_PID=
reserve_port DAV_PORT
DAV_USER=ccuser
DAV_PASS=Dav-pw-5kq9-secret

write_nginx_conf() {
  mkdir -p "$NGX_DIR"/{data,logs,tmp/body,tmp/proxy,tmp/fastcgi,tmp/uwsgi,tmp/scgi}
  printf '%s:%s\n' "$DAV_USER" "$(openssl passwd -apr1 "$DAV_PASS")" >"$NGX_DIR/htpasswd"
  cat >"$NGX_DIR/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_http_dav_ext_module.so;
user root;
worker_processes 1;
daemon off;
pid $NGX_DIR/nginx.pid;
error_log $NGX_DIR/logs/error.log info;
events { worker_connections 64; }
http {
  access_log $NGX_DIR/logs/access.log;
  client_body_temp_path $NGX_DIR/tmp/body;
  proxy_temp_path $NGX_DIR/tmp/proxy;
  fastcgi_temp_path $NGX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGX_DIR/tmp/uwsgi;
  scgi_temp_path $NGX_DIR/tmp/scgi;
  server {
    listen 127.0.0.1:$DAV_PORT;
    root $NGX_DIR/data;
    client_max_body_size 64m;
    location / {
      auth_basic "cache";
      auth_basic_user_file $NGX_DIR/htpasswd;
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      dav_access user:rw group:rw all:r;
    }
  }
}
EOF
}

nginx_ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DAV_PORT/") == 401 ]]; }

start_nginx() {
  nginx -c "$NGX_DIR/nginx.conf" -p "$NGX_DIR" </dev/null >>"$TEST_TMP/server-nginx.log" 2>&1 &
  NGX_PID=$!
  track_pid "$NGX_PID"
  wait_service 20 "$NGX_PID" nginx "$TEST_TMP/server-nginx.log" nginx_ready
  log "nginx pid $NGX_PID ready on 127.0.0.1:$DAV_PORT"
}

stop_nginx() {
  stop_pid "$NGX_PID" TERM nginx "$TEST_TMP/server-nginx.log"
  wait_until 10 port_closed "$DAV_PORT" || fail "port $DAV_PORT still open after nginx exited"
  NGX_PID=
}

objects() { find "$NGX_DIR/data" -type f | wc -l; }

write_nginx_conf
start_nginx
gen_c shared
for cc in "${C_COMPILERS[@]}"; do gen_c "shared_$cc"; done

log "two sccache servers share one WebDAV store (basic auth, key prefix ci/cache)"
export SCCACHE_WEBDAV_ENDPOINT="http://127.0.0.1:$DAV_PORT/" SCCACHE_WEBDAV_KEY_PREFIX=ci/cache
export SCCACHE_WEBDAV_USERNAME=$DAV_USER SCCACHE_WEBDAV_PASSWORD=$DAV_PASS
start_sccache_server a
expect_eq "$(stat_json .cache_location)" "WebDAV, endpoint: http://127.0.0.1:$DAV_PORT, prefix: ci/cache/" "cache_location"
start_sccache_server b
shared_compiles
n=$(objects)
((n >= 3)) || fail "expected at least 3 objects on the WebDAV server, found $n"
bad=$(find "$NGX_DIR/data" -type f | grep -Ev "/ci/cache/[0-9a-f]/[0-9a-f]/[0-9a-f]/[0-9a-f]{64}$" || true)
[[ -z $bad ]] || fail "objects outside <prefix>/k0/k1/k2/<key>: $bad"
expect_no_cache_errors
expect_secret_hidden "$DAV_PASS" "WebDAV password"

log "the same settings from [cache.webdav] in the config file"
cat >"$TEST_TMP/webdav.conf" <<EOF
[cache.webdav]
endpoint = "http://127.0.0.1:$DAV_PORT"
key_prefix = "ci/cache"
username = "$DAV_USER"
password = "$DAV_PASS"
EOF
# (not in a subshell: the instance must stay known to this shell, which stops it at the end)
unset SCCACHE_WEBDAV_ENDPOINT SCCACHE_WEBDAV_KEY_PREFIX SCCACHE_WEBDAV_USERNAME SCCACHE_WEBDAV_PASSWORD
SCCACHE_CONF=$TEST_TMP/webdav.conf start_sccache_server conf
expect_eq "$(stat_json .cache_location)" "WebDAV, endpoint: http://127.0.0.1:$DAV_PORT, prefix: ci/cache/" "cache_location from the config file"
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
stop_sccache_server conf
use_sccache a
export SCCACHE_WEBDAV_ENDPOINT="http://127.0.0.1:$DAV_PORT/" SCCACHE_WEBDAV_KEY_PREFIX=ci/cache
export SCCACHE_WEBDAV_USERNAME=$DAV_USER SCCACHE_WEBDAV_PASSWORD=$DAV_PASS

log "wrong password: compiles succeed, errors counted, nothing stored"
before=$(objects)
SCCACHE_WEBDAV_PASSWORD=wrong-pw start_sccache_server wrongpw
gen_c wrongpw
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out wrongpw.o -- gcc -O2 -c src/wrongpw.c -o wrongpw.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors after a lookup with a wrong password"
expect_eq "$(objects)" "$before" "objects after compiles with a wrong password"

log "read-only mode (SCCACHE_WEBDAV_RW_MODE=READ_ONLY): hits from the store; a miss sends no PUT"
SCCACHE_WEBDAV_RW_MODE=READ_ONLY start_sccache_server ro
compile_check hit --out shared.o -- gcc -g -c src/shared.c -o shared.o
before=$(objects)
puts_before=$(grep -c '"PUT ' "$NGX_DIR/logs/access.log" || true)
gen_c readonly
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out readonly.o -- gcc -O2 -c src/readonly.c -o readonly.o
wait_stat_ge '.stats.cache_writes_skipped' 1
expect_eq "$(stat_json "$J_WERR")" 0 "read-only: cache_write_errors"
expect_eq "$(objects)" "$before" "read-only: objects on the WebDAV server"
expect_eq "$(grep -c '"PUT ' "$NGX_DIR/logs/access.log" || true)" "$puts_before" "read-only: PUT requests nginx saw"
run_to ro_text "$SCCACHE_BIN" --show-stats
grep -q 'Cache writes skipped (read-only) *1' "$RUNS/ro_text.out" || fail "read-only: --show-stats: $(cat "$RUNS/ro_text.out")"
stop_sccache_server ro
expect_start_failure badmode SCCACHE_WEBDAV_RW_MODE=READONLY
use_sccache a

log "nginx stopped: misses and errors, every build succeeds"
stop_nginx
use_sccache a
gen_c down
CHECK_ALLOW_WRITE_ERRORS=1 compile_check miss --out down.o -- gcc -O2 -c src/down.c -o down.o
expect_ge "$(stat_json "$J_ERRORS")" 1 "cache_errors of server a with nginx down"

log "a bad endpoint: the server does not start and says why"
expect_start_failure badurl SCCACHE_WEBDAV_ENDPOINT=ftp://127.0.0.1/x
expect_start_failure creds SCCACHE_WEBDAV_ENDPOINT=http://u:p@127.0.0.1:1/

log "PASS"
