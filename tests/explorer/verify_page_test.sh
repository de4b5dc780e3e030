#!/usr/bin/env bash
# The explorer's bundle verifier page (#/verify, docs/explorer.md) in headless Chromium against a
# one-node cluster (ports BASE_PORT.. in 39950-39969):
#  - the data server drives the node briefly (an asset earns income), then two transfers of
#    one sender that the node must put in one block (nonce N+1 held until N arrives), so that a
#    Merkle path has entries and a vehicle record
#    attested by three endorsements; the wallet writes a transaction, a vehicle report, a
#    revenue statement and an account's state bundle (docs/proofs.md)
#  - the page, given each bundle and the genesis file through its file inputs, proves them and
#    shows the facts: the transaction's hash and height, the VIN, the ATTESTED record and the
#    vehicle's record count from its proven state, the statement's payments, the account entry;
#    a changed state value fails naming the state proof
#  - one byte changed in a fact, a Merkle path, a header, the validator set a header names, a
#    certificate signature, the validator set, a receipt or an anchor's certificate fails with the
#    reason naming that part, proof and height; a statement's partner amount changed, another chain's genesis file and a file that
#    is not a bundle fail too
#  - bundles of the Python unit tests' hand-built chain that switches its validator set twice
#    (sdk/python/tests/write_epoch_bundles.py; a live one-node cluster never switches): a vehicle
#    report across both switches is proven, and a switch header's next set changed, a key of a
#    later set changed and a header of an epoch the bundle carries no set for fail with the
#    reason naming the switch block or the proof
#  - bundles of the Python unit tests' hand-built chain with a state tree
#    (sdk/python/tests/write_state_bundles.py): state bundles proving a key present and one
#    absent, and a vehicle report with its vehicle_state, are proven and the page shows their
#    facts (the key, value and height; the vehicle's counters); a sibling or the value changed,
#    a record left out of the report and a genesis file naming no state tree fail
#  - the Python SDK's verifier gives the same verdict and the same reason for every file, and
#    the page made no request at all while verifying (the node keeps serving; the check is
#    offline all the same)
# Exits 77 (skipped) without chromium or python3-websocket: scripts/install-deps.sh installs them.
source "$(dirname "$0")/browser_lib.sh"
source "$(dirname "$0")/../cluster/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DS="$BUILD_DIR/tools/dataserver/sharechain-dataserver"
DURATION=${VERIFY_PAGE_DATASERVER_SECONDS:-20}
BASE="http://127.0.0.1:$(ops_port 0)/explorer/"
VIN=1HGCM82633A004352
SHOT="$BUILD_DIR/explorer-verify.png"

init_cluster 1
sed -i 's/^\[mempool\]$/[mempool]\nmax_nonce_gap = 1/' "$DIR/node0/config.toml"
grep -q '^max_nonce_gap = 1$' "$DIR/node0/config.toml" || die "cannot set mempool.max_nonce_gap in node0's config"
start_cluster
wait_for 30 "the node to commit" height_at_least 0 0

log "the data server drives the node for ${DURATION}s"
timeout $(( DURATION + 60 )) "$DS" --node "$(api 0)" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --duration "$DURATION" --seed 11 --rate 3 --json > "$DIR/report.json" 2> "$DIR/dataserver.log" ||
  { tail -n 30 "$DIR/dataserver.log"; die "the data server failed"; }

# Two transfers that must share a block, so that a transaction path has an entry to change:
# user3 signs nonces N+1 and N and submits them in that order. The node holds N+1 (the mempool
# may queue one nonce ahead, set below) until N arrives and then hands both to the engine at once,
# whatever the machine's load; wallets started together only usually land in one block.
N3=$(wallet 0 --json account user3 | jq -r .nonce)
wallet 0 --json transfer --from user3 --nonce $(( N3 + 1 )) --to "$(address_of user4)" --amount 1234 \
  --memo "proof me" > "$DIR/a.json" || die "transfer with nonce $(( N3 + 1 )) failed: $(cat "$DIR/a.json")"
wallet 0 --json transfer --from user3 --nonce "$N3" --to "$(address_of user1)" --amount 55 --wait > "$DIR/b.json" ||
  die "transfer with nonce $N3 failed: $(cat "$DIR/b.json")"
TX=$(jq -r .tx_hash "$DIR/a.json")
committed() { [ "$(wallet 0 --json tx "$1" | jq -r .status)" = committed ]; }
wait_for 30 "transaction $TX to commit" committed "$TX"
[ "$(wallet 0 --json tx "$TX" | jq -r .height)" = "$(jq -r .height "$DIR/b.json")" ] ||
  die "nonces $N3 and $(( N3 + 1 )) of user3 committed in different blocks"
