#!/usr/bin/env bash
# The validator set changes on a live chain, through the committee only (checkpoint interval 4,
# window 8, so a change takes effect at most 12 blocks after it executes):
#  1. `sharechain-net add-node` makes node4 with a fresh key; started, it follows the chain as a
#     non-validating follower (status says so, and it refuses transactions with that reason);
#  2. add-validator for node4: at the switch height every node enters epoch 1 with five
#     validators; node4 votes: with node1 killed (-9), blocks still commit, which needs four of
#     the five, so node4's vote among them; node1 restarts and catches up;
#  3. remove-validator for node3: in epoch 2 node3 is a follower, the set is 0,1,2,4, and with
#     node1 killed again blocks commit without node3;
#  4. rotate-key for node2 to a key made by a second add-node: once in force, node2 (old key) is
#     a follower and its peers refuse its old key on the wire with a clear reason; restarted with
#     the new key it validates again, and with node0 killed blocks still commit;
#  5. set-parameter max_block_txs 2 while node1 is down: every validator enters epoch 4 at the
#     same height with it (node1 by state transfer across the switch once restarted), and four
#     concurrent transfers take blocks of at most two;
#  6. `validators --history` names the four ended sets; bundles of a transfer of epoch 0 and of one
#     of epoch 4 carry the chain of sets they need and are proven offline against the genesis
#     file; a changed key of set 2, a changed switch block of set 3, a missing set 4 each fail;
#     an account's state bundle of epoch 4 (docs/proofs.md, "State proofs") is proven through the
#     same chain of sets;
# and every node agrees on every block hash and state root throughout.
source "$(dirname "$0")/lib.sh"

K=4
W=8
gov() {  # gov NODE OUT args...
  local node=$1 out=$2; shift 2
  wallet "$node" --json governance "$@" > "$out" 2> "$out.err" || die "'governance $*' failed: $(cat "$out.err" "$out")"
}
status_field() { wallet "$1" status --json 2>/dev/null | jq -r "$2"; }
is_follower() { [ "$(status_field "$1" .follower)" = true ]; }
in_epoch() { [ "$(status_field "$1" .epoch)" = "$2" ] && [ "$(status_field "$1" .follower)" = "${3:-false}" ]; }
# The last height the set before a change executed at H certifies (proto/epoch_spacing.hpp).
switch_after() { echo $(( ( ($1 + W + K - 1) / K ) * K )); }
# advance TARGET VIA NODE...: transfers through node VIA until every listed node reaches TARGET.
advance() {
  local target=$1 via=$2; shift 2
  local end=$(( $(date +%s) + 90 )) all i
  while :; do
    all=1
    for i in "$@"; do height_at_least "$i" "$target" || all=0; done
    [ "$all" = 1 ] && return 0
    [ "$(date +%s)" -lt "$end" ] || die "timed out: nodes $* did not all reach height $target"
    wallet "$via" transfer --from user4 --to "$U1" --amount 1 --wait > /dev/null 2>&1 || true
  done
}
# committed_via NODE: one transfer through NODE commits (a quorum of the set in force voted).
committed_via() {
  wallet "$1" transfer --from user3 --to "$U1" --amount 1 --wait --json > "$DIR/t.json" 2> "$DIR/t.err" \
    || die "a transfer through node $1 did not commit: $(cat "$DIR/t.err" "$DIR/t.json")"
  [ "$(jq -r .status "$DIR/t.json")" = committed ] || die "transfer not committed: $(cat "$DIR/t.json")"
}
# change KIND ARGS...: proposed by operator on node0, approved by operator2 on node2; waits
# until the nodes listed in NODES have passed its switch height.
change() {
  gov 0 "$DIR/p.json" propose "$@" --from operator
  local id; id=$(jq -r .proposal_id "$DIR/p.json")
  gov 2 "$DIR/a.json" approve "$id" --from operator2
  [ "$(jq -r .status "$DIR/a.json")" = executed ] || die "proposal $id did not execute: $(cat "$DIR/a.json")"
  local h; h=$(jq -r .height "$DIR/a.json")
  SWITCH=$(switch_after "$h")
  log "$1 executed at height $h; the set changes after height $SWITCH"
  # shellcheck disable=SC2086
  advance $(( SWITCH + 2 )) 0 $NODES
}
restart() {  # restart NODE: start it again under sharechain-net
  "$NET" start --dir "$DIR" --bin "$DAEMON" > /dev/null || die "restart of node $1 failed"
}
# without NODE VIA WHAT: with NODE killed (-9) a transfer through VIA commits (logged as WHAT);
# then NODE restarts and every node passes the height VIA reached.
without() {
  kill -9 "$(pid_of "$1")"
  committed_via "$2"
  log "$3"
  restart "$1"
  advance $(( $(height_of "$2") + 2 )) "$2" $NODES
}

