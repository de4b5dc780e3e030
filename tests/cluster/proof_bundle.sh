#!/usr/bin/env bash
# Proof bundles end to end, checked offline after the cluster is gone (docs/proofs.md):
#  - a transfer and an attested vehicle record (submitted by one attester, endorsed TRUE by three
#    others) are committed, then one more transfer (its block certifies the last endorsement's
#    receipt); `tx HASH --bundle` and `vehicle report VIN --bundle` write bundles;
#  - every node is stopped; `verify-bundle --genesis` proves both (exit 0) and prints the facts:
#    the transfer's amount, the record ATTESTED with three endorsements and their organisations;
#  - a changed amount in the facts, a changed byte of a Merkle path, of a header and of a
#    certificate's signature each fail (exit 1) naming the part; the bundle against another
#    chain's genesis fails (exit 1); a file that is not a bundle and a missing file exit 2.
#  - state proofs (the chain has a state tree): `account ADDRESS --bundle` proves an account's
#    entry and `state KEY --bundle` an absent key, offline too; the vehicle report carries its
#    vehicle's state, so with a second, undecided record on the VIN, a report whose file leaves
#    that record out fails ("holds 2 records"); a changed value, sibling or anchor signature of a
#    state proof fails naming it.
source "$(dirname "$0")/lib.sh"

VIN=1HGCM82633A004352
EVIDENCE=$(printf 'police report 2026-118' | sha256sum | cut -d' ' -f1)

# verify FILE GENESIS OUT: runs verify-bundle --json, leaves the exit code in $rc.
verify() {
  rc=0
  "$WALLET_BIN" verify-bundle "$1" --genesis "$2" --json > "$3" 2> "$3.err" || rc=$?
}
# expect_failure FILE WORDS: verify-bundle must exit 1 naming WORDS.
expect_failure() {
  verify "$1" "$DIR/genesis.json" "$DIR/out.json"
  [ "$rc" -eq 1 ] || die "$1: expected exit 1, got $rc: $(cat "$DIR/out.json" "$DIR/out.json.err")"
  grep -qi -- "$2" "$DIR/out.json.err" || die "$1: the failure does not name '$2': $(cat "$DIR/out.json.err")"
  [ "$(jq -r .proven "$DIR/out.json")" = false ] || die "$1: --json does not say proven=false"
  log "not proven, as expected: $(head -c 150 "$DIR/out.json.err")"
}
# tamper IN OUT JQ_PATH: OUT is IN with the hex string at JQ_PATH changed in one digit.
tamper() {
  jq "$3 |= (.[0:10] + (if .[10:11] == \"0\" then \"1\" else \"0\" end) + .[11:])" "$1" > "$2" \
    || die "cannot tamper with $3"
  cmp -s "$1" "$2" && die "tampering with $3 changed nothing"
  return 0
}

init_cluster 4
start_cluster
wait_for 30 "the cluster to commit" height_at_least 0 0

user2=$(address_of user2)
wallet 0 --json transfer --from user1 --to "$user2" --amount 1234 --memo "proof me" --wait > "$DIR/transfer.json" \
  || die "transfer failed"
tx=$(jq -r .tx_hash "$DIR/transfer.json")

wallet 1 --json vehicle submit --from attester1 --vin "$VIN" --kind accident --summary "rear collision, repaired" \
  --evidence-hash "$EVIDENCE" --wait > "$DIR/submit.json" || die "submit failed: $(cat "$DIR/submit.json")"
record=$(jq -r '.events[] | select(.name == "RecordSubmitted") | .attributes.record' "$DIR/submit.json")
[ -n "$record" ] || die "no record id in $(cat "$DIR/submit.json")"
for a in attester2 attester3 attester4; do
  wallet 2 --json vehicle endorse --from "$a" --record "$record" --verdict true --wait > "$DIR/endorse-$a.json" \
    || die "endorse by $a failed: $(cat "$DIR/endorse-$a.json")"
done
# A second record of the same vehicle, left undecided: the report must list it too.
wallet 1 --json vehicle submit --from attester1 --vin "$VIN" --kind maintenance --summary "oil change" \
  --evidence-hash "$EVIDENCE" --wait > "$DIR/submit2.json" || die "second submit failed: $(cat "$DIR/submit2.json")"
record2=$(jq -r '.events[] | select(.name == "RecordSubmitted") | .attributes.record' "$DIR/submit2.json")
# A receipt is certified by a later block (order, then execute): on this otherwise idle chain one
# more transaction brings the block that certifies the last endorsement's.
wallet 3 --json transfer --from user2 --to "$(address_of user1)" --amount 1 --wait > "$DIR/later.json" \
  || die "later transfer failed"
log "transfer $tx and record $record (3 endorsements) committed"

