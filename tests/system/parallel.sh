#!/usr/bin/env bash
# Many clients at once, starting from no server (they race to auto-start it): 16 parallel
# compiles of one TU and of 16 different TUs are all correct, with clean stderr and
# consistent stats; a second parallel round of the different TUs is all hits.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

N=16
write_file src/one.c <<'EOF'
#include <stdio.h>
struct point { int x, y; };
static int dot(struct point a, struct point b) { return a.x * b.x + a.y * b.y; }
int main(void) { struct point p = {3, 4}; printf("%d\n", dot(p, p)); return 0; }
EOF
for ((i = 0; i < N; i++)); do
  write_file "src/tu_$i.c" <<EOF
#include <string.h>
int tu_$i(const char *s) { return (int)strlen(s) * $i + $((i * i)); }
const char tu_name_${i}[] = "translation unit $i";
EOF
done

# par_compile TAG CC ARGS-PATTERN: start N clients at once; ARGS-PATTERN uses @ for the index.
par_compile() {
  local tag=$1 cc=$2 pattern=$3 pids=() i args
  for ((i = 0; i < N; i++)); do
    args=${pattern//@/$i}
    # shellcheck disable=SC2086 # the pattern is a plain word list on purpose
    (
      rc=0
      timeout -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" "$cc" $args \
        >"$RUNS/$tag.$i.out" 2>"$RUNS/$tag.$i.err" </dev/null || rc=$?
      echo "$rc" >"$RUNS/$tag.$i.rc"
    ) &
    pids+=($!)
    track_pid "$!"
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  for ((i = 0; i < N; i++)); do
    expect_eq "$(cat "$RUNS/$tag.$i.rc")" 0 "$tag client $i exit code"
    [[ ! -s $RUNS/$tag.$i.err ]] || fail "$tag client $i wrote to stderr: $(head -c 400 "$RUNS/$tag.$i.err")"
  done
}

for cc in "${C_COMPILERS[@]}"; do
  rm -rf out ref
  mkdir -p out ref
  "$cc" -g -O1 -c src/one.c -o ref/one.o
  for ((i = 0; i < N; i++)); do "$cc" -O2 -c "src/tu_$i.c" -o "ref/tu_$i.o"; done

  port_closed "$SCCACHE_SERVER_PORT" || fail "server unexpectedly running before the $cc round"
  log "$cc: $N parallel compiles of one TU, racing to start the server"
  par_compile "same-$cc" "$cc" "-g -O1 -c src/one.c -o out/one_@.o"
  for ((i = 0; i < N; i++)); do
    expect_same_file ref/one.o "out/one_$i.o" "$cc: parallel compile $i of one TU"
  done
  snap "same-$cc"
  expect_eq "$(sval "same-$cc" "$J_REQS")" "$N" "$cc: compile_requests after $N parallel compiles"
  expect_eq "$(sval "same-$cc" "$J_HITS + $J_MISSES")" "$N" "$cc: hits + misses"
  expect_ge "$(sval "same-$cc" "$J_MISSES")" 1 "$cc: misses"
  expect_eq "$(sval "same-$cc" "$J_WERR")" 0 "$cc: cache_write_errors"
  wait_writes 1

  log "$cc: $N parallel compiles of $N different TUs"
  par_compile "diff-$cc" "$cc" "-O2 -c src/tu_@.c -o out/tu_@.o"
  for ((i = 0; i < N; i++)); do
    expect_same_file "ref/tu_$i.o" "out/tu_$i.o" "$cc: parallel compile of tu_$i"
  done
  snap "diff-$cc"
  expect_delta "same-$cc" "diff-$cc" "$J_MISSES" "$N" "$cc: misses for $N new TUs"
  expect_delta "same-$cc" "diff-$cc" "$J_HITS" 0 "$cc: hits for $N new TUs"
  wait_writes "$(($(sval "same-$cc" "$J_WRITES") + N))" 30

  log "$cc: the same $N TUs again in parallel are all hits"
  rm -f out/tu_*.o
  par_compile "again-$cc" "$cc" "-O2 -c src/tu_@.c -o out/tu_@.o"
  for ((i = 0; i < N; i++)); do
    expect_same_file "ref/tu_$i.o" "out/tu_$i.o" "$cc: parallel hit of tu_$i"
  done
  snap "again-$cc"
  expect_delta "diff-$cc" "again-$cc" "$J_HITS" "$N" "$cc: hits in the second round"
  expect_delta "diff-$cc" "again-$cc" "$J_MISSES" 0 "$cc: misses in the second round"

  log "$cc: stop the server for the next round"
  run_to "stop-$cc" "$SCCACHE_BIN" --stop-server
  expect_eq "$(rc_of "stop-$cc")" 0 "--stop-server exit code"
  wait_until 15 port_closed "$SCCACHE_SERVER_PORT" || fail "server still listening after --stop-server"
done

log "gcc and clang clients interleaved, $N at once, against the warm cache"
rm -f out/tu_*.o
pids=()
for ((i = 0; i < N; i++)); do
  if ((i % 2)); then cc=clang; else cc=gcc; fi
  "$cc" -O2 -c "src/tu_$i.c" -o "ref/mix_$i.o"
done
for ((i = 0; i < N; i++)); do
  if ((i % 2)); then cc=clang; else cc=gcc; fi
  (
    rc=0
    timeout -k 5 "$CMD_TIMEOUT" "$SCCACHE_BIN" "$cc" -O2 -c "src/tu_$i.c" -o "out/mix_$i.o" \
      >"$RUNS/mix.$i.out" 2>"$RUNS/mix.$i.err" </dev/null || rc=$?
    echo "$rc" >"$RUNS/mix.$i.rc"
  ) &
  pids+=($!)
  track_pid "$!"
done
for p in "${pids[@]}"; do wait "$p" || true; done
for ((i = 0; i < N; i++)); do
  expect_eq "$(cat "$RUNS/mix.$i.rc")" 0 "mixed client $i exit code"
  expect_same_file "ref/mix_$i.o" "out/mix_$i.o" "mixed compile $i"
done
expect_eq "$(stat_json "$J_HITS")" "$N" "hits of the mixed round (fresh server, warm disk cache)"
