#!/usr/bin/env bash
# The explorer in a real browser (headless Chromium over the DevTools protocol) against a
# one-node cluster the data server drives for a while (ports BASE_PORT.. in 34000-34999):
#  - every page loads without a console error or uncaught exception: the chain tip, the last
#    blocks, a block, a transaction, the validators, an account, an asset, the investor
#    dashboard, a vehicle history
#  - the pages show the figures the CLI prints for the same objects: the block's transaction
#    count (`sharechain block`), the transaction's result (`sharechain tx`), user1's balance
#    (`sharechain account`), an asset's income and the investor's totals and monthly income
#    (`sharechain portfolio --json`), a vehicle's attested record count (`sharechain vehicle
#    show`)
#  - an unknown route shows the not-found page; a malformed hash shows the API's refusal
#  - a screenshot of the investor dashboard is saved in the build directory (path printed)
# Exits 77 (skipped) without chromium or python3-websocket: scripts/install-deps.sh installs them.
source "$(dirname "$0")/browser_lib.sh"
source "$(dirname "$0")/../cluster/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DS="$BUILD_DIR/tools/dataserver/sharechain-dataserver"
DURATION=${EXPLORER_DATASERVER_SECONDS:-45}
OPS=$(ops_port 0)
BASE="http://127.0.0.1:$OPS/explorer/"
SHOT="$BUILD_DIR/explorer-investor.png"

init_cluster 1
start_cluster
[ "$("$NET" status --dir "$DIR" --json | jq -r '.nodes[0].explorer_url')" = "$BASE" ] ||
  die "sharechain-net status does not give the explorer's URL $BASE"

log "the data server drives the node for ${DURATION}s"
timeout $(( DURATION + 60 )) "$DS" --node "$(api 0)" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --duration "$DURATION" --seed 11 --rate 3 --json > "$DIR/report.json" 2> "$DIR/dataserver.log" ||
  { tail -n 30 "$DIR/dataserver.log"; die "the data server failed"; }

# What the CLI says about the objects the pages show.
USER1=$(address_of user1)
BALANCE=$(wallet 0 account user1 --json | jq -r .balance)
wallet 0 portfolio user1 --json > "$DIR/portfolio.json" || die "sharechain portfolio failed"
p() { jq -r "$1" "$DIR/portfolio.json"; }
[ "$(p '.assets | length')" -gt 0 ] || die "user1 owns no asset after the data server's run"
ASSET=$(p '[.assets[] | select(.income > 0)][0].id // .assets[0].id')
ASSET_INCOME=$(jq -r --arg a "$ASSET" '.assets[] | select(.id == $a) | .income' "$DIR/portfolio.json")
[ "$(p '.totals.income')" -gt 0 ] || die "user1's assets earned nothing in ${DURATION}s (portfolio: $(p -c .totals))"
MONTH=$(p '.income_by_month[-1].month')
MONTH_INCOME=$(p '.income_by_month[-1].income')
HEIGHT=$(height_of 0)
# A block with transactions, and its first transaction.
BLOCK=""
for (( h = HEIGHT; h >= 1 && h > HEIGHT - 50; h-- )); do
  n=$(wallet 0 block "$h" --json | jq '.transactions | length')
  if [ "$n" -gt 0 ]; then BLOCK=$h; BLOCK_TXS=$n; break; fi
done
[ -n "$BLOCK" ] || die "no transaction in the last 50 blocks"
TX=$(wallet 0 block "$BLOCK" --json | jq -r '.transactions[0].hash')
TX_RESULT=$(wallet 0 tx "$TX" --json | jq -r 'if .receipt.ok then "ok" else .receipt.status end')
# A vehicle the data server recorded (its customers' keys are its own, not in this keystore):
# the first VIN a vehicles transaction names, from the blocks as the CLI shows them.
VIN=""
for (( h = 1; h <= HEIGHT && h <= 200; h++ )); do
  VIN=$(wallet 0 block "$h" --json |
    jq -r '[.transactions[] | select(.call.contract == "vehicles") | .call.args | .. | objects | .vin? // empty][0] // empty')
  [ -n "$VIN" ] && break