# One more transaction: its block certifies the receipts of the two.
wallet 0 --json transfer --from user2 --to "$(address_of user1)" --amount 1 --wait > /dev/null || die "transfer failed"
TX_BUNDLE="$DIR/tx-a.bundle"
wallet 0 --json tx "$TX" --bundle "$TX_BUNDLE" > /dev/null 2> "$DIR/bundle.err" ||
  die "tx --bundle failed: $(cat "$DIR/bundle.err")"
jq -e '.proofs[0].transaction_path | length > 0' "$TX_BUNDLE" > /dev/null ||
  die "the bundle of $TX has an empty transaction path though its block holds two transactions"
TX_HEIGHT=$(wallet 0 tx "$TX" --json | jq -r .height)
TX_INDEX=$(jq -r '.proofs[0].index' "$TX_BUNDLE")
log "transaction $TX at height $TX_HEIGHT, index $TX_INDEX of $(jq -r '.proofs[0].transaction_count' "$TX_BUNDLE")"

EVIDENCE=$(printf 'police report 2026-118' | sha256sum | cut -d' ' -f1)
wallet 0 --json vehicle submit --from attester1 --vin "$VIN" --kind accident --summary "rear collision, repaired" \
  --evidence-hash "$EVIDENCE" --wait > "$DIR/submit.json" || die "submit failed: $(cat "$DIR/submit.json")"
record=$(jq -r '.events[] | select(.name == "RecordSubmitted") | .attributes.record' "$DIR/submit.json")
[ -n "$record" ] || die "no record id in $(cat "$DIR/submit.json")"
for a in attester2 attester3 attester4; do
  wallet 0 --json vehicle endorse --from "$a" --record "$record" --verdict true --wait > /dev/null || die "endorse by $a failed"
done
wallet 0 --json transfer --from user2 --to "$(address_of user1)" --amount 1 --wait > /dev/null || die "transfer failed"
wallet 0 --json vehicle report "$VIN" --bundle "$DIR/vehicle.bundle" > /dev/null 2> "$DIR/bundle.err" ||
  die "vehicle report --bundle failed: $(cat "$DIR/bundle.err")"
VEHICLE_PROOFS=$(jq '.proofs | length' "$DIR/vehicle.bundle")
# A state bundle of the live chain (docs/proofs.md, "State proofs"): an account's entry.
wallet 0 --json account user1 --bundle "$DIR/account.bundle" > /dev/null 2> "$DIR/bundle.err" ||
  die "account --bundle failed: $(cat "$DIR/bundle.err")"
STATE_H=$(jq -r '.state_proofs[0].height' "$DIR/account.bundle")

# The asset with the most income splits this month (block time, UTC).
month=$(date -u -d "@$(( $(wallet 0 block latest --json | jq -r .timestamp_ms) / 1000 ))" +%Y-%m)
ASSET="" PAYMENTS=0
for owner in user1 user2; do
  for asset in $(wallet 0 asset list --owner "$owner" --json | jq -r '.assets[].id'); do
    n=$(wallet 0 --json revenue statement "$asset" --period "$month" | jq '.payments | length') ||
      die "revenue statement of $asset failed"
    if [ "$n" -gt "$PAYMENTS" ]; then ASSET=$asset PAYMENTS=$n; fi
  done
done
[ "$PAYMENTS" -gt 0 ] || die "no asset has income in $month after the data server's ${DURATION}s"
wallet 0 --json revenue statement "$ASSET" --period "$month" --bundle "$DIR/revenue.bundle" > /dev/null 2> "$DIR/bundle.err" ||
  die "revenue statement --bundle failed: $(cat "$DIR/bundle.err")"
log "bundles: transaction, vehicle report ($VEHICLE_PROOFS proofs), revenue statement of $ASSET for $month ($PAYMENTS payments)"

