#!/usr/bin/env bash
# sccache-dist with the docker builder: this test starts its own dockerd (unix socket and data
# root under $TEST_TMP, no bridge, no iptables), a scheduler and two build servers with
# `[builder] type = "docker"`, and drives them with data/dist_driver.py as dist_overlay.sh does.
#   - start-up removes stale sccache-builder-* containers and images (only those) and imports
#     the base image sccache-builder-base (busybox only: nothing is pulled)
#   - gcc: 3 TUs held at once, then 3 more: objects identical to host compiles (same args, same
#     cwd path); jobs on both servers; each server makes the toolchain image once, even with two
#     first jobs at once
#   - clang (when present): two TUs, identical objects
#   - a compile error comes back with the host's exit code and stderr
#   - isolation: `#include "/etc/shadow"` and `cat /etc/shadow` see no host file; no network
#     (only `lo`; the scheduler on 127.0.0.1 and any other address unreachable)
#   - reuse: the next job on a server runs in the same container (same hostname, no new
#     container) and sees none of the previous job's files (in /, /tmp, its cwd); a job that
#     changes the image's files gets its container discarded, and the next job a fresh one
# Needs root, dockerd (with containerd and runc), the docker CLI, a static /bin/busybox
# (busybox-static), python3 and gcc; skips (77) when dockerd does not start within 30 s.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=services.sh
source "$(dirname "$0")/services.sh"
[[ $(id -u) == 0 ]] || skip "needs root: it starts its own dockerd"
require_tool dockerd docker containerd runc python3 gcc
[[ -x /bin/busybox ]] || skip "needs a static busybox at /bin/busybox (Debian package busybox-static)"
setup

DIST=$(dirname "$SCCACHE_BIN")/sccache-dist
[[ -x $DIST ]] || fail "sccache-dist not found at $DIST (next to SCCACHE_BIN)"
DRIVER=$SYSTEST_DIR/data/dist_driver.py
PKG=$SYSTEST_DIR/data/pkg-toolchain.sh
PY=$(python3 -c 'import sys; print(sys.executable)')
WORK=$TEST_TMP/work
CONF=$TEST_TMP/conf
REF=$TEST_TMP/ref
OUT=$TEST_TMP/out
mkdir -p "$CONF" "$REF" "$OUT" "$WORK/src"
HAVE_CLANG=0
command -v clang >/dev/null 2>&1 && HAVE_CLANG=1

# ---------------------------------------------------------------------------------------------
# Our own dockerd. Stopped at exit (before lib.sh's cleanup): containers removed, dockerd
# SIGTERMed and waited for (it stops its containerd), and only if that fails, SIGKILL for the
# PIDs it started (dockerd, its containerd, the shims of our containers) and a lazy unmount of
# whatever is still mounted under our data root.

DK=$TEST_TMP/docker
mkdir -p "$DK"
export DOCKER_HOST=unix://$DK/d.sock
DOCKERD_PID=
CONTAINERD_PID=

dk() { "$TIMEOUT_BIN" -k 5 60 docker "$@"; }

docker_teardown() {
  [[ -n $DOCKERD_PID ]] || return 0
  set +eE
  trap - ERR
  local pid shims
  if pid_alive "$DOCKERD_PID"; then
    # Removing the containers first spares dockerd its 10 s stop timeout per container.
    "$TIMEOUT_BIN" 30 docker ps -aq 2>/dev/null | xargs -r "$TIMEOUT_BIN" 30 docker rm -f >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    wait_until 20 pid_gone "$DOCKERD_PID" || printf '[%s] cleanup: dockerd %s ignored SIGTERM\n' "$TEST_NAME" "$DOCKERD_PID" >&2
  fi
  shims=$(pgrep -f -- "-address $DK/exec/containerd/containerd.sock" 2>/dev/null)
  for pid in "$DOCKERD_PID" "$CONTAINERD_PID" $shims; do
    if [[ -n $pid ]] && pid_alive "$pid"; then kill -9 "$pid" 2>/dev/null; fi
  done
  wait "$DOCKERD_PID" 2>/dev/null
  untrack_pid "$DOCKERD_PID"
  grep -F " $DK/" /proc/mounts | cut -d' ' -f2 | sort -r | while read -r m; do umount -l "$m"; done
  DOCKERD_PID=
  return 0
}
docker_exit() {
  local rc=$?
  set +eE
  trap - ERR
  docker_teardown
  (exit "$rc") # lib.sh's cleanup reads the test's status from $?
  cleanup
}
trap docker_exit EXIT

