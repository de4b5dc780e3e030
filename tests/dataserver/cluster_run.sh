#!/usr/bin/env bash
# The data server against a real four-node cluster, for a bounded time, then checked from the
# outside:
#  - the run completes with a JSON report: sessions at stations, parking spaces and charging
#    piles, payments on and off chain, revenue distributed, every agreement and split model
#    activated, a financing round that succeeded (with payouts to financiers) and one that
#    failed, attested vehicle records; no transaction lost or rejected (local nonces stayed in
#    step with the chain)
#  - `sharechain-dataserver audit` against all four nodes: identical blocks and state roots at
#    every height; supply conserved (genesis + issued = every balance + escrow, accounts read
#    one by one); every paid session's split exact; each party's income = its history = its
#    events = its shares of paid sessions; every agreement's and split model's income
#    accounted for (paid out or waiting in its pot)
#  - a second run without a duration stops cleanly on SIGTERM: exit 0, a report, its open
#    financing offers withdrawn
#  - the reports' revenue totals add up to the income the chain credited to the parties
#  - runs without a failed step leave nothing in escrow (clean stops)
#  - the audit is not blind: against a genesis file with one balance changed it fails
#  - every node reports the same height, last block and state root (checked by the audit)
# Long enough (70 s by default, DATASERVER_DURATION to change) for one periodic settlement.
source "$(dirname "$0")/../cluster/lib.sh"

DS="$BUILD_DIR/tools/dataserver/sharechain-dataserver"
DURATION=${DATASERVER_DURATION:-70}

init_cluster 4
start_cluster
nodes="$(api 0),$(api 1),$(api 2),$(api 3)"

log "running the data server for ${DURATION}s against $nodes"
"$DS" --node "$nodes" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --duration "$DURATION" --seed 7 --rate 2 --json > "$DIR/report.json" 2> "$DIR/dataserver.log" ||
  { cat "$DIR/dataserver.log"; die "the data server exited with an error"; }
jq -e . "$DIR/report.json" > /dev/null || die "the report is not one JSON object"

r() { jq -r "$1" "$DIR/report.json"; }
log "report: $(r .sessions.total) sessions ($(r .sessions.by_kind.maintenance.total) maintenance," \
    "$(r .sessions.by_kind.parking.total) parking, $(r .sessions.by_kind.charging.total) charging)," \
    "$(r .transactions.committed) transactions, $(r .transactions.per_second | cut -c1-6) tx/s," \
    "$(r .failures.total) failed steps"
jq -c '.failures.by_reason[]' "$DIR/report.json" | head -n 20
for kind in maintenance parking charging; do
  [ "$(r ".sessions.by_kind.$kind.total")" -gt 0 ] || die "no $kind session ended"
done
[ "$(r .payments.on_chain.count)" -gt 0 ] || die "no session was paid on chain"
[ "$(r .payments.off_chain.count)" -gt 0 ] || die "no off-chain payment was recorded"
[ "$(r .revenue.distributed.amount)" -gt 0 ] || die "no revenue was distributed"
[ "$(r .setup.agreements_activated)" -eq 11 ] || die "not every agreement was activated"
[ "$(r .setup.models_activated)" -eq 2 ] || die "not every split model was activated"
[ "$(r .financing.succeeded.count)" -ge 1 ] || die "no financing round succeeded"
[ "$(r .financing.failed.count)" -ge 1 ] || die "the round planned to fail did not fail"
[ "$(r .financing.paid_to_financiers.amount)" -gt 0 ] || die "no investor income reached the financiers"
[ "$(r .records_attested)" -gt 0 ] || die "no vehicle record was attested"
[ "$(r '.vehicles.owners_registered // 0')" -gt 0 ] || die "no vehicle got its first owner"
[ "$(r .transactions.lost)" -eq 0 ] || die "$(r .transactions.lost) transactions were lost"
[ "$(r .transactions.rejected)" -eq 0 ] || die "$(r .transactions.rejected) transactions were rejected at admission"

log "a second run until SIGTERM"
"$DS" --node "$nodes" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --duration 0 --seed 8 --rate 2 --json > "$DIR/report2.json" 2> "$DIR/dataserver2.log" &
ds_pid=$!
sleep 25
kill -TERM "$ds_pid"
wait "$ds_pid" || { cat "$DIR/dataserver2.log"; die "the data server did not stop cleanly on SIGTERM"; }
r2() { jq -r "$1" "$DIR/report2.json"; }
log "second report: $(r2 .sessions.total) sessions, $(r2 .failures.total) failed steps," \
    "$(r2 .financing.cancelled.count) financing offers withdrawn at the stop"
[ "$(r2 .setup.agreements_activated)" -eq 11 ] || die "the second run did not set up its agreements"
[ "$(r2 .financing.cancelled.count)" -ge 1 ] || die "open financing offers were not withdrawn at the stop"
[ "$(r2 .transactions.lost)" -eq 0 ] || die "the second run lost transactions"

log "auditing the cluster's books"
"$DS" audit --node "$nodes" --genesis "$DIR/genesis.json" --json > "$DIR/audit.json" ||
  { jq -c '.checks[] | select(.ok | not)' "$DIR/audit.json" 2>/dev/null || cat "$DIR/audit.json"; die "the audit failed"; }
jq -r '.checks[] | "  [ok] \(.name): \(.detail)"' "$DIR/audit.json"

reported=$(( $(r .revenue.distributed.amount) + $(r2 .revenue.distributed.amount) ))
credited=$(jq -r .figures.income_total "$DIR/audit.json")
[ "$reported" -eq "$credited" ] || die "the reports distributed $reported units but the chain credited $credited"

if [ "$(r .failures.total)" -eq 0 ] && [ "$(r2 .failures.total)" -eq 0 ]; then
  [ "$(jq -r .figures.supply.escrow "$DIR/audit.json")" -eq 0 ] || die "a clean stop left units in escrow"
fi

jq '(.accounts[] | select(.name == "user1") | .balance) += 1' "$DIR/genesis.json" \
  > "$DIR/genesis-altered.json"
if "$DS" audit --node "$nodes" --genesis "$DIR/genesis-altered.json" --settle 0 --json > "$DIR/audit-altered.json"; then
  die "the audit passed against an altered genesis"
fi
jq -e '.checks[] | select(.name == "issued total = genesis balances + every issuance") | .ok == false' \
  "$DIR/audit-altered.json" > /dev/null || die "the altered genesis was not caught by the supply check"

log "data server run audited: $(r .sessions.total) sessions, $(r .revenue.distributed.amount) units distributed"
