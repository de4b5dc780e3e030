#!/usr/bin/env bash
# One client floods the cluster (as fast as the nodes accept for 90 s, from 200 accounts, all through node
# 0) while another client makes ordinary transfers through every node: the other client's
# transfers still commit, with the flood's backlog waiting in the mempools, and every node ends
# with the same chain. A refusal the other client may get is one a real client retries (a node
# saying it is behind for a moment); a transfer that never commits fails the test.
source "$(dirname "$0")/lib.sh"
BENCH="$BUILD_DIR/tools/bench/sharechain-bench"

init_cluster 4
start_cluster
wait_for 30 "the cluster to answer" height_at_least 0 0

"$BENCH" --nodes "$(api 0)" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --funder user2 --accounts 200 --rate 0 --duration 90 --verify-seconds 0.2 --json \
  >"$DIR/flood.json" 2>"$DIR/flood.err" &
flood=$!
BACKGROUND_PIDS=$flood

# The flood is on once a backlog waits in node 0's mempool (more arrives than commits).
mempool_of() {  # node 0's sharechain_mempool_transactions, from its ops port
  exec 9<>"/dev/tcp/127.0.0.1/$(ops_port "$1")" || return 1
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&9
  awk '$1 == "sharechain_mempool_transactions" {print $2}' <&9
  exec 9>&-
}
backlog_at_least() { local m; m=$(mempool_of 0); [ -n "$m" ] && [ "${m%.*}" -ge "$1" ]; }
wait_for 90 "the flood to build a backlog on node 0" backlog_at_least 500
log "flood running: node 0 holds $(mempool_of 0) pending transactions"

wallet 0 keys new bystander >/dev/null || die "could not make a key"
to=$(address_of bystander)
expected=0
for i in $(seq 1 5); do
  node=$(( i % 4 ))
  before=$(balance_of "$node" "$to" 2>/dev/null || echo 0)
  ok=0
  for attempt in 1 2 3 4 5; do
    if out=$(wallet "$node" transfer --from user1 --to "$to" --amount 7 --wait --wait-timeout 90 --json 2>&1); then
      ok=1; break
    fi
    # Committed after all (the wait ended first)? Then it must not be sent again.
    now=$(balance_of "$node" "$to" 2>/dev/null || echo 0)
    if [ "${now:-0}" -gt "${before:-0}" ]; then ok=1; break; fi
    log "transfer $i through node $node refused (attempt $attempt): $(tail -n 1 <<<"$out")"
    node=$(( (node + 1) % 4 ))
    sleep 1
  done
  [ "$ok" = 1 ] || die "transfer $i of the other client never committed during the flood"
  expected=$(( expected + 7 ))
  kill -0 "$flood" 2>/dev/null || die "the flood ended early: $(tail -n 3 "$DIR/flood.err")"
done
backlog=$(mempool_of 0)
log "5 transfers of the other client committed during the flood (node 0 still holds $backlog pending)"
[ "${backlog%.*}" -gt 0 ] || die "node 0 had no backlog left: the flood did not saturate the cluster"

kill "$flood" 2>/dev/null || true
wait "$flood" 2>/dev/null || true
sleep 2
top=$(height_of 0)
for i in 1 2 3; do wait_for 60 "node $i to reach $top" height_at_least "$i" "$top"; done
for i in 0 1 2 3; do
  got=$(balance_of "$i" "$to")
  [ "$got" = "$expected" ] || die "node $i shows $got for the other client's account, expected $expected"
done
# Every node holds the same blocks (sampled: the flood made hundreds) and state roots.
for h in 1 $(( top / 3 )) $(( 2 * top / 3 )) "$top"; do
  [ "$h" -ge 1 ] || continue
  ref=$(wallet 0 block "$h" --json | jq -r '[.hash, .state_root] | join(" ")')
  for i in 1 2 3; do
    got=$(wallet "$i" block "$h" --json | jq -r '[.hash, .state_root] | join(" ")') || die "node $i has no block $h"
    [ "$got" = "$ref" ] || die "node $i disagrees at height $h"
  done
done
log "all nodes agree at heights 1, $(( top / 3 )), $(( 2 * top / 3 )) and $top; the other client got $expected units"