log "dockerd on $DOCKER_HOST"
dockerd --iptables=false --ip6tables=false --bridge=none --data-root "$DK/root" --exec-root "$DK/exec" \
  --pidfile "$DK/d.pid" -H "$DOCKER_HOST" >"$TEST_TMP/server-dockerd.log" 2>&1 </dev/null &
DOCKERD_PID=$!
track_pid "$DOCKERD_PID"
dockerd_up() { pid_alive "$DOCKERD_PID" && "$TIMEOUT_BIN" 5 docker version >/dev/null 2>&1; }
dockerd_settled() { pid_gone "$DOCKERD_PID" || dockerd_up; }
wait_until 30 dockerd_settled || true
if ! dockerd_up; then
  printf '[%s] dockerd log tail:\n' "$TEST_NAME"
  tail -n 20 "$TEST_TMP/server-dockerd.log"
  skip "dockerd exited or did not answer within 30 s (log tail above)"
fi
CONTAINERD_PID=$(ps -o pid=,comm= --ppid "$DOCKERD_PID" | awk '$2 == "containerd" {print $1}' | head -1)
log "dockerd $(docker version --format '{{.Server.Version}}') up (pid $DOCKERD_PID, containerd ${CONTAINERD_PID:-?}), storage $(docker info --format '{{.Driver}}')"

# Stale state for the start-up cleanup, and one container that is not ours.
mkdir -p "$TEST_TMP/img"
cp /bin/busybox "$TEST_TMP/img/busybox"
tar -C "$TEST_TMP/img" -c . | dk import - sccache-builder-stale-image >/dev/null
tar -C "$TEST_TMP/img" -c . | dk import - not-ours-image >/dev/null
dk create --name sccache-builder-stale sccache-builder-stale-image /busybox true >/dev/null
dk run -d --network none --name keep-me not-ours-image /busybox sleep 600 >/dev/null

# ---------------------------------------------------------------------------------------------
# Cluster (as dist_overlay.sh)

reserve_port SCHED_PORT
reserve_port A_PORT
reserve_port B_PORT
A_ID=127.0.0.1:$A_PORT
B_ID=127.0.0.1:$B_PORT

dist() { "$TIMEOUT_BIN" -k 5 30 "$DIST" "$@"; }
drv() {
  local tag=$1
  shift
  run_to "$tag" "$PY" "$DRIVER" --scheduler "127.0.0.1:$SCHED_PORT" --token="$CLIENT_TOKEN" "$@"
  [[ $(rc_of "$tag") == 0 ]] || fail "dist_driver $1 (run $tag) exited $(rc_of "$tag"): $(head -c 1500 "$RUNS/$tag.err")"
}
jr() { jq -r "$2" "$RUNS/$1.out"; }
STATUS_SEQ=0
sched_status() {
  STATUS_SEQ=$((STATUS_SEQ + 1))
  drv "status.$STATUS_SEQ.$BASHPID" status
  jr "status.$STATUS_SEQ.$BASHPID" ".$1"
}
status_is() { [[ $(sched_status "$1") == "$2" ]]; }

start_scheduler() {
  SCCACHE_NO_DAEMON=1 SCCACHE_DIST_SERVER_TIMEOUT_SECS=3 SCCACHE_ERROR_LOG=$TEST_TMP/server-scheduler.log \
    "$DIST" scheduler --config "$1" >"$TEST_TMP/server-scheduler.out.log" 2>&1 </dev/null &
  SCHED_PID=$!
  track_pid "$SCHED_PID"
  wait_service 20 "$SCHED_PID" scheduler "$TEST_TMP/server-scheduler.log" listens_as "$SCHED_PORT" "$SCHED_PID"
}