# tamper IN OUT JQ_PATH: OUT is IN with one byte of the hex string at JQ_PATH changed (its sixth).
tamper() {
  jq "$3 |= (.[0:10] + (if .[10:11] == \"0\" then \"1\" else \"0\" end) + .[11:])" "$1" > "$2" || die "cannot tamper with $3"
  cmp -s "$1" "$2" && die "tampering with $3 changed nothing"
  return 0
}
# A header ends with history_root (field 11, 2 + 32 bytes) and validator_set_hash (field 13,
# 2 + 32 bytes). The last hex digit of history_root: a field the certificate covers but that
# the verifier reads nowhere else. The last one of all: the header names another validator set.
jq '.proofs[0].block.header |= (.[0:-69] + (if .[-69:-68] == "0" then "1" else "0" end) + .[-68:])' "$TX_BUNDLE" > "$DIR/t-header.bundle"
jq '.proofs[0].block.header |= (.[0:-1] + (if .[-1:] == "0" then "1" else "0" end))' "$TX_BUNDLE" > "$DIR/t-set.bundle"
tamper "$TX_BUNDLE" "$DIR/t-fact.bundle" '.facts.tx_hash'
jq '.facts.transaction.call.args.amount += 1' "$TX_BUNDLE" > "$DIR/t-amount.bundle"
tamper "$TX_BUNDLE" "$DIR/t-path.bundle" '.proofs[0].transaction_path[0]'
tamper "$TX_BUNDLE" "$DIR/t-signature.bundle" '.proofs[0].block.certificate.votes[0].signature'
tamper "$TX_BUNDLE" "$DIR/t-validators.bundle" '.validator_sets[0].validators[0].public_key'
tamper "$DIR/vehicle.bundle" "$DIR/t-receipt.bundle" '.proofs[1].receipt'
tamper "$DIR/vehicle.bundle" "$DIR/t-anchor.bundle" '.proofs[0].anchor.certificate.votes[0].signature'
tamper "$DIR/account.bundle" "$DIR/t-state.bundle" '.state_proofs[0].value'
jq '.facts.payments[0].parts[0].amount += 1' "$DIR/revenue.bundle" > "$DIR/t-revenue.bundle"
VEHICLE_H2=$(jq -r '.proofs[1].height' "$DIR/vehicle.bundle")
ANCHOR_H1=$(jq -r '.proofs[0].anchor.certificate.height' "$DIR/vehicle.bundle")

# Another chain's genesis file: a second cluster folder, never started.
"$NET" init --nodes 1 --dir "$DIR/other" --base-port $(( BASE_PORT + 10 )) > /dev/null || die "second init failed"

# The Python SDK's verifier, to compare verdicts: its stubs from the build or generated here.
STUBS="$BUILD_DIR/tests/sdk/python-stubs"
SDK="$ROOT/sdk/python"
if [ ! -d "$STUBS/sharechain" ]; then
  STUBS="$DIR/stubs"
  /usr/bin/python3 "$SDK/generate_stubs.py" --proto "$ROOT/proto" --out "$STUBS" > /dev/null 2>&1 || SDK=""
fi
[ -n "$SDK" ] || log "the Python SDK's stubs cannot be generated here: its verdicts are not compared"
export SHARECHAIN_STUBS="$STUBS" PYTHONDONTWRITEBYTECODE=1

# Bundles across switches of the validator set, from the SDK's hand-built chain.
mkdir -p "$DIR/epochs"
if [ -n "$SDK" ]; then
  /usr/bin/python3 "$SDK/tests/write_epoch_bundles.py" "$DIR/epochs" > "$DIR/epochs/cases.json" ||
    die "cannot write the bundles across validator-set switches"
else
  log "without the Python SDK the bundles across validator-set switches are not checked"
  echo '[]' > "$DIR/epochs/cases.json"
fi
# State proofs (docs/proofs.md, "State proofs") from the SDK's hand-built chain with a state tree.
# Each proven one must show its facts: the page's fields are read from the bundle's own facts.
mkdir -p "$DIR/states"
if [ -n "$SDK" ]; then
  /usr/bin/python3 "$SDK/tests/write_state_bundles.py" "$DIR/states" > "$DIR/states/written.json" ||
    die "cannot write the state proof bundles"
  /usr/bin/python3 - "$DIR/states/written.json" > "$DIR/states/cases.json" <<'FIELDS' || die "cannot read the state bundles' facts"
import json, sys
cases = json.load(open(sys.argv[1]))
for c in cases:
    if c["outcome"] != "proven":
        continue
    bundle = json.load(open(c["bundle"]))
    facts, fields = bundle["facts"], c.setdefault("fields", {})
    text = lambda v: json.dumps(v) if isinstance(v, bool) else str(v)
    if bundle["kind"] == "state":
        for k in ("key", "present", "value", "height"):
            if k in facts:
                fields[f"[data-field={k}]"] = text(facts[k])
    elif "vehicle_state" in facts:
        for k, v in facts["vehicle_state"].items():
            fields[f"[data-field=state_{k}]"] = text(v)
        fields["[data-field=record_count]"] = str(len(facts["records"]))
json.dump(cases, sys.stdout)
FIELDS
else
  log "without the Python SDK the state proof bundles are not checked"
  echo '[]' > "$DIR/states/cases.json"
fi

