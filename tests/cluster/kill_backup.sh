#!/usr/bin/env bash
# Kill one backup with SIGKILL under load: the chain keeps committing; restart it: it catches up
# (state transfer) and matches the others.
source "$(dirname "$0")/lib.sh"

init_cluster 4
start_cluster
u2=$(address_of user2)
load() {  # load NODE COUNT: sequential committed transfers from user1 through NODE
  for _ in $(seq 1 "$2"); do
    wallet "$1" transfer --from user1 --to "$u2" --amount 3 --wait --json >/dev/null || die "transfer via node $1 failed"
  done
}
load 0 5
victim=3
kill -KILL "$(pid_of $victim)"
log "killed node $victim"
before=$(height_of 0)
load 1 10
after=$(height_of 0)
[ "$after" -gt "$before" ] || die "no progress without node $victim"
log "committed $(( after - before )) more blocks without node $victim"
start_cluster
wait_for 60 "node $victim to catch up to $after" height_at_least "$victim" "$after"
assert_same_chain "$after" 0 1 2 "$victim"
load "$victim" 2
log "restarted backup caught up and accepts transactions"