write_server_conf() { # NAME PORT TOKEN
  mkdir -p "$TEST_TMP/dist-$1"
  cat >"$CONF/$1.conf" <<EOF
cache_dir = "$TEST_TMP/dist-$1/cache"
public_addr = "127.0.0.1:$2"
scheduler_url = "http://127.0.0.1:$SCHED_PORT"

[builder]
type = "docker"

[scheduler_auth]
type = "jwt_token"
token = "$3"
EOF
}

start_build_server() { # NAME PORT; sets SRV_PID
  SCCACHE_DIST_HEARTBEAT_SECS=1 SCCACHE_ERROR_LOG=$TEST_TMP/server-$1.log \
    "$DIST" server --config "$CONF/$1.conf" >"$TEST_TMP/server-$1.out.log" 2>&1 </dev/null &
  SRV_PID=$!
  track_pid "$SRV_PID"
  wait_service 60 "$SRV_PID" "build server $1" "$TEST_TMP/server-$1.log" listens_as "$2" "$SRV_PID"
}

gen_tu() { # NAME N [CC]: src/NAME.c, then NAME.i in $WORK
  local name=$1 n=$2 cc=${3:-gcc}
  write_file "$WORK/src/$name.c" <<EOF
#include <stdio.h>
#include <string.h>
struct rec_$n { int id; double w; char tag[16]; };
static struct rec_$n table_${n}[] = {{$n, $n.5, "$name"}, {$((n * 7)), 0.25, "x$n"}};
int ${name}_sum(int k) {
  int s = 0;
  for (int i = 0; i < k; i++) s += table_${n}[i % 2].id * (i + $n) + (int)strlen(table_${n}[i % 2].tag);
  return s;
}
double ${name}_weight(void) { return table_${n}[0].w * $((n + 3)); }
void ${name}_print(void) { printf("%s %d %f\n", table_${n}[1].tag, ${name}_sum($((n + 4))), ${name}_weight()); }
EOF
  (cd "$WORK" && "$cc" -E "src/$name.c" -o "$name.i")
}

host_ref() { # CC TAG TU
  local cc=$1 tag=$2 tu=$3 stem=${3%.i} rc=0
  mkdir -p "$REF/$tag"
  rm -f "$WORK/$stem.o"
  (cd "$WORK" && "$cc" "${CARGS[@]}" -c "$tu" -o "$stem.o") 2>"$REF/$tag/$stem.stderr" || rc=$?
  echo "$rc" >"$REF/$tag/$stem.rc"
  if [[ -e $WORK/$stem.o ]]; then mv "$WORK/$stem.o" "$REF/$tag/$stem.o"; fi
}

check_result() { # TAG INDEX
  local tag=$1 i=$2 tu stem code what
  tu=$(jr "$tag" ".[$i].tu")
  stem=${tu%.i}
  what="$tag: $tu (job $(jr "$tag" ".[$i].job_id") on $(jr "$tag" ".[$i].server_id"))"
  code=$(jr "$tag" ".[$i].code")
  [[ $code != null ]] || fail "$what: no Complete reply: $(jq -c ".[$i]" "$RUNS/$tag.out" | head -c 600)"
  expect_eq "$code" "$(cat "$REF/$tag/$stem.rc")" "$what: exit code"
  expect_eq "$(jr "$tag" ".[$i].signal")" 0 "$what: signal"
  expect_same_file "$REF/$tag/$stem.stderr" "$OUT/$tag/$stem.stderr" "$what: stderr"
  if [[ -e $REF/$tag/$stem.o ]]; then
    expect_eq "$(jr "$tag" ".[$i].outputs | join(\",\")")" "$stem.o" "$what: outputs returned"
    expect_same_file "$REF/$tag/$stem.o" "$OUT/$tag/$stem.o" "$what: object"
  else
    expect_eq "$(jr "$tag" ".[$i].outputs | length")" 0 "$what: outputs returned (the host compile made none)"
  fi
}

