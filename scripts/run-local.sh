#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts a 4-validator local cluster and drives
# it with signed transactions, showing blocks commit on every node. Ctrl-C stops it cleanly.
# Usage: scripts/run-local.sh [--nodes N] [--dir DIR] [--seconds S (0 = until Ctrl-C)]
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=4
DIR=localnet
SECONDS_TO_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --seconds) SECONDS_TO_RUN=$2; shift 2 ;;
    *) echo "usage: $0 [--nodes N] [--dir DIR] [--seconds S]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
scripts/build.sh
BIN=$PWD/build
NET=$BIN/tools/net/sharechain-net
WALLET=$BIN/tools/wallet/sharechain

# A fresh chain every run: stop whatever an earlier run left, then initialise anew.
if [ -d "$DIR" ]; then "$NET" stop --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; fi
"$NET" init --nodes "$NODES" --dir "$DIR"
"$NET" start --dir "$DIR" --bin "$BIN/node/sharechaind"

cleanup() {
  trap - INT TERM EXIT
  echo
  echo "== stopping the cluster"
  [ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null || true
  "$NET" stop --dir "$DIR" || true
  echo "== logs are in $DIR/node*/node.log; run this script again for a fresh chain"
}
trap cleanup INT TERM EXIT

W=("$WALLET" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" --node 127.0.0.1:26600)
echo "== blocks as node0 commits them"
"${W[@]}" watch &
WATCH_PID=$!

echo "== sending signed transfers between user1..user4 (Ctrl-C to stop)"
start=$(date +%s)
i=0
while :; do
  pids=()
  for _ in 1 2 3 4; do  # one per sender at a time: each takes its next nonce from the chain
    from=$(( i % 4 + 1 )); to=$(( (i + 1) % 4 + 1 ))
    "${W[@]}" transfer --from "user$from" --to "user$to" --amount $(( 100 + i )) --memo "demo $i" --wait >/dev/null &
    pids+=($!)
    i=$(( i + 1 ))
  done
  wait "${pids[@]}" || true
  if [ $(( i % 40 )) -eq 0 ]; then
    echo "== cluster after $i transfers:"
    "$NET" status --dir "$DIR"
  fi
  if [ "$SECONDS_TO_RUN" -gt 0 ] && [ $(( $(date +%s) - start )) -ge "$SECONDS_TO_RUN" ]; then break; fi
done
echo "== final balances"
for u in user1 user2 user3 user4; do "${W[@]}" account "$u"; done
"$NET" status --dir "$DIR"
