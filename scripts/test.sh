#!/usr/bin/env bash
# Sets up, builds (dev preset) and runs every test: unit tests and system tests via ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh dev
ctest --test-dir build/dev --output-on-failure -j2 "$@"
