#!/usr/bin/env bash
# A node started with the wrong genesis is refused with a clear message; one with a key that is
# not a validator runs only as a follower, and its peers refuse its key on the wire, saying why.
source "$(dirname "$0")/lib.sh"

init_cluster 4
start_cluster

# 1. A key that is not in genesis: sharechaind starts as a follower (it votes on nothing and
# takes no transactions), and every validator refuses its key with the reason.
cp -r "$DIR/node3" "$DIR/intruder"
cat > "$DIR/intruder/node_key.json" <<KEY
{"secret_key": "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"}
KEY
chmod 600 "$DIR/intruder/node_key.json"
sed -i "s/$(( BASE_PORT + 30 ))/$(( BASE_PORT + 40 ))/; s/$(( BASE_PORT + 31 ))/$(( BASE_PORT + 41 ))/; s/$(( BASE_PORT + 32 ))/$(( BASE_PORT + 42 ))/" "$DIR/intruder/config.toml"
rm -rf "$DIR/intruder/data"
"$DAEMON" --config "$DIR/intruder/config.toml" > "$DIR/intruder/node.log" 2>&1 &
intruder=$!
BACKGROUND_PIDS="$intruder"
wait_for 20 "the intruder to say it only follows" grep -q "is not in the validator set of epoch 0" "$DIR/intruder/node.log"
wait_for 20 "a validator to refuse the intruder's key" grep -q "refused this node: public key .* is not a validator of this chain" \
  "$DIR/intruder/node.log"
log "non-validator key refused: $(grep -o 'refused this node: public key.*' "$DIR/intruder/node.log" | head -1 | cut -c1-160)"
kill "$intruder"; wait "$intruder" 2>/dev/null || true
BACKGROUND_PIDS=""

# 2. A genesis that differs from the one in the data directory: refused at start.
"$NET" stop --dir "$DIR" >/dev/null
# (jq edits the JSON whatever its layout; the genesis time may be written as number or string.)
set_genesis_time() { jq --argjson t "$2" '.genesis_time_ms = $t' "$1" > "$1.new" && mv "$1.new" "$1"; }
set_genesis_time "$DIR/genesis.json" 1
if out=$(timeout 20 "$DAEMON" --config "$DIR/node0/config.toml" 2>&1); then die "a changed genesis started"; fi
grep -qi "different genesis" <<<"$out" || die "unclear refusal for a changed genesis: $out"
log "changed genesis refused: $(grep -io 'different genesis.*' <<<"$out" | head -c 100)"

# 2b. The state commitment is the chain's: a genesis naming the other one cannot open the data
# directory (whatever else matches), and one naming an unknown one stops the node at start.
cp "$DIR/genesis.json" "$DIR/genesis.changed.json"
set_commitment() { jq --arg c "$2" '.state_commitment = $c' "$DIR/genesis.changed.json" > "$1"; }
set_commitment "$DIR/genesis.json" lthash16-shake128
if out=$(timeout 20 "$DAEMON" --config "$DIR/node0/config.toml" 2>&1); then die "a genesis with another state commitment started"; fi
grep -q "state commitment is lthash16-aes256ctr, but it was opened for lthash16-shake128" <<<"$out" ||
  die "unclear refusal for another state commitment: $out"
set_commitment "$DIR/genesis.json" lthash16-blake3
if out=$(timeout 20 "$DAEMON" --config "$DIR/node0/config.toml" 2>&1); then die "an unknown state commitment started"; fi
grep -q 'state_commitment "lthash16-blake3" is not one this build knows (lthash16-shake128, lthash16-aes256ctr)' <<<"$out" ||
  die "unclear refusal for an unknown state commitment: $out"
log "state commitment of another chain and an unknown one refused at start"
mv "$DIR/genesis.changed.json" "$DIR/genesis.json"

# 3. Peers of another genesis are refused on the wire with both hashes named.
rm -rf "$DIR"/node*/data
mkdir -p "$DIR/node0/data" "$DIR/node1/data" "$DIR/node2/data" "$DIR/node3/data"
cp "$DIR/genesis.json" "$DIR/genesis.other.json"
set_genesis_time "$DIR/genesis.other.json" 2
sed -i 's#genesis_file = "../genesis.json"#genesis_file = "../genesis.other.json"#' "$DIR/node3/config.toml"
start_cluster
wait_for 20 "node 0 to log the refused peer" grep -q "genesis mismatch" "$DIR/node3/node.log"
log "peer with another genesis refused on the wire"
