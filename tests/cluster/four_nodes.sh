#!/usr/bin/env bash
# Four validators: transfers submitted round-robin to every node commit, and all nodes hold
# identical block hashes and state roots at every height.
source "$(dirname "$0")/lib.sh"

init_cluster 4
start_cluster
u=(); for i in 1 2 3 4; do u[$i]=$(address_of "user$i"); done
for round in 1 2 3; do
  pids=()
  for i in 1 2 3 4; do
    node=$(( (i + round) % 4 ))
    to=$(( i % 4 + 1 ))
    wallet "$node" transfer --from "user$i" --to "${u[$to]}" --amount $(( round * 10 + i )) --wait --json \
      > "$DIR/out.$round.$i" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "a transfer in round $round failed"; done
  for i in 1 2 3 4; do
    [ "$(jq -r .status "$DIR/out.$round.$i")" = "committed" ] || die "round $round transfer $i: $(cat "$DIR/out.$round.$i")"
  done
done
top=$(height_of 0)
for i in 1 2 3; do wait_for 20 "node $i to reach height $top" height_at_least "$i" "$top"; done
assert_same_chain "$top" 0 1 2 3
# Everyone sent 10+20+30+3*i... and received from its neighbour: check the conservation.
total=0; for i in 1 2 3 4; do total=$(( total + $(balance_of 2 "user$i") )); done
expected=0; for i in 1 2 3 4; do expected=$(( expected + $(wallet 0 account "user$i" --json | jq -r .balance) )); done
[ "$total" -eq "$expected" ] || die "nodes disagree on balances"
log "12 transfers over 4 nodes; $top blocks identical everywhere"

# The scrape has every family docs/operations.md promises on a working node, each with its type,
# and counts that agree with the chain.
scrape_metrics() {  # scrape_metrics NODE: the reply to GET /metrics, without carriage returns
  exec 9<>"/dev/tcp/127.0.0.1/$(ops_port "$1")" || return 1
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&9
  tr -d '\r' <&9
  exec 9>&-
}
scrape_metrics 0 > "$DIR/metrics.txt" || die "node 0 served no /metrics"
for family in sharechain_height:gauge sharechain_view:gauge sharechain_committed_blocks_total:counter \
    sharechain_committed_transactions_total:counter sharechain_admitted_transactions_total:counter \
    sharechain_rejected_transactions_total:counter sharechain_mempool_transactions:gauge \
    sharechain_mempool_bytes:gauge sharechain_block_execution_seconds:histogram \
    sharechain_peer_sent_messages_total:counter sharechain_peer_received_messages_total:counter \
    sharechain_peer_dropped_messages_total:counter sharechain_peers_connected:gauge \
    sharechain_clock_seconds:gauge sharechain_view_duration_seconds:gauge \
    sharechain_consensus_rejections_total:counter sharechain_history_missing_blocks:gauge \
    sharechain_storage_height:gauge; do
  grep -qx "# TYPE ${family%%:*} ${family#*:}" "$DIR/metrics.txt" || die "/metrics lacks ${family%%:*} as a ${family#*:}"
done
scraped() { awk -v n="$1" '$1 == n {print $2}' "$DIR/metrics.txt"; }
[ "$(scraped sharechain_committed_transactions_total)" -ge 12 ] || die "committed transactions: $(scraped sharechain_committed_transactions_total)"
[ "$(scraped sharechain_height)" -ge "$top" ] || die "height gauge $(scraped sharechain_height), chain at $top"
grep -q '^sharechain_consensus_rejections_total{reason="stale"} ' "$DIR/metrics.txt" || die "no per-reason rejection series"
grep -q '^sharechain_block_execution_seconds_bucket{le="+Inf"} ' "$DIR/metrics.txt" || die "no execution histogram buckets"
log "/metrics: every documented family present with its type"

# The load generator against this cluster: what it reports adds up (the commit latency and its
# split at the block's proposal are read from the same clock on this machine).
"$BUILD_DIR/tools/bench/sharechain-bench" --nodes "$(api 0),$(api 1),$(api 2),$(api 3)" \
  --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" --funder user1 --accounts 8 \
  --rate 50 --duration 3 --verify-seconds 0.2 --json >"$DIR/bench.json" 2>"$DIR/bench.err" ||
  die "sharechain-bench failed: $(tail -n 3 "$DIR/bench.err")"
jq -e '.committed > 0 and .uncommitted == 0
       and .latency_ms.p50 > 0 and .latency_ms.max >= .latency_ms.p99
       and .latency_split_ms.to_proposal.p50 >= 0 and .latency_split_ms.after_proposal.p50 > 0
       and .latency_split_ms.to_proposal.p50 <= .latency_ms.max
       and .latency_split_ms.after_proposal.p50 <= .latency_ms.max
       and .ceiling_tps > 0 and .blocks > 0' "$DIR/bench.json" >/dev/null ||
  die "sharechain-bench reported figures that do not add up: $(cat "$DIR/bench.json")"
log "sharechain-bench: $(jq -r '"\(.committed) committed; p50 \(.latency_ms.p50 | floor) ms = \(.latency_split_ms.to_proposal.p50 | floor) to the proposal + \(.latency_split_ms.after_proposal.p50 | floor) after (p50s)"' "$DIR/bench.json")"
