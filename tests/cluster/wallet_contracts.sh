#!/usr/bin/env bash
# The shared maintenance station end to end, through the wallet only, on four validators:
#  - user1 (the investor) registers a station with two equipment types;
#  - four partners agree a usage agreement at 50/40/5/5 %: it is ACTIVE only at the last
#    confirmation, and a non-partner's confirmation is refused;
#  - user4 (a technician) is refused a reservation before the agreement is active and without
#    the qualification, then is certified by the data server and reserves (deposit held);
#  - access is granted with a session id and an access code; the data server reports one lift
#    minute (6,000 units) and one diagnostic run (4,000 units);
#  - an unpaid session blocks the technician's next session (a second reservation in the same
#    window is refused access);
#  - the technician pays (deposit first); each partner's balance rises by its exact share
#    5,000 / 4,000 / 500 / 500 on every node; a second payment is refused;
#  - the session, the partners' income history, the asset's return and the total supply read
#    back the same through every node.
source "$(dirname "$0")/lib.sh"

# committed NODE OUT args...: runs a transaction with --json --wait, requires it committed ok,
# then waits until every node has its block, so the next step may read or act on any node.
committed() {
  local node=$1 out=$2; shift 2
  wallet "$node" --json "$@" --wait > "$out" 2> "$out.err" || die "'$*' failed: $(cat "$out.err")"
  [ "$(jq -r .status "$out")" = committed ] && [ "$(jq -r .result "$out")" = ok ] || die "'$*': $(cat "$out")"
  local h i; h=$(jq -r .height "$out")
  for i in 0 1 2 3; do wait_for 20 "node $i to reach height $h" height_at_least "$i" "$h"; done
}
event_attr() { jq -r --arg e "$2" --arg a "$3" '.events[] | select(.name == $e) | .attributes[$a]' "$1"; }

init_cluster 4
start_cluster
supply_before=$(wallet 0 --json ledger supply | jq -r .issued)

# 1. The investor registers the station.
committed 0 "$DIR/asset.json" asset register --from user1 --kind station --name "Bay 1" \
  --location "Main St 1" --capacity 2 --equipment lift:Lift:2 --equipment diagnostic:Diagnostic-scanner:1 \
  --investment-cost 1000000
asset=$(event_attr "$DIR/asset.json" AssetRegistered asset)
[ -n "$asset" ] || die "no asset id in $(cat "$DIR/asset.json")"

# 2. Four partners agree; the technician needs a qualification.
committed 1 "$DIR/deal.json" agreement propose --from user1 --asset "$asset" \
  --item lift:Lift-use:lift:minute:6000 --item diagnostic:Diagnostic-run:diagnostic:fixed:4000 \
  --partner user1:5000:investor --partner user2:4000:equipment --partner user3:500:operations \
  --partner operator:500:platform --deposit 2000 --qualification certified_technician
deal=$(event_attr "$DIR/deal.json" AgreementProposed agreement)
refused 2 "not one" agreement confirm --from user4 --agreement "$deal"

# A walk-in booking for the current 30-minute slot; near its end, wait for the next one so the
# reservation cannot commit after its own slot has passed.
slot=1800000
now=$(date +%s%3N)
if [ $(( slot - now % slot )) -lt 20000 ]; then sleep $(( (slot - now % slot) / 1000 + 1 )); now=$(date +%s%3N); fi
start=$(( now - now % slot )); end=$(( start + slot ))
reserve=(session reserve --from user4 --agreement "$deal" --start "$start" --end "$end" --item lift --item diagnostic)
refused 3 "not active" "${reserve[@]}" --wait

committed 2 "$DIR/c2.json" agreement confirm --from user2 --agreement "$deal"
committed 3 "$DIR/c3.json" agreement confirm --from user3 --agreement "$deal"
[ "$(wallet 0 --json agreement show "$deal" | jq -r .status)" = PROPOSED ] || die "agreement active before every partner confirmed"
committed 0 "$DIR/c4.json" agreement confirm --from operator --agreement "$deal"
jq -e '.events[] | select(.name == "AgreementActivated")' "$DIR/c4.json" >/dev/null || die "last confirmation did not activate: $(cat "$DIR/c4.json")"

