#!/usr/bin/env bash
# Stop all four, restart all four: the chain resumes at the same height with no acknowledged
# transaction lost, and commits again.
source "$(dirname "$0")/lib.sh"

init_cluster 4
start_cluster
u2=$(address_of user2)
hashes=()
for i in 1 2 3 4 5 6; do
  out=$(wallet $(( i % 4 )) transfer --from user1 --to "$u2" --amount $i --wait --json) || die "transfer $i failed"
  hashes+=("$(jq -r .tx_hash <<<"$out")")
done
top=$(height_of 0)
bal=$(balance_of 0 user2)
for i in 0 1 2 3; do kill -KILL "$(pid_of $i)"; done
log "killed all four at height $top"
sleep 0.5
start_cluster
for i in 0 1 2 3; do wait_for 30 "node $i at $top" height_at_least "$i" "$top"; done
for h in "${hashes[@]}"; do
  for i in 0 1 2 3; do
    [ "$(wallet "$i" tx "$h" --json | jq -r .status)" = "committed" ] || die "tx $h missing on node $i after restart"
  done
done
[ "$(balance_of 3 user2)" = "$bal" ] || die "balance changed across the restart"
wallet 2 transfer --from user1 --to "$u2" --amount 1 --wait --json >/dev/null || die "no commit after restarting everything"
assert_same_chain "$top" 0 1 2 3
log "all acknowledged transactions survived; the chain resumed"