init_cluster 4 --checkpoint-interval "$K" --window "$W"
start_cluster
U1=$(address_of user1)

# 1. A fifth node, following.
"$NET" add-node --dir "$DIR" --json > "$DIR/node4.json" || die "add-node failed"
[ "$(jq -r .node "$DIR/node4.json")" = node4 ] || die "add-node made $(cat "$DIR/node4.json")"
key4=$(jq -r .public_key "$DIR/node4.json")
peer4=$(jq -r .peer_address "$DIR/node4.json")
[ "$(jq -r .client_address "$DIR/node4.json")" = "$(api 4)" ] || die "node4's client address: $(cat "$DIR/node4.json")"
restart 4
advance 3 0 0 1 2 3
committed_via 1
TX0=$(jq -r .tx_hash "$DIR/t.json")  # proven at the end, from epoch 0 through four set changes
wait_for 30 "node4 to follow to height 3" height_at_least 4 3
is_follower 4 || die "node4 is not a follower: $(wallet 4 status --json)"
if wallet 4 transfer --from user4 --to "$U1" --amount 1 > "$DIR/f.out" 2> "$DIR/f.err"; then
  die "the follower took a transaction"
fi
grep -q "follower" "$DIR/f.err" || die "the follower's refusal does not say why: $(cat "$DIR/f.err")"
log "node4 follows at height $(height_of 4) and refuses transactions"

# 2. Admitted: five validators from the switch on.
NODES="0 1 2 3 4"
change add-validator --public-key "$key4" --peer-address "$peer4" --name node4
for i in $NODES; do wait_for 20 "node $i in epoch 1" in_epoch "$i" 1; done
wallet 2 --json validators > "$DIR/v1.json"
[ "$(jq '.validators | length' "$DIR/v1.json")" = 5 ] && [ "$(jq -r .epoch "$DIR/v1.json")" = 1 ] \
  || die "epoch 1 set: $(cat "$DIR/v1.json")"
[ "$(jq -r '.validators[4].public_key' "$DIR/v1.json")" = "$key4" ] || die "node4 is not validator 4: $(cat "$DIR/v1.json")"
[ "$(jq -r '.validators[4].since_height' "$DIR/v1.json")" = $(( SWITCH + 1 )) ] || die "since_height: $(cat "$DIR/v1.json")"
committed_via 4
without 1 0 "epoch 1: five validators; with node1 killed, blocks commit (node4 votes)"

# 3. node3 removed.
key3=$(jq -r '.validators[3].public_key' "$DIR/v1.json")
change remove-validator --public-key "$key3"
for i in 0 1 2 4; do wait_for 20 "node $i in epoch 2" in_epoch "$i" 2; done
wait_for 20 "node3 to be a follower" in_epoch 3 2 true
wallet 0 --json validators > "$DIR/v2.json"
[ "$(jq -r '[.validators[].public_key] | index("'"$key3"'")' "$DIR/v2.json")" = null ] || die "node3 still in the set"
[ "$(jq '.validators | length' "$DIR/v2.json")" = 4 ] || die "epoch 2 set: $(cat "$DIR/v2.json")"
without 1 2 "epoch 2: node3 follows; with node1 killed, blocks commit without node3"

