#!/usr/bin/env bash
# The C++ client library against 4 validators: reads, pipelined nonces, idempotent resubmission,
# batches, and an event stream that survives the kill -9 of the node it reads from
# (tests/client/client_library_driver.cpp says what each step checks). Afterwards the three
# nodes left still agree and commit. Then the killed node comes back far behind, restores a
# state snapshot and backfills slowly; a stream from height 1 that starts on it gets every event
# of the history once, in order, leaving it at its hole for another node.
source "$(dirname "$0")/lib.sh"

init_cluster 4 --checkpoint-interval 4 --window 8
# Short checkpoints so the killed node returns from a snapshot; slow backfill keeps its hole open.
for cfg in "$DIR"/node*/config.toml; do
  printf '\n[history]\nbackfill_blocks_per_s = 1\n' >> "$cfg"
done
start_cluster
for i in 0 1 2 3; do wait_for 60 "node $i to serve" height_at_least "$i" 0; done

"$BUILD_DIR/tests/client/client_library_driver" --dir "$DIR" --base-port "$BASE_PORT" ||
  die "the client library driver failed"

# The survivors still commit and agree: one more transfer, then compare every live node's head.
alive=()
for i in 0 1 2 3; do
  pid=$(cat "$DIR/node$i/sharechaind.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then alive+=("$i"); fi
done
[ "${#alive[@]}" -eq 3 ] || die "expected 3 live nodes after the kill, found ${#alive[@]}"
wallet "${alive[0]}" transfer --from user2 --to user1 --amount 1 --wait >/dev/null || die "no commit after the kill"
h=$(height_of "${alive[0]}")
for i in "${alive[@]}"; do wait_for 60 "node $i at height $h" height_at_least "$i" "$h"; done
assert_same_chain "$h" "${alive[@]}"
log "the client library's steps hold; nodes ${alive[*]} agree through height $h"

victim=""
for i in 0 1 2 3; do case " ${alive[*]} " in *" $i "*) ;; *) victim=$i ;; esac; done
for _ in $(seq 1 24); do
  wallet "${alive[0]}" transfer --from user2 --to user1 --amount 2 --wait >/dev/null || die "transfer failed"
done
target=$(height_of "${alive[0]}")
start_cluster
wait_for 90 "node $victim to catch up to $target" height_at_least "$victim" "$target"
grep -q "restored the state snapshot" "$DIR/node$victim/node.log" || die "node $victim did not use a snapshot"
status=$(wallet "$victim" status --json)
[ "$(jq -r .synced <<<"$status")" = "true" ] || die "node $victim is not synced after the restore: $status"
[ "$(jq -r .history_complete <<<"$status")" = "false" ] || die "node $victim has no hole to test: $status"
log "node $victim restored a snapshot and is backfilling $(jq -c .history_missing <<<"$status")"
"$BUILD_DIR/tests/client/client_library_driver" --dir "$DIR" --base-port "$BASE_PORT" \
  --replay-from "$victim" --to-height "$target" || die "the replay through node $victim failed"
log "PASSED: every step of the client library holds, across a kill and a snapshot restore"