done
[ -n "$VIN" ] || die "no vehicles transaction in the first 200 blocks after the data server's run"
ATTESTED=$(wallet 0 vehicle show "$VIN" --json | jq -r '.. | objects | select(has("attested")) | .attested' | head -n 1)
log "checking: block $BLOCK ($BLOCK_TXS txs), tx $TX ($TX_RESULT), user1 $USER1 balance $BALANCE," \
    "asset $ASSET income $ASSET_INCOME, $MONTH income $MONTH_INCOME, vehicle $VIN ($ATTESTED attested)"

jq -n --arg chromium "$CHROMIUM" --argjson port $(( BASE_PORT + 90 )) --arg profile "$DIR/chromium" \
  --arg base "$BASE" --arg shot "$SHOT" --arg user1 "$USER1" --arg balance "$BALANCE" \
  --arg block "$BLOCK" --arg block_txs "$BLOCK_TXS" --arg tx "$TX" --arg tx_result "$TX_RESULT" \
  --arg asset "$ASSET" --arg asset_income "$ASSET_INCOME" --arg month "$MONTH" \
  --arg month_income "$MONTH_INCOME" --arg vin "$VIN" --arg attested "$ATTESTED" \
  --arg total_income "$(p .totals.income)" --arg total_roi "$(p .totals.roi_percent)" \
  --arg assets "$(p '.assets | length')" '{
  chromium: $chromium, debug_port: $port, profile: $profile, base: $base,
  pages: [
    {route: "#/", page: "home", expect: [{selector: "[data-field=height] a", contains: ""},
                                         {selector: "svg polyline", attr: "points", contains: ","}]},
    {route: ("#/blocks/" + $block), page: "blocks", expect: [{selector: "table tbody tr td a", contains: ""}]},
    {route: ("#/block/" + $block), page: "block", expect: [{selector: "[data-field=tx_count]", equals: $block_txs}]},
    {route: ("#/tx/" + $tx), page: "tx", expect: [{selector: "[data-field=result]", equals: $tx_result},
                                                   {selector: "[data-field=hash]", equals: $tx}]},
    {route: "#/validators", page: "validators", expect: [{selector: "table tbody tr", contains: "node0"}]},
    {route: ("#/account/" + $user1), page: "account", expect: [{selector: "[data-field=balance]", attr: "data-units", equals: $balance}]},
    {route: ("#/asset/" + $asset), page: "asset", expect: [{selector: "[data-field=income]", attr: "data-units", equals: $asset_income},
                                                           {selector: "#asset-income-chart rect", attr: "height", contains: ""}]},
    {route: ("#/investor/" + $user1), page: "investor", screenshot: $shot, expect: [
      {selector: "[data-field=total_income]", attr: "data-units", equals: $total_income},
      {selector: "[data-field=total_roi]", equals: $total_roi},
      {selector: "[data-field=asset_count]", equals: $assets},
      {selector: ("[data-field=\"month-income-" + $month + "\"]"), attr: "data-units", equals: $month_income},
      {selector: ("[data-field=\"asset-income-" + $asset + "\"]"), attr: "data-units", equals: $asset_income},
      {selector: "#investor-income-chart rect", attr: "height", contains: ""}]},
    {route: ("#/vehicle/" + $vin), page: "vehicle", expect: [{selector: "[data-field=attested]", equals: $attested}]},
    {route: "#/no/such/page", expect: [{selector: "main h1", equals: "Not found"}]},
    {route: "#/tx/not-a-hash", page: "tx", errors_allowed: true,
     expect: [{selector: ".error", contains: "not a transaction hash"}, {selector: ".error", attr: "data-status", equals: "400"}]}
  ]}' > "$DIR/checks.json"

timeout 240 /usr/bin/python3 "$HERE/browser_check.py" "$DIR/checks.json" || die "the explorer's pages do not show what the CLI shows"
[ -s "$SHOT" ] || die "no screenshot at $SHOT"
log "screenshot of the investor dashboard: $SHOT"
log "passed"
