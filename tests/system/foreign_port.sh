#!/usr/bin/env bash
# The port belongs to something that is not an sccache server (an HTTP server, a listener that
# never answers, one that hangs up at once, one that sends garbage): compiling still succeeds
# with a correct object and a one-line warning, in bounded time, and the foreign process is
# left alone.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

write_file src/a.c <<'EOF'
int a(int x) { return x + 1; }
EOF
write_file listener.py <<'EOF'
import socket, sys, threading, time
mode, port = sys.argv[1], int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
held = []
def serve(conn):
    if mode == "silent":
        held.append(conn)          # never read, never answer, never close
    elif mode == "hangup":
        conn.close()
    elif mode == "garbage":
        try:
            conn.sendall(b"\xff\xff\xff\xf0" + b"garbage " * 64)
            time.sleep(0.5)
        except OSError:
            pass
        conn.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
mkdir -p obj
gcc -c src/a.c -o obj/ref-gcc.o
clang -c src/a.c -o obj/ref-clang.o

for mode in http silent hangup garbage; do
  use_port "$(free_port)"
  if [[ $mode == http ]]; then
    python3 -m http.server "$SCCACHE_SERVER_PORT" --bind 127.0.0.1 >"$TEST_TMP/$mode.log" 2>&1 &
  else
    python3 listener.py "$mode" "$SCCACHE_SERVER_PORT" >"$TEST_TMP/$mode.log" 2>&1 &
  fi
  foreign=$!
  track_pid "$foreign"
  wait_until 20 port_listening "$SCCACHE_SERVER_PORT" || fail "$mode listener did not come up"

  for cc in "${C_COMPILERS[@]}"; do
    log "$mode listener on the port: $cc compile"
    rm -f obj/a.o
    started=$SECONDS
    run_to "$mode-$cc" "$SCCACHE_BIN" "$cc" -c src/a.c -o obj/a.o
    elapsed=$((SECONDS - started))
    log "took ${elapsed}s; stderr: $(head -c 300 "$RUNS/$mode-$cc.err")"
    expect_eq "$(rc_of "$mode-$cc")" 0 "$mode: $cc exit code"
    expect_same_file "obj/ref-$cc.o" obj/a.o "$mode: $cc object"
    [[ ! -s $RUNS/$mode-$cc.out ]] || fail "$mode: unexpected stdout: $(head -c 300 "$RUNS/$mode-$cc.out")"
    lines=$(wc -l <"$RUNS/$mode-$cc.err")
    expect_eq "$lines" 1 "$mode: $cc stderr lines (one warning expected)"
    expect_le "$elapsed" 30 "$mode: seconds for one compile"
  done

  log "$mode listener: --show-stats fails in bounded time"
  started=$SECONDS
  run_to "$mode-stats" "$SCCACHE_BIN" --show-stats
  expect_ne "$(rc_of "$mode-stats")" 0 "$mode: --show-stats exit code against a foreign port"
  expect_le "$((SECONDS - started))" 30 "$mode: seconds for --show-stats"

  pid_alive "$foreign" || fail "$mode: the foreign listener died"
  expect_eq "$(listener_pid "$SCCACHE_SERVER_PORT")" "$foreign" "$mode: owner of the port"
  kill "$foreign"
  wait "$foreign" 2>/dev/null || true
done
