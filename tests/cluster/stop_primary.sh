#!/usr/bin/env bash
# SIGSTOP the primary under load: a view change happens and commits resume; SIGCONT it: it
# rejoins in the new view and follows the chain.
source "$(dirname "$0")/lib.sh"

init_cluster 4
start_cluster
u2=$(address_of user2)
wallet 1 transfer --from user1 --to "$u2" --amount 1 --wait --json >/dev/null || die "first transfer failed"
view0=$(view_of 1)
primary=$(wallet 1 status --json | jq -r '.primary // 0')
log "primary is node $primary in view $view0"
kill -STOP "$(pid_of "$primary")"
other=$(( (primary + 1) % 4 ))
start=$(date +%s)
out=$(wallet "$other" transfer --from user1 --to "$u2" --amount 2 --wait --json) || die "no commit after stopping the primary"
[ "$(jq -r .status <<<"$out")" = "committed" ] || die "transfer not committed: $out"
view1=$(view_of "$other")
[ "$view1" -gt "$view0" ] || die "view did not change ($view0 -> $view1)"
log "view $view0 -> $view1; commit resumed after $(( $(date +%s) - start )) s"
kill -CONT "$(pid_of "$primary")"
wallet "$other" transfer --from user1 --to "$u2" --amount 3 --wait --json >/dev/null || die "transfer after SIGCONT failed"
top=$(height_of "$other")
wait_for 60 "old primary to catch up to $top" height_at_least "$primary" "$top"
wait_for 30 "old primary to join view $view1" bash -c "[ \"\$($WALLET_BIN --keystore $DIR/keystore --passphrase-file $DIR/passphrase --node $(api "$primary") status --json | jq -r .view)\" -ge $view1 ]"
assert_same_chain "$top" 0 1 2 3
