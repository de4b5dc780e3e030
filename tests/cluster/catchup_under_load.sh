#!/usr/bin/env bash
# A backup validator that was down catches up by fetching certified blocks while the other three
# go on committing under a steady background load: its catch-up must outrun their commit rate,
# or it would never reach the head. Afterwards it follows consensus and holds the same blocks and
# state roots as the others.
source "$(dirname "$0")/lib.sh"
BENCH="$BUILD_DIR/tools/bench/sharechain-bench"

init_cluster 4 --checkpoint-interval 1024 --window 2048
# Short peer send queues, as in catchup_idle.sh: otherwise the peers keep thousands of consensus
# messages for the stopped node and replay them on reconnect, and the node may cross the whole gap
# by consensus replay before a fetched block is needed.
for cfg in "$DIR"/node*/config.toml; do
  sed -i 's/^\[p2p\]$/[p2p]\nsend_queue_messages = 64/' "$cfg"
done
start_cluster
victim=3
# Steady load on the three others for the whole test (the victim is down for part of it). It runs
# far longer than the test needs, even on a crowded machine, and is stopped at the end.
"$BENCH" --nodes "$(api 0),$(api 1),$(api 2)" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --funder user2 --accounts 40 --rate 150 --duration 900 --verify-seconds 0.2 --json >"$DIR/load.json" 2>"$DIR/load.err" &
load=$!
BACKGROUND_PIDS=$load  # stopped by cleanup, also when the test fails
wait_for 30 "the background load to commit" height_at_least 0 5

out=$("$BENCH" catchup --dir "$DIR" --blocks 200 --node "$victim" --funder user1 --accounts 16 --bin "$DAEMON" \
  --timeout 60 --json 2>"$DIR/catchup.err") || die "catch-up run failed: $out $(tail -n 5 "$DIR/catchup.err")"
log "bench: $out"
kill -0 "$load" 2>/dev/null || die "the background load ended before the catch-up did"
target=$(jq -r .target_height <<<"$out")
[ "$(jq -r .same_block_and_state_root <<<"$out")" = true ] || die "node $victim disagrees at $target"
[ "$(jq -r .state_transfer.blocks <<<"$out")" -ge 1 ] || die "no blocks came through state transfer"
grep -q "restored the state snapshot" "$DIR/node$victim/node.log" && die "node $victim used a snapshot"
log "$(grep -h 'state transfer: ' "$DIR/node$victim/node.log" | tail -n 1)"

# Still under load: the victim keeps up with the head the others have now.
head=$(height_of 0)
wait_for 30 "node $victim to reach the moving head $head" height_at_least "$victim" "$head"
kill -0 "$load" 2>/dev/null || die "the background load ended before node $victim reached the head"
log "node $victim reached $head while the others went on committing"

kill "$load" 2>/dev/null || true
wait "$load" 2>/dev/null || true
sleep 1
final=$(height_of 0)
for i in 1 2 "$victim"; do wait_for 30 "node $i to reach $final" height_at_least "$i" "$final"; done
for h in "$target" "$head" "$final"; do
  ref=$(wallet 0 block "$h" --json | jq -r '[.hash, .state_root] | join(" ")')
  for i in 1 2 "$victim"; do
    got=$(wallet "$i" block "$h" --json | jq -r '[.hash, .state_root] | join(" ")') || die "node $i has no block $h"
    [ "$got" = "$ref" ] || die "node $i disagrees at height $h: '$got' vs '$ref'"
  done
done
log "node $victim caught up under load and matches at heights $target, $head and $final"
