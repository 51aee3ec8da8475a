#!/bin/bash
# pkg-toolchain.sh OUT_DIR EXE...
# Copies the given executables into OUT_DIR at their absolute paths, together with everything they
# need to start in an otherwise empty root: every link of their symlink chains, their ELF
# interpreter and the shared libraries `ldd` lists (again with symlink chains). On a merged-/usr
# host the top-level links (lib, lib64, bin, sbin -> usr/...) are added too, or
# /lib64/ld-linux-x86-64.so.2 would not resolve inside the sandbox. OUT_DIR becomes the read-only
# lower layer of the build sandbox (see src/distributed/build_server/overlay/overlay_builder.hpp).
# For gcc: pkg-toolchain.sh DIR /usr/bin/gcc "$(gcc -print-prog-name=cc1)" /usr/bin/as
# Needs `readelf`, `ldd`, GNU tar, coreutils. Based on TEST-SERVICES.md section 9 (which writes a tarball).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 OUT_DIR EXE..." >&2
  exit 2
fi
for tool in readelf ldd tar realpath readlink; do
  command -v "$tool" >/dev/null || { echo "$0: needs $tool" >&2; exit 2; }
done

out=$1
shift
mkdir -p "$out"
out=$(realpath "$out")

declare -A seen dirs
last=
add() {  # add a path and, if it is a symlink, every link of the chain; sets $last to the final file
  local p=$1 d t
  while :; do
    d=${p%/*}; d=${d:-/}
    [[ -n ${dirs[$d]:-} ]] || dirs[$d]=$(realpath "$d")   # resolve symlinked parent dirs (merged /usr)
    p=${dirs[$d]%/}/${p##*/}
    last=$p
    [[ -n ${seen[$p]:-} ]] && return 0
    [[ -e $p || -L $p ]] || { echo "$0: $p does not exist" >&2; exit 1; }
    seen[$p]=1
    [[ -L $p ]] || return 0
    t=$(readlink "$p")
    [[ $t = /* ]] || t=${p%/*}/$t
    [[ $t != *//* && $t != */./* && $t != */../* ]] || t=$(realpath -s "$t")
    p=$t
  done
}
# Follows a chain to its end (also through links added before) and sets $real to the final file.
real=
follow() {
  local p=$1 t
  while :; do
    add "$p"
    if [[ -L $last ]]; then
      t=$(readlink "$last")
      [[ $t = /* ]] || t=${last%/*}/$t
      p=$t
    else
      real=$last
      return 0
    fi
  done
}

for f in "$@"; do
  [[ -e $f ]] || { echo "$0: $f does not exist" >&2; exit 1; }
  [[ $f = /* ]] || f=$PWD/$f
  follow "$f"
  if headers=$(readelf -l "$real" 2>/dev/null); then   # fails for scripts and other non-ELF files
    interp=$(sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p' <<<"$headers")
    [[ -z $interp ]] || add "$interp"
    while read -r lib; do
      add "$lib"
    done < <(ldd "$real" 2>/dev/null | grep -oE '/[^ ]+' | grep -v ':$' || true)
  fi
done

list=$(mktemp)
trap 'rm -f "$list"' EXIT
printf '%s\n' "${!seen[@]}" | sed 's|^/||' | sort > "$list"
for l in /lib /lib64 /bin /sbin; do
  if [[ -L $l ]]; then echo "${l#/}" >> "$list"; fi
done
# --no-recursion: only the listed entries; tar -x creates their parent directories (0755, root).
tar -C / --no-recursion -cf - -T "$list" | tar -C "$out" -xpf -
