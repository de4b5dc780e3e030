#!/usr/bin/env bash
# One validator: transfers submitted with the wallet commit; after SIGKILL and restart every
# acknowledged transaction is still there with the same balances, and the chain goes on.
source "$(dirname "$0")/lib.sh"

init_cluster 1
start_cluster
u2=$(address_of user2)
before=$(balance_of 0 user2)

hashes=()
for i in 1 2 3 4 5 6 7 8; do
  out=$(wallet 0 transfer --from user1 --to "$u2" --amount $(( 1000 + i )) --wait --json) || die "transfer $i failed"
  [ "$(jq -r .status <<<"$out")" = "committed" ] || die "transfer $i not committed: $out"
  hashes+=("$(jq -r .tx_hash <<<"$out")")
done
after=$(balance_of 0 user2)
[ "$after" -eq $(( before + 8 * 1000 + 36 )) ] || die "user2 balance $after, expected $(( before + 8036 ))"
u1_balance=$(balance_of 0 user1)
height=$(height_of 0)
log "8 transfers committed up to height $height"

kill -KILL "$(pid_of 0)"
sleep 0.5
start_cluster
wait_for 20 "node to serve after restart" height_at_least 0 "$height"
for h in "${hashes[@]}"; do
  [ "$(wallet 0 tx "$h" --json | jq -r .status)" = "committed" ] || die "tx $h lost after SIGKILL"
done
[ "$(balance_of 0 user2)" = "$after" ] || die "user2 balance changed across the crash"
[ "$(balance_of 0 user1)" = "$u1_balance" ] || die "user1 balance changed across the crash"
out=$(wallet 0 transfer --from user1 --to "$u2" --amount 5 --wait --json) || die "transfer after restart failed"
[ "$(jq -r .status <<<"$out")" = "committed" ] || die "transfer after restart not committed"
log "all acknowledged transactions survived SIGKILL; the chain continues"
