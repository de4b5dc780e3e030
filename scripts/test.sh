#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test through ctest.
# Usage: scripts/test.sh [ctest args]   e.g. -L unit, -L sim, -L cluster, -R storage_
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"${TEST_JOBS:-2}" "$@"
