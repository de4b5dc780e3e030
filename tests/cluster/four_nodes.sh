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
