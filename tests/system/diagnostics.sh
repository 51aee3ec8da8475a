#!/usr/bin/env bash
# Compiler diagnostics and exit codes pass through: warnings are replayed on hits (and name
# the right file), errors exit like the plain compiler and are never cached, a compiler's
# stdout is replayed, a non-standard exit code is passed through.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
require_tool gcc clang
setup

write_file src/warn.c <<'EOF'
#include "warn.h"
int f(int x) {
  int unused;
  return x + HEADER_VALUE;
}
EOF
write_file src/warn.h <<'EOF'
static int header_unused_function(void) { return 1; }
#define HEADER_VALUE 3
EOF
cp src/warn.c src/warn_copy.c
write_file src/err.c <<'EOF'
int f(void) { return undeclared_identifier; }
EOF
write_file src/pperr.c <<'EOF'
#include "no_such_header.h"
int f(void) { return 0; }
EOF
write_file src/hash_error.c <<'EOF'
#ifndef OK
#error "OK is not defined"
#endif
int f(void) { return 0; }
EOF
mkdir -p obj

for cc in "${C_COMPILERS[@]}"; do
  log "$cc: warnings (also from a header) replayed on a hit"
  compile_check miss --out obj/warn.o -- "$cc" -Wall -Wextra -c src/warn.c -o obj/warn.o
  compile_check hit --out obj/warn.o -- "$cc" -Wall -Wextra -c src/warn.c -o obj/warn.o
  [[ -s $RUNS/sc$LAST_CHECK.err ]] || fail "$cc: no warning text on the hit"

  log "$cc: same content, other file name: warnings name the other file"
  compile_check any --out obj/warn_copy.o -- "$cc" -Wall -Wextra -c src/warn_copy.c -o obj/warn_copy.o
  grep -q 'warn_copy\.c' "$RUNS/sc$LAST_CHECK.err" || fail "$cc: warning does not name warn_copy.c"
  compile_check hit --out obj/warn_copy.o -- "$cc" -Wall -Wextra -c src/warn_copy.c -o obj/warn_copy.o
  compile_check hit --out obj/warn.o -- "$cc" -Wall -Wextra -c src/warn.c -o obj/warn.o

  log "$cc: -fdiagnostics-color=always output kept as the compiler wrote it"
  compile_check miss --out obj/warn.o -- "$cc" -Wall -fdiagnostics-color=always -c src/warn.c -o obj/warn.o
  compile_check hit --out obj/warn.o -- "$cc" -Wall -fdiagnostics-color=always -c src/warn.c -o obj/warn.o

  log "$cc: compile error: exit code and message pass through, not cached"
  compile_check fail --out obj/err.o -- "$cc" -c src/err.c -o obj/err.o
  expect_ne "$(rc_of "sc$LAST_CHECK")" 0 "$cc: exit code of a failing compile"
  compile_check fail --out obj/err.o -- "$cc" -c src/err.c -o obj/err.o

  log "$cc: -Werror turns a warning into a failure, not cached; without it, a success"
  compile_check fail --out obj/warn.o -- "$cc" -Wall -Werror -c src/warn.c -o obj/warn.o
  compile_check fail --out obj/warn.o -- "$cc" -Wall -Werror -c src/warn.c -o obj/warn.o

  log "$cc: preprocessor errors (missing header, #error) pass through, never hit"
  for src in pperr hash_error; do
    for _ in 1 2; do
      compile_check any --out "obj/$src.o" -- "$cc" -c "src/$src.c" -o "obj/$src.o"
      expect_ne "$(rc_of "sc$LAST_CHECK")" 0 "$cc $src.c: exit code"
      expect_delta "b$LAST_CHECK" "a$LAST_CHECK" "$J_HITS" 0 "$cc $src.c: cache hits"
    done
  done
  log "$cc: fixing the #error by -DOK compiles and caches"
  compile_check miss --out obj/hash_error.o -- "$cc" -DOK -c src/hash_error.c -o obj/hash_error.o
  compile_check hit --out obj/hash_error.o -- "$cc" -DOK -c src/hash_error.c -o obj/hash_error.o
done

log "about 1 MB of warnings is replayed whole (miss and hit)"
python3 - <<'EOF'
with open("src/noisy.c", "w") as f:
    for i in range(5000):
        f.write(f"int noisy_function_number_{i}(void) {{ int unused_variable_number_{i}; return {i}; }}\n")
EOF
for cc in "${C_COMPILERS[@]}"; do
  compile_check miss --out obj/noisy.o -- "$cc" -Wall -c src/noisy.c -o obj/noisy.o
  compile_check hit --out obj/noisy.o -- "$cc" -Wall -c src/noisy.c -o obj/noisy.o
  expect_ge "$(stat -c %s "$RUNS/sc$LAST_CHECK.err")" 500000 "$cc: bytes of warnings replayed"
done

log "12 MB of stderr and 4 MB of stdout (more than an 8 MiB frame) come back whole"
write_file bin/loud-gcc <<'EOF'
#!/bin/sh
case " $* " in
*" -c "*)
  python3 -c 'import sys
for i in range(200000):
    sys.stderr.write("warning: loud line %07d of a very long diagnostic stream\n" % i)
for i in range(200000):
    sys.stdout.write("stdout line %07d\n" % i)' ;;
esac
exec gcc "$@"
EOF
chmod +x bin/loud-gcc
compile_check miss --out obj/loud.o -- "$PWD/bin/loud-gcc" -c src/warn.c -o obj/loud.o
compile_check hit --out obj/loud.o -- "$PWD/bin/loud-gcc" -c src/warn.c -o obj/loud.o

log "compiler stdout during the compile is replayed on a hit"
write_file bin/chatty-gcc <<'EOF'
#!/bin/sh
case " $* " in
*" -c "*) echo "chatty: compiling"; echo "chatty: to stderr" >&2 ;;
esac
exec gcc "$@"
EOF
chmod +x bin/chatty-gcc
compile_check miss --out obj/chatty.o -- "$PWD/bin/chatty-gcc" -c src/warn.c -o obj/chatty.o
compile_check hit --out obj/chatty.o -- "$PWD/bin/chatty-gcc" -c src/warn.c -o obj/chatty.o
expect_eq "$(cat "$RUNS/sc$LAST_CHECK.out")" "chatty: compiling" "stdout replayed on the hit"

log "a compiler that exits 5 after writing its object: exit code passes through, not cached"
write_file bin/exit5-gcc <<'EOF'
#!/bin/sh
gcc "$@" || exit $?
case " $* " in
*" -E "*) exit 0 ;;
esac
exit 5
EOF
chmod +x bin/exit5-gcc
compile_check fail --out obj/exit5.o -- "$PWD/bin/exit5-gcc" -c src/warn.c -o obj/exit5.o
expect_eq "$(rc_of "sc$LAST_CHECK")" 5 "exit code"
compile_check fail --out obj/exit5.o -- "$PWD/bin/exit5-gcc" -c src/warn.c -o obj/exit5.o
expect_eq "$(rc_of "sc$LAST_CHECK")" 5 "exit code on the second try (must not be a hit)"