G="$DIR/genesis.json"
jq -n --arg chromium "$CHROMIUM" --argjson port $(( BASE_PORT + 19 )) --arg profile "$DIR/chromium" \
  --arg base "$BASE" --arg sdk "$SDK" --arg g "$G" --arg other "$DIR/other/genesis.json" --arg d "$DIR" \
  --arg txb "$TX_BUNDLE" --arg tx "$TX" --arg h "$TX_HEIGHT" --arg vin "$VIN" --arg asset "$ASSET" \
  --arg payments "$PAYMENTS" --arg vh2 "$VEHICLE_H2" --arg ah1 "$ANCHOR_H1" --arg vproofs "$VEHICLE_PROOFS" \
  --arg sh "$STATE_H" --arg shot "$SHOT" --slurpfile epochs "$DIR/epochs/cases.json" --slurpfile states "$DIR/states/cases.json" '{
  chromium: $chromium, debug_port: $port, profile: $profile, base: $base,
  sdk: (if $sdk == "" then null else $sdk end),
  cases: ([
    {name: "transaction", bundle: $txb, genesis: $g, outcome: "proven", screenshot: $shot,
     fields: {"[data-field=tx_hash]": $tx, "[data-field=height]": $h, "[data-field=result]": "ok",
              "[data-field=call]": "ledger transfer"}},
    {name: "vehicle report", bundle: ($d + "/vehicle.bundle"), genesis: $g, outcome: "proven",
     fields: {"[data-field=vin]": $vin, "[data-field=record_count]": "1", "[data-field=record-status]": "ATTESTED",
              "[data-field=state_records]": "1"}},
    {name: "account state", bundle: ($d + "/account.bundle"), genesis: $g, outcome: "proven",
     fields: {"[data-field=present]": "true", "[data-field=height]": $sh}},
    {name: "a state value changed", bundle: ($d + "/t-state.bundle"), genesis: $g, outcome: "failed",
     reason: ["state proof 1 of 1: state (height " + $sh + "): the path hashes to state root"]},
    {name: "revenue statement", bundle: ($d + "/revenue.bundle"), genesis: $g, outcome: "proven",
     fields: {"[data-field=asset]": $asset, "[data-field=payment_count]": $payments}},
    {name: "a fact changed", bundle: ($d + "/t-fact.bundle"), genesis: $g, outcome: "failed",
     reason: ["facts: the bundle states something its proofs do not prove", "first difference at facts.tx_hash"]},
    {name: "an amount changed", bundle: ($d + "/t-amount.bundle"), genesis: $g, outcome: "failed",
     reason: ["first difference at facts.transaction.call.args.amount"]},
    {name: "a Merkle path changed", bundle: ($d + "/t-path.bundle"), genesis: $g, outcome: "failed",
     reason: ["proof 1 of 1: transaction path (height " + $h + "): the transaction does not hash to the block'"'"'s signed_tx_root"]},
    {name: "a header changed", bundle: ($d + "/t-header.bundle"), genesis: $g, outcome: "failed",
     reason: ["proof 1 of 1: block certificate (height " + $h + "): commit certificate at height " + $h + " is for a different block"]},
    {name: "a header names another validator set", bundle: ($d + "/t-set.bundle"), genesis: $g, outcome: "failed",
     reason: ["proof 1 of 1: block (height " + $h + "): the header names validator set ", ", not the genesis file'"'"'s"]},
    {name: "a signature changed", bundle: ($d + "/t-signature.bundle"), genesis: $g, outcome: "failed",
     reason: ["proof 1 of 1: block certificate (height " + $h + "): commit certificate: bad signature from validator 0"]},
    {name: "the validator set changed", bundle: ($d + "/t-validators.bundle"), genesis: $g, outcome: "failed",
     reason: ["validator set: validator 0 is not the genesis file'"'"'s"]},
    {name: "a receipt changed", bundle: ($d + "/t-receipt.bundle"), genesis: $g, outcome: "failed",
     reason: ("proof 2 of " + $vproofs + ": receipt (height " + $vh2 + ")") | [.]},
    {name: "an anchor signature changed", bundle: ($d + "/t-anchor.bundle"), genesis: $g, outcome: "failed",
     reason: ["proof 1 of " + $vproofs + ": anchor certificate (height " + $ah1 + "): commit certificate: bad signature from validator 0"]},
    {name: "a partner amount changed", bundle: ($d + "/t-revenue.bundle"), genesis: $g, outcome: "failed",
     reason: ["first difference at facts.payments[0].parts[0].amount"]},
    {name: "another chain'"'"'s genesis", bundle: $txb, genesis: $other, outcome: "failed",
     reason: ["genesis: the bundle was made against genesis"]},
    {name: "not a bundle", bundle: $g, genesis: $g, outcome: "unreadable",
     reason: ["the file is not a ShareChain proof bundle"]}
  ] + $epochs[0] + $states[0])}' > "$DIR/checks.json" || die "cannot write the checks"

timeout 240 /usr/bin/python3 "$HERE/verify_page_check.py" "$DIR/checks.json" || die "the verify page does not verify as it must"
log "screenshot of a proven transaction: $SHOT"
log "passed"
