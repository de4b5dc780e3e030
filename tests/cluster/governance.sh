#!/usr/bin/env bash
# The operator committee on four validators, through the wallet only (`sharechain-net init`'s
# default committee: operator, operator2, operator3, two approvals per proposal):
#  - `sharechain validators` shows epoch 0 and the four genesis validators with their peer
#    addresses; `governance committee` shows the three members and threshold 2;
#  - a member alone can no longer grant a role; a grant proposed on one node is refused for a
#    non-member and for a second approval by its proposer, and executes on another node's
#    approval: the role reads back on every node; approving it again says it was executed;
#  (validator-set and consensus-parameter changes, which switch epochs, have their own test,
#  reconfigure.sh);
#  - a contract parameter (attestation_threshold) changes through a proposal, the same on every node;
#  - every node agrees on every block hash and state root.
source "$(dirname "$0")/lib.sh"

# gov NODE OUT args...: a governance command with --json; its output in OUT.
gov() {
  local node=$1 out=$2; shift 2
  wallet "$node" --json governance "$@" > "$out" 2> "$out.err" || die "'governance $*' failed: $(cat "$out.err" "$out")"
}
wait_everywhere() {  # wait_everywhere HEIGHT
  local i; for i in 0 1 2 3; do wait_for 20 "node $i to reach height $1" height_at_least "$i" "$1"; done
}
has_role() { wallet "$1" account "$2" --json | jq -e --arg r "$3" '.roles | index($r)' > /dev/null; }

init_cluster 4
start_cluster

wallet 0 --json validators > "$DIR/validators.json" || die "validators failed"
[ "$(jq -r .epoch "$DIR/validators.json")" = 0 ] || die "epoch is not 0: $(cat "$DIR/validators.json")"
[ "$(jq '.validators | length' "$DIR/validators.json")" = 4 ] || die "not four validators: $(cat "$DIR/validators.json")"
for i in 0 1 2 3; do
  want="127.0.0.1:$(( BASE_PORT + 10 * i + 1 ))"
  got=$(jq -r ".validators[$i].peer_address" "$DIR/validators.json")
  [ "$got" = "$want" ] || die "validator $i peer address '$got', expected '$want'"
  [ "$(jq -r ".validators[$i].since_height" "$DIR/validators.json")" = 0 ] || die "validator $i not since genesis"
  [ "$(jq -r ".validators[$i].public_key | length" "$DIR/validators.json")" = 64 ] || die "validator $i key is not 64 hex"
done
wallet 1 --json governance committee > "$DIR/committee.json" || die "committee query failed"
[ "$(jq -r .threshold "$DIR/committee.json")" = 2 ] && [ "$(jq '.members | length' "$DIR/committee.json")" = 3 ] \
  || die "unexpected committee: $(cat "$DIR/committee.json")"
log "validators and committee as initialised"

# A member alone may not grant any more.
refused 0 "needs 2 committee approvals" role grant --from operator --account user1 --role data_server --wait

gov 1 "$DIR/p1.json" propose grant-role --account user1 --role data_server --from operator \
  --memo "user1 runs the second data server"
id=$(jq -r .proposal_id "$DIR/p1.json")
[ "$id" = 1 ] && [ "$(jq -r .status "$DIR/p1.json")" = open ] || die "proposal not open: $(cat "$DIR/p1.json")"
refused 2 "not a member" governance approve "$id" --from user2
refused 2 "already approved" governance approve "$id" --from operator
has_role 0 user1 data_server && die "the role was granted before the threshold"

gov 2 "$DIR/a1.json" approve "$id" --from operator2
[ "$(jq -r .status "$DIR/a1.json")" = executed ] || die "approval did not execute: $(cat "$DIR/a1.json")"
wait_everywhere "$(jq -r .height "$DIR/a1.json")"
for i in 0 1 2 3; do has_role "$i" user1 data_server || die "node $i does not show user1 as data_server"; done
log "proposal $id executed at height $(jq -r .height "$DIR/a1.json"); the role reads back on every node"
refused 3 "already executed" --json governance approve "$id" --from operator3
[ "$(jq -r .status "$DIR/refused.out")" = executed ] || die "refused approval does not report the status: $(cat "$DIR/refused.out")"

# A contract parameter changes through the committee.
gov 3 "$DIR/p2.json" propose set-parameter --name attestation_threshold --value 2 --from operator3
id2=$(jq -r .proposal_id "$DIR/p2.json")
[ "$id2" = 2 ] || die "the refused proposals took ids: $(cat "$DIR/p2.json")"
gov 0 "$DIR/a2.json" approve "$id2" --from operator
[ "$(jq -r .status "$DIR/a2.json")" = executed ] || die "parameter change did not execute: $(cat "$DIR/a2.json")"
wait_everywhere "$(jq -r .height "$DIR/a2.json")"
for i in 0 1 2 3; do
  gov "$i" "$DIR/show.json" show "$id2"
  [ "$(jq -r .status "$DIR/show.json")" = executed ] || die "node $i: $(cat "$DIR/show.json")"
  [ "$(jq -r .executed_height "$DIR/show.json")" = "$(jq -r .height "$DIR/a2.json")" ] || die "node $i: executed at another height"
done
gov 1 "$DIR/list.json" list
[ "$(jq '.proposals | length' "$DIR/list.json")" = 2 ] || die "expected two proposals: $(cat "$DIR/list.json")"
gov 1 "$DIR/open.json" list --open
[ "$(jq '.proposals | length' "$DIR/open.json")" = 0 ] || die "expected no open proposal: $(cat "$DIR/open.json")"

top=$(height_of 0)
wait_everywhere "$top"
assert_same_chain "$top" 0 1 2 3
log "passed"
