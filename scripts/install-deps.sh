#!/usr/bin/env bash
# Installs the Debian 12 packages ShareChain builds and tests with. Safe to run again: apt-get
# skips what is already installed, and nothing is fetched when every package is present.
# Usage: scripts/install-deps.sh [--build-only]
#   --build-only   only what compiling the programs needs (the container image's build stage)
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache lld pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libsecp256k1-dev libcli11-dev catch2
  libboost-dev libboost-system-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libtoml11-dev libssl-dev prometheus-cpp-dev libjemalloc-dev
)
# What the tests and scripts run besides (cluster scripts, SDK, browser test).
TEST_PACKAGES=(
  jq procps openssl
  python3 python3-yaml
  python3-grpcio python3-protobuf python3-grpc-tools python3-cryptography libsecp256k1-1
  chromium python3-websocket  # the explorer's browser test (ctest -L browser)
)
case "${1:-}" in
  --build-only) PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  "") PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "install-deps: unknown argument $1 (usage: scripts/install-deps.sh [--build-only])" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
