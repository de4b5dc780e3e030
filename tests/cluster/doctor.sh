#!/usr/bin/env bash
# `sharechain doctor` and the verdict of `sharechain-net status` on a live 4-node cluster:
#   healthy -> exit 0; one validator SIGSTOPped -> exit 1 naming it, with `kill -CONT PID`, also
#   through `--node` (found among the peers the node names); a second one -> the quorum is lost
#   and both are named as the nodes to bring back; SIGCONT both -> healthy again. Each doctor
#   run must finish within a few seconds even with nodes paused.
source "$(dirname "$0")/lib.sh"

# run_doctor ARGS...: sets DOCTOR_RC, DOCTOR_OUT (stdout) and DOCTOR_S (seconds taken).
run_doctor() {
  local start=$SECONDS
  DOCTOR_RC=0
  DOCTOR_OUT=$("$WALLET_BIN" doctor --sample-ms 500 "$@" 2>"$DIR/doctor.err") || DOCTOR_RC=$?
  DOCTOR_S=$(( SECONDS - start ))
  [ "$DOCTOR_S" -le 6 ] || die "doctor took ${DOCTOR_S}s: $*"
}
doctor_healthy() { "$WALLET_BIN" doctor --dir "$DIR" --sample-ms 300 >/dev/null 2>&1; }
# critical_for NODE: the critical findings that name NODE, as JSON lines.
critical_for() { jq -c --arg n "$1" '.findings[] | select(.severity == "critical" and (.nodes | index($n)))' <<<"$DOCTOR_OUT"; }

init_cluster 4
start_cluster
for i in 0 1 2 3; do wait_for 30 "node $i to be synced" is_synced "$i"; done
u2=$(address_of user2)
wallet 0 transfer --from user1 --to "$u2" --amount 1 --wait --json >/dev/null || die "first transfer failed"

log "healthy cluster"
wait_for 30 "doctor to call the fresh cluster healthy" doctor_healthy
run_doctor --dir "$DIR" --json
[ "$DOCTOR_RC" -eq 0 ] || die "doctor exit $DOCTOR_RC on a healthy cluster: $DOCTOR_OUT"
[ "$(jq -r .healthy <<<"$DOCTOR_OUT")" = true ] || die "healthy=false on a healthy cluster: $DOCTOR_OUT"
[ "$(jq '[.findings[] | select(.severity == "critical")] | length' <<<"$DOCTOR_OUT")" -eq 0 ] || die "critical findings: $DOCTOR_OUT"
jq -e '.findings[] | select(.check == "primary")' <<<"$DOCTOR_OUT" >/dev/null || die "no primary finding: $DOCTOR_OUT"
jq -r '.findings[] | select(.check == "primary") | .message' <<<"$DOCTOR_OUT" | grep -Eq 'in view [0-9]+ for [0-9]+ (s|min)' ||
  die "the primary finding does not say how long the view has lasted: $DOCTOR_OUT"
# Four nodes on one machine share its clock: they agree, and doctor says so.
jq -e '.findings[] | select(.check == "clock" and .severity == "ok")' <<<"$DOCTOR_OUT" >/dev/null ||
  die "no clock finding on a healthy cluster: $DOCTOR_OUT"
status=$("$NET" status --dir "$DIR" --json) || die "sharechain-net status failed"
[ "$(jq -r .verdict.healthy <<<"$status")" = true ] || die "status verdict not healthy: $(jq -c .verdict <<<"$status")"
"$NET" status --dir "$DIR" | grep -q '^verdict: healthy' || die "status prints no healthy verdict line"
run_doctor --node "$(api 1)"
[ "$DOCTOR_RC" -eq 0 ] || die "doctor --node exit $DOCTOR_RC on a healthy cluster: $DOCTOR_OUT"