# 4. node2's key rotated to a fresh one (made by add-node; that folder is not started).
"$NET" add-node --dir "$DIR" --json > "$DIR/node5.json" || die "second add-node failed"
new2=$(jq -r .public_key "$DIR/node5.json")
key2=$(jq -r '.validators[2].public_key' "$DIR/v2.json")
[ "$key2" = "$(jq -r '.validators[2].public_key' "$DIR/v1.json")" ] || die "validator 2 is not node2"
change rotate-key --public-key "$key2" --new-public-key "$new2"
for i in 0 1 4; do wait_for 20 "node $i in epoch 3" in_epoch "$i" 3; done
wait_for 20 "node2 (old key) to be a follower" in_epoch 2 3 true
wait_for 20 "a peer to refuse node2's old key" grep -q "refused this node: public key $key2 is not a validator" \
  "$DIR/node2/node.log"
log "epoch 3: node2's old key is refused: $(grep -o "refused this node: public key [0-9a-f]\{8\}.*" "$DIR/node2/node.log" | head -1 | cut -c1-140)"
pid2=$(pid_of 2)
kill "$pid2"
wait_for 20 "node2 to stop" bash -c "! kill -0 $pid2 2>/dev/null"
cp "$DIR/node5/node_key.json" "$DIR/node2/node_key.json"
rm -rf "$DIR/node5"
restart 2
wait_for 30 "node2 to validate with its new key" in_epoch 2 3 false
without 0 2 "node2 signs with its new key: with node0 killed, blocks commit"

# 5. A consensus parameter through the committee: max_block_txs 2 from the switch on, entered at
# the same height by every validator, and no block above it holds more.
# node1 is down meanwhile: restarted after the switch, it catches up across it by state transfer.
kill -9 "$(pid_of 1)"
NODES="0 2 3 4"
change set-parameter --name max_block_txs --value 2
for i in 0 2 4; do wait_for 30 "node $i in epoch 4" in_epoch "$i" 4; done
restart 1
NODES="0 1 2 3 4"
wait_for 30 "node1 in epoch 4" in_epoch 1 4
grep -q "state transfer: .* -> " "$DIR/node1/node.log" || die "node1 did not catch up by state transfer"
log "node1 caught up across the switch: $(grep -o "state transfer: .* blocks executed\|entered epoch [0-9]* (from epoch [0-9]*) at height [0-9]*" "$DIR/node1/node.log" | tail -3 | paste -sd";")"
for i in 0 1 2 4; do
  grep -q "entered epoch 4 (from epoch 3) at height $SWITCH: validator .* max_block_txs=2 " "$DIR/node$i/node.log" \
    || die "node $i did not enter epoch 4 at height $SWITCH with max_block_txs=2: $(grep 'entered epoch 4' "$DIR/node$i/node.log")"
done
from=$(height_of 0)
to_operator=$(address_of operator)
pids=()
for u in 1 2 3 4; do
  wallet 0 transfer --from "user$u" --to "$to_operator" --amount 1 --wait > /dev/null 2>&1 & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "a transfer after the parameter change failed"; done
top=$(height_of 0)
seen=0
for h in $(seq $(( from + 1 )) "$top"); do
  n=$(wallet 0 block "$h" --json | jq '.transactions | length')
  [ "$n" -le 2 ] || die "block $h holds $n transactions with max_block_txs 2"
  seen=$(( seen + n ))
done
[ "$seen" -ge 4 ] || die "only $seen of the 4 transfers are in blocks $(( from + 1 ))..$top"
log "epoch 4 from height $(( SWITCH + 1 )) on every validator: max_block_txs 2; 4 concurrent transfers took blocks $(( from + 1 ))..$top"

# 6. Proofs across the changes: the chain of sets a node names, and bundles that carry it.
wallet 3 --json validators --history > "$DIR/history.json" || die "validators --history failed"
jq -e '(.history | length) == 4 and ([.history[].epoch] == [0, 1, 2, 3]) and .epoch == 4
    and ([range(0; 3) as $i | .history[$i].end_height == .history[$i + 1].start_height] | all)
    and .history[3].end_height == .epoch_start and (.history[1].validators | length) == 5' "$DIR/history.json" \
  >/dev/null || die "the ended epochs are not the chain of sets: $(cat "$DIR/history.json")"
