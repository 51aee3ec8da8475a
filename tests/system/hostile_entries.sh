#!/usr/bin/env bash
# Issue 14, items 3 and 6: cache entries an attacker (or an accident) swapped or replaced.
# - an entry copied over another key's entry is a miss with the right object, never a hit
#   with the wrong one (entries carry the key they were stored under);
# - an entry replaced by a FIFO or by a symlink to /dev/zero is a miss at once: no hung
#   server thread, no unbounded read (the server runs under an address-space limit);
# - a response file that is /dev/zero is refused, and the server survives.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc prlimit mkfifo
setup
export SCCACHE_DIRECT=0 # one entry per compile, no manifests: easier to find each one's file

entry_list() { find "$SCCACHE_DIR" -type d -name tmp -prune -o -type f -print | sort; }

log "start the server under a 4 GiB address-space limit"
run_to start prlimit --as=$((4 << 30)) "$SCCACHE_BIN" --start-server
expect_eq "$(rc_of start)" 0 "start under prlimit: $(err_of start)"
pid=$(server_pid)
[[ -n $pid ]] || fail "cannot find the server's pid"

echo 'int alpha(void) { return 1; }' | write_file a.c
echo 'int beta(void) { return 2; } int beta2(void) { return 3; }' | write_file b.c
compile_check miss --out a.o -- gcc -c a.c -o a.o
wait_writes 1 30
a_entry=$(entry_list)
[[ $(wc -l <<<"$a_entry") == 1 ]] || fail "expected one entry after one compile, got: $a_entry"
compile_check miss --out b.o -- gcc -c b.c -o b.o
wait_writes 2 30
b_entry=$(comm -13 <(echo "$a_entry") <(entry_list))
[[ -n $b_entry && $(wc -l <<<"$b_entry") == 1 ]] || fail "cannot tell b.c's entry: $b_entry"

log "item 6: a.c's entry copied over b.c's is a miss, and b.o is b.c's object"
cp "$a_entry" "$b_entry"
snap swapped
compile_check any --out b.o -- gcc -c b.c -o b.o
snap after-swap
expect_delta swapped after-swap "$J_HITS" 0 "hits after the swap"
expect_delta swapped after-swap ".stats.cache_read_errors" 1 "cache read errors after the swap"

log "item 3: an entry replaced by a FIFO is a miss at once"
rm -f "$a_entry"
mkfifo "$a_entry"
CMD_TIMEOUT=30 compile_check any --out a.o -- gcc -c a.c -o a.o
expect_eq "$(server_pid)" "$pid" "server pid after a FIFO entry"

log "item 3: an entry replaced by a symlink to /dev/zero is a miss; the server survives"
rm -f "$a_entry"
ln -s /dev/zero "$a_entry"
CMD_TIMEOUT=30 compile_check any --out a.o -- gcc -c a.c -o a.o
expect_eq "$(server_pid)" "$pid" "server pid after a /dev/zero entry"

log "item 3: @/dev/zero as a response file is refused, the server survives"
CMD_TIMEOUT=30 run_to zero prlimit --as=$((1 << 30)) "$SCCACHE_BIN" gcc @/dev/zero -c a.c -o z.o
expect_eq "$(server_pid)" "$pid" "server pid after @/dev/zero"
stats_refresh
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
expect_le "$rss_kb" $((512 * 1024)) "server RSS (KiB) after the hostile reads"
log "ok"
