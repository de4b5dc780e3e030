#!/usr/bin/env bash
# A validator that is far behind (more than two checkpoint intervals) catches up from a state
# snapshot at a peer's stable checkpoint, verified by the checkpoint proof, then fetches the
# remaining blocks, and ends with the same state root as the others.
source "$(dirname "$0")/lib.sh"

# Small checkpoint interval so a short run leaves the victim many intervals behind.
init_cluster 4 --checkpoint-interval 4 --window 8
start_cluster
u2=$(address_of user2)
victim=3
kill -KILL "$(pid_of $victim)"
log "killed node $victim at height $(height_of 0)"
for _ in $(seq 1 24); do
  wallet 0 transfer --from user1 --to "$u2" --amount 2 --wait --json >/dev/null || die "transfer failed"
done
target=$(height_of 0)
log "chain at height $target without node $victim"
start_cluster
wait_for 90 "node $victim to catch up to $target" height_at_least "$victim" "$target"
grep -q "restored the state snapshot" "$DIR/node$victim/node.log" || die "node $victim did not use a snapshot"
log "$(grep -h 'restored the state snapshot' "$DIR/node$victim/node.log" | tail -n 1)"
# Blocks below the snapshot are not on the victim; from the snapshot on, everything matches.
ref=$(wallet 0 block "$target" --json | jq -r '[.hash, .state_root] | join(" ")')
got=$(wallet "$victim" block "$target" --json | jq -r '[.hash, .state_root] | join(" ")') || die "no block $target on node $victim"
[ "$ref" = "$got" ] || die "node $victim disagrees at height $target: '$got' vs '$ref'"
[ "$(balance_of "$victim" user2)" = "$(balance_of 0 user2)" ] || die "balances differ after the snapshot"
wallet "$victim" transfer --from user1 --to "$u2" --amount 2 --wait --json >/dev/null || die "node $victim refuses transfers"
log "node $victim restored from a snapshot, matches at height $target and accepts transactions"
