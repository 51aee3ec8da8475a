#!/usr/bin/env bash
# Installs the npm packages the system tests use as servers (see package.json: the S3 server
# @20minutes/s3rver, started through s3-server.js, and Azurite for Azure Blob, whose containers
# azure-container.js creates) into tests/services/node_modules, exactly as
# pinned by package-lock.json. Idempotent: does nothing when node_modules is newer than the
# lock file. Exit 0 when node_modules is ready, non-zero (with the reason) otherwise.
#   bash tests/services/install.sh
set -euo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$dir"

say() { printf 'tests/services/install.sh: %s\n' "$*"; }
die() {
  printf 'tests/services/install.sh: ERROR: %s\n' "$*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || die "node not found on PATH (install Node.js >= 20, e.g. apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH (install it, e.g. apt-get install npm)"
[[ -f package-lock.json ]] || die "$dir/package-lock.json is missing"

# npm ci writes node_modules/.package-lock.json last; it is the marker of a finished install.
marker=node_modules/.package-lock.json
if [[ -d node_modules && -f $marker && ! package-lock.json -nt $marker && ! package.json -nt $marker ]]; then
  say "node_modules is up to date with package-lock.json; nothing to do"
  exit 0
fi

if [[ -d node_modules ]]; then
  say "node_modules is missing pieces or older than package-lock.json; reinstalling"
else
  say "node_modules is missing; installing"
fi
say "running: npm ci --no-audit --no-fund (in $dir)"
# Node 20 makes npm warn EBADENGINE for @20minutes/s3rver; it runs fine there (warnings only).
if ! npm ci --no-audit --no-fund; then
  die "npm ci failed (see npm's messages above); the S3 system tests will skip until it succeeds"
fi
[[ -f $marker ]] || die "npm ci succeeded but $dir/$marker is missing"
# npm ci keeps the files' timestamps from the tarballs; make the marker newer than the lock.
touch "$marker"
node -e "require('@20minutes/s3rver')" ||
  die "node cannot load @20minutes/s3rver from $dir/node_modules after the install"
[[ -f node_modules/azurite/dist/src/blob/main.js ]] || die "Azurite's blob server is missing from $dir/node_modules after the install"
say "done: $(node -p "require('@20minutes/s3rver/package.json').name + '@' + require('@20minutes/s3rver/package.json').version") installed in $dir/node_modules"
