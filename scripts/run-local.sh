#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts a 4-validator local cluster and runs the
# reference data server against every node: assets registered for the investors user1 and user2,
# usage agreements, customers' sessions, payments and revenue sharing, financing rounds and
# vehicle records, while a block watcher shows blocks commit. When the time is up, or on Ctrl-C,
# the data server winds down, its report is printed, then the portfolio of the investor user1,
# and the cluster is stopped. The block explorer's URL (node0's operations port) is printed at
# the start: open it in a browser to watch blocks and user1's investor dashboard live.
# Usage: scripts/run-local.sh [--nodes N] [--dir DIR] [--seconds S (0 = until Ctrl-C)]
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=4
DIR=localnet
SECONDS_TO_RUN=0
BASE_PORT=26600  # sharechain-net init's default: node i serves clients on BASE_PORT + 10 i
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    --seconds) SECONDS_TO_RUN=$2; shift 2 ;;
    *) echo "usage: $0 [--nodes N] [--dir DIR] [--seconds S]" >&2; exit 2 ;;
  esac
done
case "$SECONDS_TO_RUN" in ''|*[!0-9]*) echo "--seconds takes a whole number" >&2; exit 2 ;; esac

scripts/install-deps.sh
scripts/build.sh
BIN=$PWD/build
NET=$BIN/tools/net/sharechain-net
WALLET=$BIN/tools/wallet/sharechain
DATASERVER=$BIN/tools/dataserver/sharechain-dataserver

cleanup() {
  trap - INT TERM EXIT
  echo
  echo "== stopping the cluster"
  if [ -n "${DS_PID:-}" ]; then kill -KILL "$DS_PID" 2>/dev/null || true; fi
  if [ -n "${WATCH_PID:-}" ]; then kill "$WATCH_PID" 2>/dev/null || true; fi
  "$NET" stop --dir "$DIR" || true
  echo "== logs are in $DIR/node*/node.log and $DIR/dataserver.log; run this script again for a fresh chain"
  echo "== or keep exploring this one: $NET start --dir $DIR"
  echo "     then $WALLET --keystore $DIR/keystore --passphrase-file $DIR/passphrase status"
  echo "     (every command: docs/wallet.md; running a cluster: docs/operations.md)"
}

# Ctrl-C or SIGTERM while the data server runs asks it to wind down (one SIGTERM: it finishes
# the visits in progress, withdraws open financing offers and prints its report); a second one
# ends it at once. At any other time the script stops, and the EXIT trap stops the cluster.
on_signal() {
  if [ -n "${DS_PID:-}" ] && kill -0 "$DS_PID" 2>/dev/null; then
    STOPS=$(( ${STOPS:-0} + 1 ))
    if [ "$STOPS" -eq 1 ]; then
      echo
      echo "== stopping the data server: visits in progress finish, then its report (Ctrl-C again to end it now)"
    fi
    kill -TERM "$DS_PID" 2>/dev/null || true
  else
    exit 130
  fi
}
trap cleanup EXIT
trap on_signal INT TERM

# A fresh chain every run: stop whatever an earlier run left, then initialise anew.
if [ -d "$DIR" ]; then "$NET" stop --dir "$DIR" >/dev/null 2>&1 || true; rm -rf "$DIR"; fi
"$NET" init --nodes "$NODES" --dir "$DIR" --base-port "$BASE_PORT"
"$NET" start --dir "$DIR" --bin "$BIN/node/sharechaind"

W=("$WALLET" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" --node "127.0.0.1:$BASE_PORT")
# Every node serves the block explorer and investor dashboard on its operations port.
EXPLORER_URL=$("$NET" status --dir "$DIR" --json | jq -r '.nodes[0].explorer_url')
USER1=$("${W[@]}" keys show user1 --json | jq -r .address)
echo "== the explorer: $EXPLORER_URL (user1's dashboard: $EXPLORER_URL#/investor/$USER1)"
echo "== blocks as node0 commits them"
"${W[@]}" watch &
WATCH_PID=$!

nodes=""
for (( i = 0; i < NODES; i++ )); do nodes+="${nodes:+,}127.0.0.1:$(( BASE_PORT + 10 * i ))"; done
if [ "$SECONDS_TO_RUN" -gt 0 ]; then
  echo "== the data server drives the cluster for $SECONDS_TO_RUN s after its set-up (Ctrl-C stops it earlier)"
else
  echo "== the data server drives the cluster until Ctrl-C"
fi
# In a session of its own, so a Ctrl-C on the terminal reaches only this script, which passes
# exactly one SIGTERM on: two signals would make the data server end without its report. Its
# progress lines go to the terminal and its log through a tee that ignores Ctrl-C, so the
# server never writes into a closed pipe while it winds down.
setsid "$DATASERVER" --node "$nodes" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --duration "$SECONDS_TO_RUN" --drain 30 >"$DIR/dataserver-report.txt" \
  2> >(trap '' INT TERM; exec tee "$DIR/dataserver.log" >&2) &
DS_PID=$!
# `wait` returns early whenever a trapped signal arrives; wait again until the server has ended.
ds_status=0
while :; do
  ds_status=0
  wait "$DS_PID" || ds_status=$?
  kill -0 "$DS_PID" 2>/dev/null || break
done
DS_PID=""
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
WATCH_PID=""

echo
echo "== the data server's report (exit $ds_status)"
cat "$DIR/dataserver-report.txt"
echo
echo "== the investor user1's portfolio"
"${W[@]}" portfolio user1 || echo "(portfolio failed: exit $?)"
echo
"$NET" status --dir "$DIR"
echo "== the explorer (while the cluster runs): $EXPLORER_URL"
exit "$ds_status"