# 3. The technician reserves: refused until certified.
refused 1 "certified_technician" "${reserve[@]}" --wait
committed 1 "$DIR/cert.json" role certify --from dataserver --account user4 --qualification certified_technician
tech_before=$(balance_of 0 user4)
committed 1 "$DIR/res.json" "${reserve[@]}"
reservation=$(event_attr "$DIR/res.json" Reserved reservation)
[ "$(event_attr "$DIR/res.json" Reserved deposit_held)" = true ] || die "deposit not held: $(cat "$DIR/res.json")"
[ "$(balance_of 2 user4)" -eq $(( tech_before - 2000 )) ] || die "the deposit did not leave the technician's balance"
# A second bay booked for the same window (the station has two), for the unpaid-session check.
committed 2 "$DIR/res2.json" "${reserve[@]}"
reservation2=$(event_attr "$DIR/res2.json" Reserved reservation)

# 4. At the gate: access with a session id and an eight-digit code.
committed 2 "$DIR/access.json" session access --from user4 --reservation "$reservation" --credential qr \
  --vin LSVAX4182E2123456
session=$(event_attr "$DIR/access.json" AccessGranted session)
code=$(event_attr "$DIR/access.json" AccessGranted access_code)
[ -n "$session" ] && [ "${#code}" -eq 8 ] || die "no session or code: $(cat "$DIR/access.json")"

# 5. Two equipment types; the data server reports the meter.
sleep 1
committed 3 "$DIR/end.json" session end --from dataserver --session "$session" --minutes lift=1 --used diagnostic
[ "$(event_attr "$DIR/end.json" PaymentRequested amount)" = 10000 ] || die "charge is not 10000: $(cat "$DIR/end.json")"

# An unsettled session blocks the next one.
refused 0 "$session" session access --from user4 --reservation "$reservation2" --credential qr --wait

# 6. The technician pays; every partner receives its exact share.
declare -A before
for p in user1 user2 user3 operator; do before[$p]=$(balance_of 0 "$p"); done
committed 0 "$DIR/pay.json" session pay --from user4 --session "$session"
[ "$(event_attr "$DIR/pay.json" SessionPaid from_deposit)" = 2000 ] || die "deposit not applied first: $(cat "$DIR/pay.json")"
refused 1 "already paid" session pay --from user4 --session "$session" --wait

top=$(height_of 0)
for i in 1 2 3; do wait_for 20 "node $i to reach height $top" height_at_least "$i" "$top"; done
declare -A share=([user1]=5000 [user2]=4000 [user3]=500 [operator]=500)
for i in 0 1 2 3; do
  for p in user1 user2 user3 operator; do
    got=$(( $(balance_of "$i" "$p") - before[$p] ))
    [ "$got" -eq "${share[$p]}" ] || die "node $i: $p received $got, its share is ${share[$p]}"
  done
  [ "$(balance_of "$i" user4)" -eq $(( tech_before - 10000 - 2000 )) ] || die "node $i: the technician paid the wrong amount (second deposit held)"
done
log "shares 5000/4000/500/500 of 10000 arrived on every node"

# 7. What the chain remembers.
wallet 1 --json session show "$session" > "$DIR/session.json"
jq -e '.status == "PAID" and ([.lines[] | .equipment_type] | sort) == ["diagnostic", "lift"]' \
  "$DIR/session.json" >/dev/null || die "session record: $(cat "$DIR/session.json")"
wallet 2 --json split income user3 > "$DIR/income.json"
jq -e --arg s "$session" '.entries | length == 1 and .[0].amount == 500 and .[0].session_id == $s' \
  "$DIR/income.json" >/dev/null || die "operations income history: $(cat "$DIR/income.json")"
wallet 3 --json asset show "$asset" > "$DIR/asset_now.json"
jq -e '.investor_income == 5000 and .roi_bps == 50' "$DIR/asset_now.json" >/dev/null \
  || die "asset return: $(cat "$DIR/asset_now.json")"
for i in 0 1 2 3; do
  wallet "$i" --json ledger supply > "$DIR/supply.$i.json"
  jq -e --argjson s "$supply_before" '.issued == $s and .balances + .escrow == $s' "$DIR/supply.$i.json" >/dev/null \
    || die "node $i: supply changed: $(cat "$DIR/supply.$i.json")"
done
assert_same_chain "$top" 0 1 2 3
log "station, four partners, technician: reserve, access, two equipment types, pay, exact shares"