wallet 3 --json tx "$tx" --bundle "$DIR/tx.bundle" > "$DIR/tx-bundle.json" 2> "$DIR/tx-bundle.err" \
  || die "tx --bundle failed: $(cat "$DIR/tx-bundle.json" "$DIR/tx-bundle.err")"
wallet 0 --json vehicle report "$VIN" --bundle "$DIR/vehicle.bundle" > "$DIR/vehicle-bundle.json" 2> "$DIR/vehicle-bundle.err" \
  || die "vehicle report --bundle failed: $(cat "$DIR/vehicle-bundle.json" "$DIR/vehicle-bundle.err")"
[ "$(jq -r .proofs "$DIR/vehicle-bundle.json")" = 5 ] || die "the vehicle bundle does not hold 5 proofs: $(cat "$DIR/vehicle-bundle.json")"
[ "$(jq -r .state_proofs "$DIR/vehicle-bundle.json")" = 1 ] || die "the vehicle bundle has no state proof: $(cat "$DIR/vehicle-bundle.json")"
log "bundles written: tx $(jq -r .bytes "$DIR/tx-bundle.json") bytes, vehicle $(jq -r .bytes "$DIR/vehicle-bundle.json") bytes"

# State bundles: an account's entry, and a key the chain does not hold.
wallet 2 --json account user2 --bundle "$DIR/account.bundle" > "$DIR/account-bundle.json" 2> "$DIR/account-bundle.err" \
  || die "account --bundle failed: $(cat "$DIR/account-bundle.json" "$DIR/account-bundle.err")"
hex_of() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
absent_key=$(hex_of 'ledger/acct/nobody-has-this-key')
wallet 1 --json state "$absent_key" --bundle "$DIR/absent.bundle" > "$DIR/absent-bundle.json" 2> "$DIR/absent-bundle.err" \
  || die "state --bundle failed: $(cat "$DIR/absent-bundle.json" "$DIR/absent-bundle.err")"
log "state bundles written: account $(jq -r .bytes "$DIR/account-bundle.json") bytes (state height $(jq -r .state_height "$DIR/account-bundle.json")), absent key $(jq -r .bytes "$DIR/absent-bundle.json") bytes"

"$NET" stop --dir "$DIR" --grace 5 >/dev/null || die "stop failed"
for i in 0 1 2 3; do
  wallet "$i" status --json >/dev/null 2>&1 && die "node $i still answers after stop"
done
log "cluster stopped; everything below is offline"

verify "$DIR/tx.bundle" "$DIR/genesis.json" "$DIR/tx-verified.json"
[ "$rc" -eq 0 ] || die "tx bundle not proven (exit $rc): $(cat "$DIR/tx-verified.json" "$DIR/tx-verified.json.err")"
jq -e --arg tx "$tx" '.proven and .kind == "transaction" and .facts.tx_hash == $tx
    and .facts.receipt.ok and .facts.transaction.call.args.amount == 1234' "$DIR/tx-verified.json" >/dev/null \
  || die "tx bundle facts wrong: $(cat "$DIR/tx-verified.json")"
verify "$DIR/vehicle.bundle" "$DIR/genesis.json" "$DIR/vehicle-verified.json"
[ "$rc" -eq 0 ] || die "vehicle bundle not proven (exit $rc): $(cat "$DIR/vehicle-verified.json.err")"
jq -e --arg vin "$VIN" --arg r2 "$record2" '.facts.vin == $vin and (.facts.records | length) == 2
    and .facts.records[1].record == $r2 and .facts.records[1].status == "pending endorsements"
    and .facts.records[0].status == "ATTESTED" and .facts.records[0].threshold_met
    and (.facts.records[0].endorsements | length) == 3
    and ([.facts.records[0].endorsements[].organisation] | index("Northwind Insurance"))' \
  "$DIR/vehicle-verified.json" >/dev/null || die "vehicle facts wrong: $(jq .facts "$DIR/vehicle-verified.json")"
jq -e '.facts.vehicle_state.records == 2 and .facts.vehicle_state.attested == 1 and .facts.vehicle_state.present
    and (.facts.records | length) == 2' "$DIR/vehicle-verified.json" >/dev/null \
  || die "vehicle state wrong: $(jq .facts.vehicle_state "$DIR/vehicle-verified.json")"
log "both bundles proven offline; the report is complete as of height $(jq -r .facts.vehicle_state.height "$DIR/vehicle-verified.json")"

verify "$DIR/account.bundle" "$DIR/genesis.json" "$DIR/account-verified.json"
[ "$rc" -eq 0 ] || die "account bundle not proven (exit $rc): $(cat "$DIR/account-verified.json.err")"
# The key is ledger/acct/ + the 20 address bytes, and the proven value (a ledger.Account) names them.
jq -e --arg prefix "$(hex_of 'ledger/acct/')" '.facts.key[($prefix | length):] as $address
    | .proven and .kind == "state" and .facts.present
    and (.facts.key | startswith($prefix)) and ($address | length) == 40
    and (.facts.value | contains("0a14" + $address))
    and .states[0].certified_by > .states[0].height' "$DIR/account-verified.json" >/dev/null \
  || die "account facts wrong: $(cat "$DIR/account-verified.json")"