committed_via 4
TX4=$(jq -r .tx_hash "$DIR/t.json")
for t in 0 4; do
  tx_var="TX$t"
  wallet 0 --json tx "${!tx_var}" --bundle "$DIR/e$t.bundle" > "$DIR/e$t.out" 2> "$DIR/e$t.err" \
    || die "tx --bundle of the epoch-$t transfer failed: $(cat "$DIR/e$t.out" "$DIR/e$t.err")"
  "$WALLET_BIN" verify-bundle "$DIR/e$t.bundle" --genesis "$DIR/genesis.json" --json > "$DIR/e$t.verified" \
    || die "the epoch-$t bundle is not proven: $(cat "$DIR/e$t.verified")"
done
jq -e --slurpfile h "$DIR/history.json" '(.validator_sets | length) == 5
    and ([.validator_sets[].epoch] == [0, 1, 2, 3, 4])
    and ([range(1; 5) as $e | .validator_sets[$e].from_height == $h[0].history[$e - 1].end_height] | all)' \
  "$DIR/e4.bundle" > /dev/null || die "the epoch-4 bundle does not carry the chain of sets: $(jq -c .validator_sets "$DIR/e4.bundle")"
[ "$(jq '.validator_sets | length' "$DIR/e0.bundle")" -le 2 ] \
  || die "the epoch-0 bundle carries sets it does not need: $(jq -c '[.validator_sets[].epoch]' "$DIR/e0.bundle")"
# not_proven FILE WORDS JQ: the epoch-4 bundle changed by JQ fails offline, naming WORDS.
not_proven() {
  jq "$3" "$DIR/e4.bundle" > "$DIR/$1" || die "cannot change the bundle with $3"
  if "$WALLET_BIN" verify-bundle "$DIR/$1" --genesis "$DIR/genesis.json" > /dev/null 2> "$DIR/$1.err"; then
    die "$1 is proven"
  fi
  grep -qF -- "$2" "$DIR/$1.err" || die "$1 does not fail naming '$2': $(cat "$DIR/$1.err")"
}
flip='(.[0:20] + (if .[20:21] == "0" then "1" else "0" end) + .[21:])'
not_proven k2.bundle "switch block of epoch 2 (height" ".validator_sets[2].validators[0].public_key |= $flip"
not_proven s3.bundle "switch block of epoch 3" ".validator_sets[3].switch_block.header |= $flip"
not_proven cut.bundle "sets up to epoch 3 only" 'del(.validator_sets[4])'
wallet 2 --json account user1 --bundle "$DIR/state4.bundle" > "$DIR/state4.out" 2> "$DIR/state4.err" \
  || die "account --bundle in epoch 4 failed: $(cat "$DIR/state4.out" "$DIR/state4.err")"
"$WALLET_BIN" verify-bundle "$DIR/state4.bundle" --genesis "$DIR/genesis.json" --json > "$DIR/state4.verified" \
  || die "the epoch-4 state bundle is not proven: $(cat "$DIR/state4.verified")"
jq -e '.kind == "state" and .facts.present and (.validator_sets | length) == 5' \
  <(jq -s '.[0] + {validator_sets: .[1].validator_sets}' "$DIR/state4.verified" "$DIR/state4.bundle") > /dev/null \
  || die "the epoch-4 state bundle does not carry the chain of sets: $(jq -c '[.validator_sets[].epoch]' "$DIR/state4.bundle")"
set_bytes=$(jq -c '.validator_sets[1:][]' "$DIR/e4.bundle" | awk '{ n++; b += length($0) } END { printf "%d", b / n }')
log "bundles of transfers in epochs 0 and 4 ($(wc -c < "$DIR/e0.bundle") and $(wc -c < "$DIR/e4.bundle") bytes, about $set_bytes bytes of compact JSON per later set) proven offline through $(jq '.validator_sets | length' "$DIR/e4.bundle") sets; changed sets fail"

top=$(height_of 2)
advance "$top" 2 $NODES
assert_same_chain "$top" 0 1 2 3 4
log "passed"