wave() { # TAG CC TOOLCHAIN EXE TU...
  local tag=$1 cc=$2 tc=$3 exe=$4 tu i
  shift 4
  for tu in "$@"; do host_ref "$cc" "$tag" "$tu"; done
  drv "$tag" compile --toolchain "$tc" --exe "$exe" --cwd "$WORK" --out-dir "$OUT/$tag" "$@" -- "${CARGS[@]}"
  expect_eq "$(jr "$tag" length)" "$#" "$tag: number of job results"
  for ((i = 0; i < $#; i++)); do check_result "$tag" "$i"; done
  log "$tag: $* -> $(jq -c '[.[] | {job_id, server_id, need_toolchain, code}]' "$RUNS/$tag.out")"
}

# hold N: N allocations held at once (gcc toolchain); JOB_ID[i], JOB_SRV[i], JOB_AUTH[i].
declare -a JOB_ID JOB_SRV JOB_AUTH
hold() {
  local j
  JOB_ID=() JOB_SRV=() JOB_AUTH=()
  for ((j = 0; j < $1; j++)); do
    drv "hold$HOLD_SEQ.$j" alloc --archive-id "$GCC_ID"
    expect_eq "$(jr "hold$HOLD_SEQ.$j" .status)" 200 "alloc_job: HTTP status ($(head -c 300 "$RUNS/hold$HOLD_SEQ.$j.out"))"
    JOB_ID+=("$(jr "hold$HOLD_SEQ.$j" .body.Success.job_alloc.job_id)")
    JOB_SRV+=("$(jr "hold$HOLD_SEQ.$j" .body.Success.job_alloc.server_id)")
    JOB_AUTH+=("$(jr "hold$HOLD_SEQ.$j" .body.Success.job_alloc.auth)")
  done
  HOLD_SEQ=$((HOLD_SEQ + 1))
}
HOLD_SEQ=0

# job TAG INDEX EXE ARGS...: run held job INDEX in $WORK (no inputs, no outputs); must complete.
job() {
  local tag=$1 i=$2 exe=$3
  shift 3
  drv "$tag" run --server "${JOB_SRV[$i]}" --job "${JOB_ID[$i]}" --auth="${JOB_AUTH[$i]}" --exe "$exe" --cwd "$WORK" -- "$@"
  expect_eq "$(jr "$tag" .http_status)" 200 "$tag: HTTP status ($(head -c 400 "$RUNS/$tag.out"))"
}

# containers_of PORT_PID: running sccache containers of the build server with that PID.
containers_of() { dk ps --format '{{.Names}}' | grep -c -- "-$1-" || true; }
srv_pid_of() { if [[ $1 == "$A_ID" ]]; then echo "$A_PID"; else echo "$B_PID"; fi; }

# ---------------------------------------------------------------------------------------------
log "scheduler and two build servers with the docker builder"
CLIENT_TOKEN=$(dist auth generate-shared-token --bits 128)
KEY=$(dist auth generate-jwt-hs256-key)
cat >"$CONF/scheduler.conf" <<EOF
public_addr = "127.0.0.1:$SCHED_PORT"

[client_auth]
type = "token"
token = "$CLIENT_TOKEN"

[server_auth]
type = "jwt_hs256"
secret_key = "$KEY"
EOF
start_scheduler "$CONF/scheduler.conf"
write_server_conf a "$A_PORT" "$(dist auth generate-jwt-hs256-server-token --config "$CONF/scheduler.conf" --server "$A_ID")"
write_server_conf b "$B_PORT" "$(dist auth generate-jwt-hs256-server-token --config "$CONF/scheduler.conf" --server "$B_ID")"
t0=$SECONDS
start_build_server a "$A_PORT"
A_PID=$SRV_PID
log "build server a up in $((SECONDS - t0)) s: $(grep -o 'docker builder: dockerd.*' "$TEST_TMP/server-a.log" | head -1)"
names=$(dk ps -a --format '{{.Names}}' | sort | tr '\n' ' ')
expect_eq "$names" "keep-me " "containers after the first build server started (the stale one removed, keep-me kept)"
images=$(dk images --format '{{.Repository}}' | sort | tr '\n' ' ')
expect_eq "$images" "not-ours-image sccache-builder-base " "images after the first build server started"
grep -q "removed 1 old container(s) and 1 image(s)" "$TEST_TMP/server-a.log" ||
  fail "build server a does not log removing the stale container and image: $(grep 'docker builder' "$TEST_TMP/server-a.log" | head -5)"
# Build servers share this dockerd, so start them one after the other: each start removes the
# sccache-builder-* state of before.
start_build_server b "$B_PORT"
B_PID=$SRV_PID
wait_until 20 status_is num_servers 2 || fail "/status: num_servers is $(sched_status num_servers) 20 s after starting two build servers"

log "toolchains"
bash "$PKG" "$TEST_TMP/tc-gcc" /usr/bin/gcc "$(gcc -print-prog-name=cc1)" /usr/bin/as
drv pack-gcc pack "$TEST_TMP/tc-gcc" "$TEST_TMP/gcc.tgz"
GCC_TC=$TEST_TMP/gcc.tgz
GCC_ID=$(jr pack-gcc .archive_id)
log "gcc toolchain: $(jr pack-gcc .bytes) bytes, id $GCC_ID"
if ((HAVE_CLANG)); then
  CLANG_EXE=$(command -v clang)
  bash "$PKG" "$TEST_TMP/tc-clang" "$CLANG_EXE" "$(readlink -f "$CLANG_EXE")"
  drv pack-clang pack "$TEST_TMP/tc-clang" "$TEST_TMP/clang.tgz"
  CLANG_TC=$TEST_TMP/clang.tgz
  CLANG_ID=$(jr pack-clang .archive_id)
  log "clang toolchain: $(jr pack-clang .bytes) bytes"
  rm -rf "$TEST_TMP/tc-clang"
fi

# ---------------------------------------------------------------------------------------------
log "gcc: 3 TUs held at once (first use of the toolchain on both servers), then 3 more"
for i in 1 2 3 4 5 6; do gen_tu "g$i" "$i"; done
CARGS=(-O2)
t0=$(date +%s%N)
wave w1 gcc "$GCC_TC" /usr/bin/gcc g1.i g2.i g3.i
log "w1 took $((($(date +%s%N) - t0) / 1000000)) ms (toolchain upload, image and container creation included)"
expect_eq "$(jr w1 '[.[].server_id] | unique | length')" 2 "servers taking three jobs held at once"
# Every job was assigned before any upload: each is told to send the toolchain (3 uploads).
expect_eq "$(jr w1 '[.[].need_toolchain] | unique | join(",")')" true "need_toolchain of the first jobs"
for name in a b; do
  made=$(grep -c "image sccache-builder-$GCC_ID made" "$TEST_TMP/server-$name.log" || true)
  expect_eq "$made" 1 "number of times build server $name made the gcc image (it ran 1 or 2 of the first jobs at once)"
done
dk images --format '{{.Repository}}' | grep -qx "sccache-builder-$GCC_ID" || fail "no image sccache-builder-$GCC_ID"
CARGS=(-O1 -fPIC -g -Wall)
t0=$(date +%s%N)
wave w2 gcc "$GCC_TC" /usr/bin/gcc g4.i g5.i g6.i
log "w2 took $((($(date +%s%N) - t0) / 1000000)) ms"
expect_eq "$(jr w2 '[.[].need_toolchain] | unique | join(",")')" false "need_toolchain once both servers have the toolchain"
CARGS=(-O2)
gen_tu g7 7
t0=$(date +%s%N)
wave w3 gcc "$GCC_TC" /usr/bin/gcc g7.i
log "one job (w3) took $((($(date +%s%N) - t0) / 1000000)) ms, driver start-up included"
wait_until 5 status_is in_progress 0 || fail "/status in_progress is $(sched_status in_progress) after the gcc jobs"

if ((HAVE_CLANG)); then
  log "clang: two TUs with the clang toolchain"
  gen_tu c1 11 clang
  gen_tu c2 12 clang
  CARGS=(-O2 -g)
  wave wc clang "$CLANG_TC" "$CLANG_EXE" c1.i c2.i
  dk images --format '{{.Repository}}' | grep -qx "sccache-builder-$CLANG_ID" || fail "no image sccache-builder-$CLANG_ID"
else
  log "clang not found: the clang scenario is not run"
fi

log "a compile error: exit code and stderr come back, no object"
write_file "$WORK/src/bad.c" <<'EOF'
int bad_fn(int x) {
  return x + undeclared_thing;
}
EOF
(cd "$WORK" && gcc -E src/bad.c -o bad.i)
rm "$WORK/src/bad.c"
CARGS=(-O2)
wave werr gcc "$GCC_TC" /usr/bin/gcc bad.i
expect_ne "$(jr werr '.[0].code')" 0 "exit code of a failing compile"
grep -q "error: .undeclared_thing. undeclared" "$OUT/werr/bad.stderr" ||
  fail "stderr of the failing compile does not name the error: $(head -c 500 "$OUT/werr/bad.stderr")"

# ---------------------------------------------------------------------------------------------
log "isolation: host files, network"
printf '#include "/etc/shadow"\nint x;\n' >"$WORK/shadow.c"
hold 1
drv shadow-cc run --server "${JOB_SRV[0]}" --job "${JOB_ID[0]}" --auth="${JOB_AUTH[0]}" --exe /usr/bin/gcc \
  --cwd "$WORK" --input "$WORK/shadow.c" --output shadow.o --out-dir "$OUT/shadow" -- -c shadow.c -o shadow.o
expect_eq "$(jr shadow-cc .http_status)" 200 "run_job including /etc/shadow ($(head -c 300 "$RUNS/shadow-cc.out"))"
expect_ne "$(jr shadow-cc .code)" 0 "exit code of a compile including /etc/shadow"
jr shadow-cc .stderr | grep -q "/etc/shadow: No such file or directory" ||
  fail "compile including /etc/shadow: expected 'No such file or directory', got: $(jr shadow-cc .stderr | head -c 400)"
expect_eq "$(jr shadow-cc '.outputs | length')" 0 "outputs of the compile including /etc/shadow"
hold 1
job shadow-cat 0 /busybox sh -c 'cat /etc/shadow; echo "rc=$?"; ls /etc'
jr shadow-cat .stdout | grep -qx "rc=1" || fail "cat /etc/shadow in a job did not fail: $(jr shadow-cat .stdout | head -c 300)"
jr shadow-cat .stdout | grep -q "^root:" && fail "a job read the host's /etc/shadow"
log "a job's /etc: $(jr shadow-cat .stdout | tr '\n' ' ')"

# busybox nc, not wget: this busybox's wget crashes on a refused connection.
# stdin kept open for a while: nc may drop the connection as soon as its stdin ends.
req='{ printf "GET /api/v1/scheduler/status HTTP/1.0\r\n\r\n"; sleep 2; }'
host_reply=$(eval "$req" | "$TIMEOUT_BIN" 10 /bin/busybox nc -w 3 127.0.0.1 "$SCHED_PORT" || true)
[[ $host_reply == *num_servers* ]] || fail "the network check does not work on the host: $(head -c 300 <<<"$host_reply")"
hold 1
job net 0 /busybox sh -c "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; echo ---;
  $req | nc -w 3 127.0.0.1 $SCHED_PORT; echo \"local rc=\$?\";
  $req | nc -w 3 192.0.2.1 80; echo \"remote rc=\$?\""
ifaces=$(jr net .stdout | sed '/^---$/q' | grep -v '^---$' | sort | tr '\n' ' ')
expect_eq "$ifaces" "lo " "network interfaces inside a job"
jr net .stdout | grep -qx "local rc=1" || fail "a job reached the scheduler on 127.0.0.1:$SCHED_PORT: $(jr net .stdout | head -c 400)"
jr net .stdout | grep -qx "remote rc=1" || fail "a job reached 192.0.2.1: $(jr net .stdout | head -c 400)"
jr net .stdout | grep -q num_servers && fail "a job got the scheduler's status"
log "network: $(jr net .stderr | tr '\n' ' ' | head -c 200)"

# ---------------------------------------------------------------------------------------------
log "container reuse: same container for the next job, the previous job's files gone"
wait_until 5 status_is in_progress 0 || fail "/status in_progress is $(sched_status in_progress) before the reuse checks"
hold 4
declare -A first second
for i in 0 1 2 3; do
  if [[ -z ${first[${JOB_SRV[$i]}]:-} ]]; then
    first[${JOB_SRV[$i]}]=$i
  elif [[ -z ${second[${JOB_SRV[$i]}]:-} ]]; then
    second[${JOB_SRV[$i]}]=$i
  else
    fail "four held jobs: three on ${JOB_SRV[$i]} (servers: ${JOB_SRV[*]})"
  fi
done
X=$A_ID
Y=$B_ID
expect_eq "${#first[@]}" 2 "servers of four held jobs"
before_x=$(containers_of "$(srv_pid_of "$X")")
job reuse1 "${first[$X]}" /busybox sh -c 'cat /etc/hostname; mkdir -p /leftover/dir; echo x >/leftover/dir/f;
  echo y >/tmp/leftover-tmp; echo z >leftover-cwd; sleep 1000 >/dev/null 2>&1 & echo started'
# The container goes back to the pool once cleaned (rm of the job's files, then a second docker
# diff); a job that comes earlier gets the pool's other idle container. Wait for the files to be
# gone, then a second more for the builder's own check and the hand-back.
h1=$(jr reuse1 .stdout | head -1)
job_files_gone() { ! dk diff "$1" 2>/dev/null | grep -q leftover; }
wait_until 20 job_files_gone "$h1" || fail "the files of job reuse1 are still in container $h1 after 20 s"
sleep 1
# shellcheck disable=SC2016 # expanded by the job's shell
job reuse2 "${second[$X]}" /busybox sh -c 'cat /etc/hostname; ls -A / /tmp .; for f in /leftover /tmp/leftover-tmp leftover-cwd; do
  [ -e $f ] && echo "LEFT $f"; done; ps -o pid,args | grep -c "[s]leep 1000"'
h2=$(jr reuse2 .stdout | head -1)
[[ $h1 =~ ^[0-9a-f]{12}$ ]] || fail "job 1's hostname is not a container id: $(jr reuse1 .stdout | head -c 300)"
expect_eq "$h2" "$h1" "container (hostname) of the next job on $X"
jr reuse2 .stdout | grep "^LEFT" && fail "files of the previous job are left in the container: $(jr reuse2 .stdout | grep '^LEFT' | tr '\n' ' ')"
expect_eq "$(jr reuse2 .stdout | grep -v "^$" | tail -1)" 0 "processes of the previous job still running"
expect_eq "$(containers_of "$(srv_pid_of "$X")")" "$before_x" "running containers of $X after two more jobs"
log "reuse on $X: container $h1 for both jobs, $before_x container(s); the second job saw $(jr reuse2 .stdout | sed -n '2,$p' | tr '\n' ' ' | head -c 300)"

log "a job that changes the image's files gets its container discarded"
job discard1 "${first[$Y]}" /busybox sh -c 'cat /etc/hostname; echo x >/usr/bin/sccache-test-evil'
h3=$(jr discard1 .stdout | head -1)
job discard2 "${second[$Y]}" /busybox sh -c 'cat /etc/hostname; ls /usr/bin'
h4=$(jr discard2 .stdout | head -1)
expect_ne "$h4" "$h3" "container of the job after one that wrote /usr/bin/sccache-test-evil"
jr discard2 .stdout | grep -qx sccache-test-evil && fail "the next job sees the previous job's /usr/bin/sccache-test-evil"
container_gone() { [[ -z $(dk ps -aq --filter "id=$1") ]]; }
wait_until 10 container_gone "$h3" || fail "container $h3 (changed /usr/bin) was not removed"
log "container $h3 removed after the job changed /usr/bin; the next job ran in $h4"

wave wafter gcc "$GCC_TC" /usr/bin/gcc g1.i
wait_until 5 status_is in_progress 0 || fail "/status in_progress is $(sched_status in_progress) at the end"
if ! pid_alive "$A_PID" || ! pid_alive "$B_PID"; then fail "a build server died"; fi
log "containers at the end: $(dk ps --format '{{.Names}}' | sort | tr '\n' ' ')"