verify "$DIR/absent.bundle" "$DIR/genesis.json" "$DIR/absent-verified.json"
[ "$rc" -eq 0 ] || die "absent-key bundle not proven (exit $rc): $(cat "$DIR/absent-verified.json.err")"
jq -e '.proven and (.facts.present | not) and (.facts | has("value") | not)' "$DIR/absent-verified.json" >/dev/null \
  || die "absent-key facts wrong: $(cat "$DIR/absent-verified.json")"
log "state bundles proven offline: the account's entry and the absence of a key"

# The undecided record's submission left out of the report: the vehicle's state says 2 records.
jq '.proofs |= .[0:-1]' "$DIR/vehicle.bundle" > "$DIR/t7.bundle"
expect_failure "$DIR/t7.bundle" "holds 2 records of vehicle $VIN"
tamper "$DIR/account.bundle" "$DIR/t8.bundle" '.state_proofs[0].value'
expect_failure "$DIR/t8.bundle" "state proof 1 of 1: state"
tamper "$DIR/account.bundle" "$DIR/t9.bundle" '.state_proofs[0].anchor.certificate.votes[0].signature'
expect_failure "$DIR/t9.bundle" "anchor certificate"
sibling=$(jq '[.state_proofs[0].siblings | to_entries[] | select(.value | length > 0) | .key][0]' "$DIR/absent.bundle")
if [ "$sibling" != null ]; then
  tamper "$DIR/absent.bundle" "$DIR/t10.bundle" ".state_proofs[0].siblings[$sibling]"
  expect_failure "$DIR/t10.bundle" "the path hashes to state root"
fi

# Text output for people says what was proven.
"$WALLET_BIN" verify-bundle "$DIR/tx.bundle" --genesis "$DIR/genesis.json" > "$DIR/tx-verified.txt" \
  || die "text verify failed"
grep -q "proven" "$DIR/tx-verified.txt" || die "text output does not say proven: $(cat "$DIR/tx-verified.txt")"

# Any part changed: a fact, a path, a header, a certificate.
jq '.facts.transaction.call.args.amount = 99999' "$DIR/tx.bundle" > "$DIR/t1.bundle"
expect_failure "$DIR/t1.bundle" "facts"
tamper "$DIR/tx.bundle" "$DIR/t2.bundle" '.proofs[0].transaction_path[0]'
if jq -e '.proofs[0].transaction_path | length > 0' "$DIR/tx.bundle" >/dev/null; then
  expect_failure "$DIR/t2.bundle" "transaction path"
fi
tamper "$DIR/tx.bundle" "$DIR/t3.bundle" '.proofs[0].anchor.header'
expect_failure "$DIR/t3.bundle" "anchor"
tamper "$DIR/vehicle.bundle" "$DIR/t4.bundle" '.proofs[2].block.certificate.votes[0].signature'
expect_failure "$DIR/t4.bundle" "certificate"
tamper "$DIR/vehicle.bundle" "$DIR/t5.bundle" '.proofs[1].receipt'
expect_failure "$DIR/t5.bundle" "proof 2"
tamper "$DIR/tx.bundle" "$DIR/t6.bundle" '.validator_sets[0].validators[1].public_key'
expect_failure "$DIR/t6.bundle" "validator set"

# Another chain's genesis: a second cluster folder, never started.
"$NET" init --nodes 4 --dir "$DIR/other" --base-port $(( BASE_PORT + 50 )) >/dev/null || die "second init failed"
verify "$DIR/tx.bundle" "$DIR/other/genesis.json" "$DIR/other.json"
[ "$rc" -eq 1 ] || die "a bundle against another genesis: exit $rc: $(cat "$DIR/other.json.err")"
grep -qiE "genesis|chain" "$DIR/other.json.err" || die "the failure does not name the genesis: $(cat "$DIR/other.json.err")"
log "another chain's genesis refused: $(head -c 150 "$DIR/other.json.err")"

# Unreadable: not a bundle, no file.
echo '{"hello": 1}' > "$DIR/not.bundle"
verify "$DIR/not.bundle" "$DIR/genesis.json" "$DIR/not.json"
[ "$rc" -eq 2 ] || die "a non-bundle: exit $rc"
verify "$DIR/missing.bundle" "$DIR/genesis.json" "$DIR/missing.json"
[ "$rc" -eq 2 ] || die "a missing file: exit $rc"
log "unreadable files exit 2"
log "PASSED"
