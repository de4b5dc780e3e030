#!/usr/bin/env bash
# A node that may be behind refuses new transactions and says why; a client given several nodes
# moves on; a transaction sent again is reported as the earlier commit, never as a new one:
#   - quorum lost (two of four frozen): the two left are not synced, /readyz is 503 with the
#     reason, status says synced false, a transfer is refused with "not in touch with a quorum"
#     (exit 3), and the wallet given both says none is synced; once the two resume, all is well
#   - one node frozen while the others commit a payment, then the same command run through it
#     (alone, or first in --node) right after it resumes: refused by the node, or a second
#     distinct transfer — never the first one's bytes signed again, because the wallet remembers
#     the nonce it saw committed and does not take a lower one from a node that is behind; the
#     node logs that it was paused
#   - the same transaction again (same nonce, same body, so the same hash): ALREADY_EXISTS
#     naming the earlier height, exit 1, from every node; the recipient's balance adds up
source "$(dirname "$0")/lib.sh"

init_cluster 4
start_cluster
for i in 0 1 2 3; do wait_for 20 "node $i to be synced" is_synced "$i"; done
reply=$(http_get "$(ops_port 0)" /readyz)
[ "${reply%% *}" = "200" ] || die "/readyz of a synced node: $reply"
u2=$(address_of user2)
chain=$(wallet 0 status --json | jq -r .chain_id)
multi() {  # multi NODE_LIST args...: the wallet given several nodes
  local list=$1; shift
  "$WALLET_BIN" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" --node "$list" "$@"
}

# 1. Quorum lost.
kill -STOP "$(pid_of 1)" "$(pid_of 2)"
not_synced() { [ "$(synced_of "$1")" = "false" ]; }
wait_for 15 "node 0 to notice it lost the quorum" not_synced 0
reply=$(http_get "$(ops_port 0)" /readyz)
[ "${reply%% *}" = "503" ] || die "/readyz without a quorum: $reply"
grep -q "not in touch with a quorum" <<<"$reply" || die "/readyz gives no reason: $reply"
set +e
out=$(wallet 0 transfer --from user1 --to "$u2" --amount 5 2>&1); rc=$?
set -e
[ "$rc" -eq 3 ] || die "a transfer without a quorum exited $rc: $out"
grep -q "not in touch with a quorum of validators" <<<"$out" || die "refusal without the reason: $out"
set +e
out=$(multi "$(api 0),$(api 3)" transfer --from user1 --to "$u2" --amount 5 2>&1); rc=$?
set -e
[ "$rc" -ne 0 ] || die "a transfer without a quorum went through: $out"
grep -q "no synced node" <<<"$out" || die "the wallet did not say that no node is synced: $out"
log "without a quorum: /readyz 503, transfers refused with the reason"
kill -CONT "$(pid_of 1)" "$(pid_of 2)"
for i in 0 1 2 3; do wait_for 20 "node $i to be synced again" is_synced "$i"; done

# 2. A node frozen while the others commit a payment; right after it resumes, the same command
#    is run again through it. Whatever the timing, a person running two transfer commands gets
#    two transfers or a refusal, never one transfer reported twice: the wallet's nonce floor
#    (tools/common/nonce_floor.hpp) keeps it from signing the first payment's nonce again, so the
#    second is refused by the node that is not synced yet (exit 3) or committed as a second,
#    distinct transfer. Before the floor, a stale node's nonce made the second command the first
#    one's bytes, answered "already committed" (exit 1).
before=$(balance_of 0 user2)
paid=0
for round in 1 2 3; do
  kill -STOP "$(pid_of 3)"
  wallet 0 transfer --from user1 --to "$u2" --amount 7 --memo "rent $round" --wait --json \
    > "$DIR/first.json" || die "transfer failed"
  first=$(jq -r .tx_hash "$DIR/first.json")
  first_height=$(jq -r .height "$DIR/first.json")
  first_nonce=$(wallet 0 tx "$first" --json | jq -r .nonce)
  paid=$(( paid + 7 ))
  sleep 3
  kill -CONT "$(pid_of 3)"
  nodes=$(api 3); [ "$round" -eq 1 ] || nodes="$(api 3),$(api 0)"
  set +e
  multi "$nodes" transfer --from user1 --to "$u2" --amount 7 --memo "rent $round" --wait --json \
    > "$DIR/second.json" 2> "$DIR/second.err"; rc=$?
  set -e
  case $rc in
    0) [ "$(jq -r .tx_hash "$DIR/second.json")" != "$first" ] || die "round $round: the repeat was reported as a new commit"
       [ "$(jq -r .status "$DIR/second.json")" = "committed" ] || die "round $round: $(cat "$DIR/second.json")"
       paid=$(( paid + 7 )); outcome="a second, distinct transfer"
       grep -q "it is behind, so nonce $(( first_nonce + 1 )) is used" "$DIR/second.err" &&
         outcome="$outcome, on the wallet's floor while the node was behind" ;;
    3) grep -q "cannot serve this now" "$DIR/second.err" || die "round $round: $(cat "$DIR/second.err")"
       outcome="refused: $(cat "$DIR/second.err")" ;;
    *) die "round $round: exit $rc: $(cat "$DIR/second.json" "$DIR/second.err")" ;;
  esac
  log "round $round via $nodes: $outcome"
  wait_for 30 "node 3 to be synced" is_synced 3
done
grep -q "this node was paused for" "$DIR/node3/node.log" || die "node 3 did not notice it was paused"

# 3. The same transaction again (same nonce and body, so the same hash): ALREADY_EXISTS with the
#    earlier height, exit 1, from every node.
for i in 0 3; do
  set +e
  out=$(multi "$(api $i)" --chain-id "$chain" transfer --from user1 --to "$u2" --amount 7 \
          --memo "rent 3" --nonce "$first_nonce" --wait --json 2>&1); rc=$?
  set -e
  [ "$rc" -eq 1 ] || die "a repeated transaction on node $i exited $rc: $out"
  grep -q "already committed at height $first_height" <<<"$out" || die "a repeat on node $i was not named as one: $out"
done
after=$(balance_of 0 user2)
[ "$after" -eq $(( before + paid )) ] || die "user2 went from $before to $after, expected +$paid"
log "a repeat is answered ALREADY_EXISTS at height $first_height on nodes 0 and 3; user2 got exactly +$paid"
