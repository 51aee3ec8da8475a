#!/usr/bin/env bash
# Idempotent: installs every Debian package the build, the tests and the benchmarks need.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  gcc g++ clang-14 clang
  libssl-dev libzstd-dev libxxhash-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libmemcached-dev libcurl4-openssl-dev
  libcpp-httplib-dev libarchive-dev libjwt-dev bubblewrap icecc docker.io busybox-static
  redis-server memcached nginx-light libnginx-mod-http-dav-ext
  jq python3 iproute2 procps coreutils ccache sccache hyperfine
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
