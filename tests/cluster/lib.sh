# Shared helpers for cluster tests. Each test sources this with BUILD_DIR and a unique
# BASE_PORT, gets a private cluster folder, and always tears its processes down on exit.
set -euo pipefail

BUILD_DIR=${BUILD_DIR:?BUILD_DIR must be set}
BASE_PORT=${BASE_PORT:?BASE_PORT must be set}
NET="$BUILD_DIR/tools/net/sharechain-net"
WALLET_BIN="$BUILD_DIR/tools/wallet/sharechain"
DAEMON="$BUILD_DIR/node/sharechaind"
TEST_NAME=$(basename "$0" .sh)
DIR=$(mktemp -d "/tmp/sc-$TEST_NAME.XXXXXX")

log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S)" "$TEST_NAME" "$*"; }
die() {
  log "FAILED: $*"
  for f in "$DIR"/node*/node.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f"; tail -n 25 "$f"
  done
  exit 1
}

cleanup() {
  local rc=$?
  # Helpers a test started in the background (a load generator) go first.
  for p in ${BACKGROUND_PIDS:-}; do kill "$p" 2>/dev/null || true; done
  "$NET" stop --dir "$DIR" --grace 5 >/dev/null 2>&1 || true
  # Anything still alive from this folder (a SIGSTOPped node, a restarted one) goes too.
  for p in "$DIR"/node*/sharechaind.pid; do
    [ -f "$p" ] || continue
    pid=$(cat "$p" 2>/dev/null || true)
    [ -n "$pid" ] && { kill -CONT "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; }
  done
  pkill -KILL -f -- "--config $DIR/" 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then rm -rf "$DIR"; else log "kept $DIR for inspection"; fi
}
trap cleanup EXIT

api() { echo "127.0.0.1:$(( BASE_PORT + 10 * $1 ))"; }   # client address of node i

init_cluster() {  # init_cluster N [extra init args]
  local n=$1; shift
  "$NET" init --nodes "$n" --dir "$DIR" --base-port "$BASE_PORT" "$@" >/dev/null || die "init failed"
}
start_cluster() { "$NET" start --dir "$DIR" --bin "$DAEMON" >/dev/null || die "start failed"; }

# wallet NODE_INDEX args...: runs the wallet against node i with the cluster's keystore.
wallet() {
  local i=$1; shift
  "$WALLET_BIN" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" --node "$(api "$i")" "$@"
}

# refused NODE WORDS args...: the wallet must exit 1 (the chain refused) with WORDS in the reason.
refused() {
  local node=$1 words=$2; shift 2
  local rc=0
  wallet "$node" "$@" > "$DIR/refused.out" 2> "$DIR/refused.err" || rc=$?
  [ "$rc" -eq 1 ] || die "expected a refusal (exit 1) from '$*', got exit $rc: $(cat "$DIR/refused.out" "$DIR/refused.err")"
  grep -qi -- "$words" "$DIR/refused.err" || die "refusal of '$*' does not say '$words': $(cat "$DIR/refused.err")"
  log "refused as expected: $(head -c 160 "$DIR/refused.err")"
}

height_of() { wallet "$1" status --json 2>/dev/null | jq -r '.height // empty'; }
view_of() { wallet "$1" status --json 2>/dev/null | jq -r '.view // empty'; }
address_of() { wallet 0 keys show "$1" --json | jq -r .address; }
balance_of() { wallet "$1" account "$2" --json | jq -r .balance; }

# wait_for SECONDS DESCRIPTION COMMAND...: polls until COMMAND succeeds.
wait_for() {
  local limit=$1 what=$2; shift 2
  local end=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || die "timed out after ${limit}s waiting for $what"
    sleep 0.3
  done
}
height_at_least() { local h; h=$(height_of "$1"); [ -n "$h" ] && [ "$h" -ge "$2" ]; }

pid_of() { cat "$DIR/node$1/sharechaind.pid"; }

# Every listed node reports the same block hash and state root at every height 1..H.
assert_same_chain() {  # assert_same_chain H node...
  local top=$1; shift
  local h ref this
  for h in $(seq 1 "$top"); do
    ref=""
    for i in "$@"; do
      this=$(wallet "$i" block "$h" --json | jq -r '[.hash, .state_root] | join(" ")') || die "node $i has no block $h"
      if [ -z "$ref" ]; then ref=$this; elif [ "$this" != "$ref" ]; then
        die "node $i disagrees at height $h: '$this' vs '$ref'"
      fi
    done
  done
  log "nodes $* agree on hashes and state roots at heights 1..$top"
}

ops_port() { echo $(( BASE_PORT + 10 * $1 + 2 )); }   # metrics/health port of node i
# http_get PORT PATH: prints "STATUS BODY" of a GET on loopback (bash's /dev/tcp, no curl).
http_get() {
  local reply
  exec 9<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$2" >&9
  reply=$(cat <&9)
  exec 9>&-
  printf '%s %s\n' "$(printf '%s' "$reply" | head -n 1 | awk '{print $2}')" "$(printf '%s' "$reply" | tail -n 1)"
}
synced_of() { wallet "$1" status --json 2>/dev/null | jq -r 'if has("synced") then .synced else empty end'; }
is_synced() { [ "$(synced_of "$1")" = "true" ]; }
