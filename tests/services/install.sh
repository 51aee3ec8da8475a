#!/usr/bin/env bash
# Installs the npm packages the system tests use as servers (see package.json: the S3 server
# @20minutes/s3rver, started through s3-server.js, Azurite for Azure Blob, whose containers
# azure-container.js creates, and firebase-tools, whose storage emulator gcs-emulator.js starts)
# into tests/services/node_modules, exactly as pinned by package-lock.json. Idempotent: does
# nothing when node_modules was installed from this very lock file. Exit 0 when node_modules is ready, non-zero (with the reason) otherwise.
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

# After a finished install the lock file's SHA-256 is written to $marker: node_modules is
# up to date exactly when that matches (timestamps are not enough: `npm install
# --package-lock-only` rewrites node_modules/.package-lock.json without installing anything).
marker=node_modules/.sccache-installed-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $marker && $(cat "$marker") == "$want" ]]; then
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
node -e "require('@20minutes/s3rver')" ||
  die "node cannot load @20minutes/s3rver from $dir/node_modules after the install"
[[ -f node_modules/azurite/dist/src/blob/main.js ]] || die "Azurite's blob server is missing from $dir/node_modules after the install"
[[ -f node_modules/firebase-tools/lib/emulator/storage/server.js ]] ||
  die "the firebase storage emulator (firebase-tools) is missing from $dir/node_modules after the install"
echo "$want" >"$marker"
say "done: $(node -p "require('@20minutes/s3rver/package.json').name + '@' + require('@20minutes/s3rver/package.json').version") installed in $dir/node_modules"
