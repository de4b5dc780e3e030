#!/usr/bin/env bash
# [debug] trace_inputs on one node of four: a few committed transfers, SIGTERM, then
# `sharechain-sim --replay` runs the engine again on that node's trace and must take exactly the
# decisions the node took ("identical", exit 0).
source "$(dirname "$0")/lib.sh"
SIM="$BUILD_DIR/tools/sim/sharechain-sim"

init_cluster 4
traced=1
printf '\n[debug]\ntrace_inputs = true\n' >>"$DIR/node$traced/config.toml"
start_cluster
grep -q "tracing consensus inputs to" "$DIR/node$traced/node.log" || die "node $traced does not say it traces"

u2=$(address_of user2)
for i in 0 1 2 1 3 1; do
  wallet "$i" transfer --from user1 --to "$u2" --amount 3 --wait --json >/dev/null || die "transfer via node $i failed"
done
height=$(height_of "$traced")
log "6 transfers committed; node $traced at height $height"

pid=$(pid_of "$traced")
kill -TERM "$pid"
end=$(( $(date +%s) + 20 ))
while kill -0 "$pid" 2>/dev/null; do
  [ "$(date +%s)" -lt "$end" ] || die "node $traced did not stop within 20 s of SIGTERM"
  sleep 0.2
done
trace="$DIR/node$traced/data/consensus-trace.bin"
[ -s "$trace" ] || die "no trace at $trace"
log "node $traced stopped; trace $(stat -c %s "$trace") bytes"

if out=$("$SIM" --replay "$trace"); then rc=0; else rc=$?; fi
log "$out"
[ "$rc" -eq 0 ] || die "replay exited $rc"
case "$out" in *": identical") ;; *) die "replay did not report identical" ;; esac

json=$("$SIM" --replay "$trace" --json) || die "replay --json failed"
inputs=$(jq -r .inputs <<<"$json")
committed=$(jq -r .committed_height <<<"$json")
[ "$(jq -r .identical <<<"$json")" = true ] || die "--json: not identical"
[ "$inputs" -gt 0 ] || die "--json: no inputs replayed"
[ "$committed" -ge "$height" ] || die "replayed engine committed $committed, the node was at $height"
log "replayed $inputs inputs identically up to committed height $committed"
