#!/usr/bin/env bash
# sharechain-bench --mode ordering, briefly:
# - 4 validators for 2 s on loopback order requests: exit 0, requests and blocks committed, no
#   halt, and the JSON carries the fields docs/benchmarks.md promises;
# - without --mode (the load generator) --keystore is still required, and an unknown mode is
#   refused.
set -euo pipefail
bench=$1
port=${BENCH_ORDERING_TEST_PORT:-29460}
command -v jq >/dev/null || { echo "FAIL: jq is needed to read the JSON"; exit 1; }

out=$("$bench" --mode ordering --validators 4 --duration 2 --base-port "$port" --json)
echo "$out"
[[ -n "$out" ]] || { echo "FAIL: no JSON printed"; exit 1; }
jq -e '.mode == "ordering" and .validators == 4 and .payload_bytes == 32
       and .committed > 0 and .blocks > 0 and .ops_per_s > 0 and .blocks_per_s > 0
       and (.latency_ms | has("p50") and has("p90") and has("p99") and has("max"))
       and .latency_ms.p50 > 0 and .latency_ms.max >= .latency_ms.p99
       and (has("halted") | not)' <<<"$out" >/dev/null ||
  { echo "FAIL: unexpected ordering result"; exit 1; }

if err=$("$bench" --duration 1 2>&1); then
  echo "FAIL: the load generator ran without --keystore"; exit 1
fi
grep -q -- "--keystore" <<<"$err" || { echo "FAIL: no mention of --keystore: $err"; exit 1; }
if "$bench" --mode nonsense >/dev/null 2>&1; then
  echo "FAIL: --mode nonsense was accepted"; exit 1
fi
echo PASS
