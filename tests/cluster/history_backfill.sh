#!/usr/bin/env bash
# A validator that restores a state snapshot backfills the blocks below it, and never answers
# "no such block/transaction" for history it does not hold yet:
#   - while the hole is open (backfill paced to 2 blocks/s on the victim): status says
#     history_complete false with the missing range; a block and a transaction inside it, and a
#     block subscription reaching it, answer UNAVAILABLE "not yet backfilled"
#   - afterwards: history_complete, every block 1..tip identical to another node's (hash and
#     state root), every transfer committed meanwhile readable with its height, and a block
#     subscription from height 1 yields every height once, in order
source "$(dirname "$0")/lib.sh"

init_cluster 4 --checkpoint-interval 4 --window 8
victim=3
printf '\n[history]\nbackfill_blocks_per_s = 2\n' >> "$DIR/node$victim/config.toml"
start_cluster
u2=$(address_of user2)
send() {  # send NODE: one transfer, waits for commit, appends "hash height" to $DIR/txs
  wallet "$1" transfer --from user1 --to "$u2" --amount 3 --wait --json > "$DIR/out.json" ||
    die "transfer failed: $(cat "$DIR/out.json")"
  jq -r '[.tx_hash, .height] | join(" ")' "$DIR/out.json" >> "$DIR/txs"
}
for _ in 1 2 3; do send 0; done
wait_for 20 "node $victim to reach the first transfers" height_at_least "$victim" "$(height_of 0)"
kill -KILL "$(pid_of $victim)"
own=$(height_of 0)
log "killed node $victim at height $own"
for _ in $(seq 1 24); do send 0; done
target=$(height_of 0)
start_cluster
wait_for 90 "node $victim to catch up to $target" height_at_least "$victim" "$target"
grep -q "restored the state snapshot" "$DIR/node$victim/node.log" || die "node $victim did not use a snapshot"

status=$(wallet "$victim" status --json)
[ "$(jq -r .history_complete <<<"$status")" = "false" ] || die "history_complete is not false right after the restore: $status"
low=$(jq -r '.history_missing[-1].from' <<<"$status")
high=$(jq -r '.history_missing[0].to' <<<"$status")
[ "$low" = "$(( own + 1 ))" ] || log "note: hole starts at $low (own tip was $own)"
log "hole $low..$high on node $victim while backfilling"
out=$(wallet "$victim" block "$low" 2>&1) && die "block $low in the hole was served: $out"
grep -q "is not yet backfilled on this node" <<<"$out" || die "unexpected answer for block $low: $out"
in_hole=$(awk -v l="$low" -v h="$high" '$2 >= l && $2 < h {print $1; exit}' "$DIR/txs")
[ -n "$in_hole" ] || die "no transfer committed inside the hole $low..$high"
out=$(wallet "$victim" tx "$in_hole" 2>&1) && die "a transaction in the hole was answered: $out"
grep -q "not yet backfilled" <<<"$out" || die "unexpected answer for a transaction in the hole: $out"
out=$(timeout 10 "$WALLET_BIN" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
        --node "$(api "$victim")" watch --from 1 --count "$target" --json 2>&1) &&
  die "a subscription from height 1 ran through the hole"
grep -q "not yet backfilled" <<<"$out" || die "the subscription ended without saying why: $out"
log "reads inside the hole answer UNAVAILABLE 'not yet backfilled'"

complete() { [ "$(wallet "$victim" status --json | jq -r .history_complete)" = "true" ]; }
wait_for 120 "node $victim to backfill its history" complete
wait_for 10 "the 'history complete' line in node $victim's log" grep -q "history complete" "$DIR/node$victim/node.log"
assert_same_chain "$target" 0 "$victim"
while read -r hash height; do
  got=$(wallet "$victim" tx "$hash" --json | jq -r '[.status, .height] | join(" ")') || die "tx $hash unreadable on node $victim"
  [ "$got" = "committed $height" ] || die "tx $hash on node $victim: '$got', expected 'committed $height'"
done < "$DIR/txs"
heights=$(timeout 30 "$WALLET_BIN" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
            --node "$(api "$victim")" watch --from 1 --count "$target" --json | jq -r .height | tr '\n' ' ')
[ "$heights" = "$(seq -s ' ' 1 "$target") " ] || die "subscription from 1 on node $victim was not gap-free: $heights"
log "node $victim holds every block 1..$target, $(wc -l < "$DIR/txs") transfers readable, subscription gap-free"
