#!/usr/bin/env bash
# Validators talking over mutual TLS with certificates made by `sharechain-net init --tls`
# commit transfers; their operations ports follow into HTTPS, which `sharechain doctor` and
# `sharechain-net status` read with the cluster's CA while plain HTTP is told to use HTTPS; a
# node whose certificate was not issued by the cluster's CA is not let in.
source "$(dirname "$0")/lib.sh"

init_cluster 4 --tls
grep -q '^tls = true' "$DIR/node0/config.toml" || die "init --tls did not turn TLS on"
start_cluster
u2=$(address_of user2)
for node in 0 1 2 3; do
  out=$(wallet "$node" transfer --from user1 --to "$u2" --amount 7 --wait --json) || die "transfer via node $node failed"
  [ "$(jq -r .status <<<"$out")" = "committed" ] || die "transfer via node $node: $out"
done
top=$(height_of 0)
for i in 1 2 3; do wait_for 20 "node $i to reach height $top" height_at_least "$i" "$top"; done
assert_same_chain "$top" 0 1 2 3
log "4 transfers committed over TLS"

# The operations ports speak HTTPS: plain HTTP gets a 400 that says so.
reply=$(http_get "$(ops_port 0)" /healthz) || die "no answer on node 0's operations port"
[ "${reply%% *}" = 400 ] || die "plain HTTP on a TLS operations port answered: $reply"
grep -q "serves HTTPS only" <<<"$reply" || die "the 400 does not say HTTPS: $reply"
status=$("$NET" status --dir "$DIR" --json) || die "sharechain-net status failed"
url=$(jq -r '.nodes[0].explorer_url' <<<"$status")
[ "$url" = "https://127.0.0.1:$(ops_port 0)/explorer/" ] || die "explorer_url is $url"
# doctor reads every node's metrics over HTTPS (their clocks come only from /metrics).
doctor=$("$WALLET_BIN" doctor --dir "$DIR" --sample-ms 300 --json) || die "doctor --dir over TLS: $doctor"
jq -e '.findings[] | select(.check == "clock" and .severity == "ok")' <<<"$doctor" >/dev/null ||
  die "doctor --dir read no clocks over HTTPS: $doctor"
! jq -e '.findings[] | select(.check == "ops")' <<<"$doctor" >/dev/null || die "doctor --dir: $doctor"
# Given only a node's address, doctor needs the CA, and says so.
doctor=$("$WALLET_BIN" doctor --node "$(api 0)" --sample-ms 300 --json) || true
jq -r '.findings[] | select(.check == "ops") | .message' <<<"$doctor" | grep -q -- "--tls-ca" ||
  die "doctor --node without the CA does not name --tls-ca: $doctor"
doctor=$("$WALLET_BIN" doctor --node "$(api 0)" --tls-ca "$DIR/tls/ca.pem" --sample-ms 300 --json) ||
  die "doctor --node --tls-ca: $doctor"
! jq -e '.findings[] | select(.check == "ops")' <<<"$doctor" >/dev/null || die "doctor --node --tls-ca: $doctor"
log "operations ports over HTTPS: read with the CA, plain HTTP told to use HTTPS"

# Replace node 3's certificate with one from a stranger CA: its peers refuse the handshake.
"$NET" stop --dir "$DIR" >/dev/null
key=$(sed -n 's/^tls_key = "\(.*\)"/\1/p' "$DIR/node3/config.toml")
cert=$(sed -n 's/^tls_cert = "\(.*\)"/\1/p' "$DIR/node3/config.toml")
( cd "$DIR/node3" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj "/CN=stranger" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$key" -out "$cert" 2>/dev/null ) || die "could not make a stranger certificate"
start_cluster
before=$(height_of 0)
for amount in 7 8; do
  wallet 0 transfer --from user1 --to "$u2" --amount "$amount" --wait --json >/dev/null || die "3 honest nodes stopped committing"
done
top=$(height_of 0)
for i in 1 2; do wait_for 20 "node $i to reach height $top" height_at_least "$i" "$top"; done
# Long enough for a node that was let in to fetch the two blocks (peers link within a second).
sleep 3
h3=$(height_of 3)
[ "$h3" -le "$before" ] || die "node 3 with a stranger certificate still follows the chain ($h3 > $before)"
connected=$(wallet 3 status --json | jq '[.peers[] | select(.connected)] | length')
[ "$connected" -eq 0 ] || die "node 3 with a stranger certificate has $connected connected peers"
log "node with a certificate from another CA is kept out; the other three commit"
