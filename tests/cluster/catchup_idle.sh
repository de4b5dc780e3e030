#!/usr/bin/env bash
# A backup validator that missed a few hundred blocks on a chain that has since gone idle catches
# up by fetching certified blocks (no snapshot: the gap is under two checkpoint intervals) with
# no new traffic to carry it along, executing them in batched runs, and ends on the same blocks
# and state roots as the others. Driven by `sharechain-bench catchup --sparse`, which stops the
# node, commits one-transfer blocks without it, restarts it as `sharechain-net start` does and
# checks the block and state root at the target height.
source "$(dirname "$0")/lib.sh"
BENCH="$BUILD_DIR/tools/bench/sharechain-bench"

init_cluster 4 --checkpoint-interval 512 --window 1024
# Checkpoints rarer than the gap so the node replays blocks rather than restoring a snapshot.
# Short peer send queues: the peers do not keep the stopped node's consensus messages for it
# (a link writes its whole queue at once on reconnect, so a long queue would carry the node
# through the gap by consensus replay), and the catch-up has to come by fetched blocks.
for cfg in "$DIR"/node*/config.toml; do
  sed -i 's/^\[p2p\]$/[p2p]\nsend_queue_messages = 64/' "$cfg"
done
start_cluster
victim=3
out=$("$BENCH" catchup --dir "$DIR" --blocks 200 --sparse --node "$victim" --bin "$DAEMON" --timeout 60 --json 2>"$DIR/catchup.err") ||
  die "catch-up run failed: $out $(tail -n 5 "$DIR/catchup.err")"
log "bench: $out"
target=$(jq -r .target_height <<<"$out")
[ "$(jq -r .same_block_and_state_root <<<"$out")" = true ] || die "node $victim disagrees at $target"
[ "$(jq -r .blocks <<<"$out")" -ge 200 ] || die "the node missed fewer blocks than asked"
[ "$(jq -r .state_transfer.blocks <<<"$out")" -ge 1 ] || die "no blocks came through state transfer"
grep -q "restored the state snapshot" "$DIR/node$victim/node.log" && die "node $victim used a snapshot"
log "$(grep -h 'state transfer: ' "$DIR/node$victim/node.log" | tail -n 1)"

# No traffic since: every node holds the same chain at the target and below it.
[ "$(height_of 0)" = "$target" ] || die "the chain moved on without traffic"
for h in $(seq $(( target - 199 )) 17 "$target") "$target"; do
  ref=$(wallet 0 block "$h" --json | jq -r '[.hash, .state_root] | join(" ")')
  for i in 1 2 "$victim"; do
    got=$(wallet "$i" block "$h" --json | jq -r '[.hash, .state_root] | join(" ")') || die "node $i has no block $h"
    [ "$got" = "$ref" ] || die "node $i disagrees at height $h: '$got' vs '$ref'"
  done
done
[ "$(balance_of "$victim" user1)" = "$(balance_of 0 user1)" ] || die "balances differ after the catch-up"
u2=$(address_of user2)
wallet "$victim" transfer --from user1 --to "$u2" --amount 2 --wait --json >/dev/null || die "node $victim refuses transfers"
wait_for 20 "node $victim to commit the next block" height_at_least "$victim" $(( target + 1 ))
log "node $victim caught up $(jq -r .state_transfer.blocks <<<"$out") blocks on an idle chain and matches at $target"
