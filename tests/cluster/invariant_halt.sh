#!/usr/bin/env bash
# A node whose own execution breaks a money invariant stops before it stores, serves or signs
# anything built on that state (docs/invariants.md):
#  - four validators run sharechaind-mint-fault, a test-only daemon whose investor-distribution
#    hook credits 1,000 units from nowhere; the reference data server drives real activity
#  - every node halts at the same height, naming the invariant (supply), the height and the same
#    transaction; every process exits 1 with the reason; no node stored that block
#  - the same folders restarted with the real sharechaind: the certified block is executed again
#    with the chain's own rules and the chain goes on (a new payment commits above it); the
#    transaction named is committed at that height on every node, the nodes agree on every block
#    and state root, and `sharechain audit` over the whole history is clean — nothing of the
#    faulty execution survived
#  - the faulty build again on a new chain, with its check skipped (a test-only switch of that
#    binary): the nodes store the money from nowhere and `sharechain audit` (exit 1, JSON ok
#    false) names the supply invariant
# Bounded: up to 90 s of data-server activity until the fault fires, about 30 s of repair, then
# up to four 20 s data-server rounds for the audit phase.
source "$(dirname "$0")/lib.sh"

DS="$BUILD_DIR/tools/dataserver/sharechain-dataserver"
REAL_DAEMON=$DAEMON
DAEMON="$BUILD_DIR/tests/node/sharechaind-mint-fault"
[ -x "$DAEMON" ] || die "$DAEMON is not built"

init_cluster 4
start_cluster
for i in 0 1 2 3; do wait_for 20 "node $i to be synced" is_synced "$i"; done
nodes="$(api 0),$(api 1),$(api 2),$(api 3)"

log "driving the data server until a distribution to an investor mints from nowhere"
timeout 120 "$DS" --node "$nodes" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase" \
  --duration 90 --seed 13 --rate 4 --json > "$DIR/report.json" 2> "$DIR/dataserver.log" &
BACKGROUND_PIDS="$!"

alive() { kill -0 "$(pid_of "$1")" 2>/dev/null; }
none_alive() { for i in 0 1 2 3; do ! alive "$i" || return 1; done; }
wait_for 150 "every node to halt" none_alive
kill "$BACKGROUND_PIDS" 2>/dev/null || true
wait "$BACKGROUND_PIDS" 2>/dev/null || true

# "HALTING: money invariant broken, refusing to store block H: invariant supply violated at
#  height H, transaction I (HASH): ..."
halt_line() { grep -m1 "HALTING: money invariant broken" "$DIR/node$1/node.log" || true; }
ref=""
for i in 0 1 2 3; do
  line=$(halt_line "$i")
  [ -n "$line" ] || die "node $i stopped without naming a broken invariant: $(tail -n 3 "$DIR/node$i/node.log")"
  what=$(sed -E 's/.*refusing to store block ([0-9]+): invariant (supply) violated at height ([0-9]+), transaction ([0-9]+) \(([0-9a-f]{64})\).*/\1 \2 \3 \4 \5/' <<<"$line")
  read -r stored_h inv h idx hash <<<"$what"
  [ "$inv" = "supply" ] && [ "$stored_h" = "$h" ] || die "node $i: unexpected halt line: $line"
  grep -q "changed by +1000" <<<"$line" || die "node $i does not say by how much supply changed: $line"
  if [ -z "$ref" ]; then ref="$h $idx $hash"; elif [ "$ref" != "$h $idx $hash" ]; then
    die "node $i halted at '$h $idx $hash', another at '$ref'"
  fi
  grep -q "sharechaind: halted: money invariant broken" "$DIR/node$i/node.log" ||
    die "node $i did not exit with the reason"
done
read -r H IDX HASH <<<"$ref"
for i in 0 1 2 3; do
  grep -q "stopped at height $(( H - 1 ))$" "$DIR/node$i/node.log" ||
    die "node $i did not stop at height $(( H - 1 )): $(grep "stopped at height" "$DIR/node$i/node.log")"
done
log "all four halted at height $H, transaction $IDX ($HASH): invariant supply"

log "restarting the same folders with the real daemon"
DAEMON=$REAL_DAEMON
start_cluster
for i in 0 1 2 3; do wait_for 30 "node $i at height $H" height_at_least "$i" "$H"; done
# The chain goes on: a new payment commits above H on every node.
wallet 0 transfer --from user1 --to "$(address_of user2)" --amount 5 --wait --json > "$DIR/after.json" ||
  die "a transfer after the repair failed: $(cat "$DIR/after.json")"
after=$(jq -r .height "$DIR/after.json")
[ "$after" -gt "$H" ] || die "the transfer after the repair committed at $after, not above $H"
for i in 0 1 2 3; do wait_for 30 "node $i at height $after" height_at_least "$i" "$after"; done
for i in 0 1 2 3; do
  got=$(wallet "$i" tx "$HASH" --json | jq -r '"\(.status) \(.height)"')
  [ "$got" = "committed $H" ] || die "node $i: transaction $HASH is '$got', expected committed at $H"
done
top=$(height_of 0)
assert_same_chain "$top" 0 1 2 3
wallet 0 audit --to "$top" --json > "$DIR/audit.json" || { cat "$DIR/audit.json"; die "the audit of the repaired chain failed"; }
[ "$(jq -r .ok "$DIR/audit.json")" = "true" ] || die "audit: $(jq -c .violation "$DIR/audit.json")"
log "with the real daemon block $H executed cleanly; heights 1..$top agree and audit clean"

# 3. The same faulty build with the check skipped (test-only) stores the money from nowhere;
#    `sharechain audit` over that history must find it.
log "a new cluster of the faulty build with the check skipped, for the audit to find"
"$NET" stop --dir "$DIR" --grace 5 >/dev/null 2>&1 || true
find "$DIR" -mindepth 1 -delete
init_cluster 4
DAEMON="$BUILD_DIR/tests/node/sharechaind-mint-fault"
SC_MINT_FAULT_UNCHECKED=1 start_cluster
for i in 0 1 2 3; do wait_for 20 "node $i to be synced" is_synced "$i"; done
found=""
for round in 1 2 3 4; do
  timeout 60 "$DS" --node "$nodes" --keystore "$DIR/keystore" --passphrase-file "$DIR/passphrase"     --duration 20 --seed $(( 20 + round )) --rate 4 --json > "$DIR/report.json" 2> "$DIR/dataserver.log" || true
  rc=0
  wallet 0 --timeout 10 audit --json > "$DIR/bad-audit.json" 2> "$DIR/bad-audit.err" || rc=$?
  if [ "$rc" -eq 1 ]; then found=yes; break; fi
  [ "$rc" -eq 0 ] || die "the audit exited $rc: $(cat "$DIR/bad-audit.err")"
  log "round $round: no distribution to an investor yet (audit clean at height $(height_of 0))"
done
[ -n "$found" ] || die "the audit never found the money from nowhere"
for i in 0 1 2 3; do alive "$i" || die "node $i stopped although its check was skipped"; done
[ "$(jq -r .ok "$DIR/bad-audit.json")" = "false" ] || die "audit JSON says ok: $(cat "$DIR/bad-audit.json")"
[ "$(jq -r .violation.invariant "$DIR/bad-audit.json")" = "supply" ] ||
  die "the audit named $(jq -c .violation "$DIR/bad-audit.json"), not supply"
log "sharechain audit found it: $(jq -r .violation.message "$DIR/bad-audit.json" | head -c 200)"
log "PASSED"
