#!/usr/bin/env bash
# Sets up, builds (dev preset) and runs every test: unit tests and system tests via ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# npm test servers (s3rver, Azurite, the firebase storage emulator); without the registry the S3, Azure and GCS system tests skip and say so.
bash tests/services/install.sh || echo "test.sh: warning: npm install of the test servers failed; system.remote_s3, remote_azure and remote_gcs will skip"
scripts/build.sh dev
ctest --test-dir build/dev --output-on-failure -j2 "$@"