pid2=$(pid_of 2)
pid3=$(pid_of 3)
log "SIGSTOP node2 (pid $pid2)"
kill -STOP "$pid2"
run_doctor --dir "$DIR" --json
[ "$DOCTOR_RC" -eq 1 ] || die "doctor exit $DOCTOR_RC with node2 paused: $DOCTOR_OUT"
[ -n "$(critical_for node2)" ] || die "no critical finding names node2: $DOCTOR_OUT"
critical_for node2 | grep -q "kill -CONT $pid2" || die "the fix for node2 is not kill -CONT $pid2: $(critical_for node2)"
jq -r .verdict <<<"$DOCTOR_OUT" | grep -q node2 || die "verdict does not name node2: $(jq -r .verdict <<<"$DOCTOR_OUT")"
[ -z "$(jq -c '.findings[] | select(.check == "quorum" and .severity == "critical")' <<<"$DOCTOR_OUT")" ] ||
  die "quorum reported lost with one node paused: $DOCTOR_OUT"
log "doctor named node2 in ${DOCTOR_S}s: $(jq -r .verdict <<<"$DOCTOR_OUT")"
# Through one node's address: node2 is found among node0's peers.
run_doctor --node "$(api 0)"
[ "$DOCTOR_RC" -eq 1 ] || die "doctor --node exit $DOCTOR_RC with node2 paused: $DOCTOR_OUT"
grep -q "validator 2" <<<"$DOCTOR_OUT" || grep -q "node2" <<<"$DOCTOR_OUT" || die "doctor --node does not name validator 2: $DOCTOR_OUT"

log "SIGSTOP node3 (pid $pid3)"
kill -STOP "$pid3"
run_doctor --dir "$DIR" --json
[ "$DOCTOR_RC" -eq 1 ] || die "doctor exit $DOCTOR_RC with two nodes paused: $DOCTOR_OUT"
quorum=$(jq -c '.findings[] | select(.check == "quorum" and .severity == "critical")' <<<"$DOCTOR_OUT")
[ -n "$quorum" ] || die "no lost-quorum finding with two of four paused: $DOCTOR_OUT"
for n in node2 node3; do
  jq -e --arg n "$n" '.nodes | index($n)' <<<"$quorum" >/dev/null || die "the quorum finding does not name $n: $quorum"
  jq -r .message <<<"$quorum" | grep -q "$n" || die "the quorum message does not name $n: $quorum"
done
jq -r .fix <<<"$quorum" | grep -q "kill -CONT $pid2 $pid3" || die "the quorum fix is not kill -CONT $pid2 $pid3: $quorum"
jq -r .verdict <<<"$DOCTOR_OUT" | grep -q "quorum lost" || die "verdict does not say the quorum is lost: $(jq -r .verdict <<<"$DOCTOR_OUT")"
log "doctor in ${DOCTOR_S}s: $(jq -r .verdict <<<"$DOCTOR_OUT")"
run_doctor --dir "$DIR"
[ "$DOCTOR_RC" -eq 1 ] || die "doctor (text) exit $DOCTOR_RC with two nodes paused"
grep -q '^verdict: unhealthy: quorum lost' <<<"$DOCTOR_OUT" || die "text verdict: $DOCTOR_OUT"
status=$("$NET" status --dir "$DIR" --json) || die "sharechain-net status failed with two nodes paused"
[ "$(jq -r .verdict.healthy <<<"$status")" = false ] || die "status verdict healthy with the quorum lost: $(jq -c .verdict <<<"$status")"
jq -r .verdict.verdict <<<"$status" | grep -q "quorum lost" || die "status verdict: $(jq -c .verdict <<<"$status")"

log "SIGCONT node2 and node3"
kill -CONT "$pid2" "$pid3"
wait_for 60 "doctor to call the cluster healthy again" doctor_healthy
run_doctor --dir "$DIR" --json
[ "$DOCTOR_RC" -eq 0 ] || die "doctor exit $DOCTOR_RC after SIGCONT: $DOCTOR_OUT"
wallet 2 transfer --from user1 --to "$u2" --amount 2 --wait --json >/dev/null || die "transfer after SIGCONT failed"
status=$("$NET" status --dir "$DIR" --json) || die "sharechain-net status failed"
[ "$(jq -r .verdict.healthy <<<"$status")" = true ] || die "status verdict after SIGCONT: $(jq -c .verdict <<<"$status")"
log "healthy again: $(jq -r .verdict <<<"$DOCTOR_OUT")"
