#!/usr/bin/env bash
# Runs one Python SDK cluster test against a private cluster on loopback.
# Usage (from ctest): cluster_test.sh NODES SCRIPT.py
# Environment: BUILD_DIR, BASE_PORT (as tests/cluster/lib.sh wants), SC_PYTHON (Debian's
# python3, which sees python3-grpcio), SHARECHAIN_STUBS (the generated protobuf stubs).
NODES=${1:?NODES}
SCRIPT=${2:?SCRIPT}
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../cluster/lib.sh
source "$HERE/../cluster/lib.sh"
TEST_NAME=$(basename "$SCRIPT" .py)

init_cluster "$NODES"
start_cluster
log "cluster of $NODES up in $DIR"
"${SC_PYTHON:-/usr/bin/python3}" "$HERE/$SCRIPT" --dir "$DIR" --nodes "$NODES" \
  --base-port "$BASE_PORT" --net "$NET" --daemon "$DAEMON" || die "$SCRIPT failed"
log "passed"
