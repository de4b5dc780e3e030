#!/usr/bin/env bash
# Fails if an #include crosses the module dependency graph of docs/architecture.md:
#   proto <- consensus, contracts <- storage <- node <- tools
#   proto, contracts <- reports <- explorer (+ storage) <- node; reports <- tools
#   proto, consensus, reports <- proofs <- tools
#   proto <- client (the C++ client library) <- tools
#   tools see contracts only through contracts/client.hpp
# and if the pure modules (consensus, contracts) reach for I/O, clocks, threads or randomness.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root"
fail=0
check() {  # check DIR REGEX WHY
  local hits
  hits=$(grep -rnE "$2" "$1" --include='*.hpp' --include='*.cpp' --include='*.h' 2>/dev/null || true)
  if [ -n "$hits" ]; then
    echo "layering violation in $1/ ($3):"
    echo "$hits" | sed 's/^/  /'
    fail=1
  fi
}
pure_forbidden='#include *[<"](grpc|grpcpp|rocksdb|boost/asio|boost/beast|thread|chrono|random|mutex|future|condition_variable|filesystem|fstream|sys/|unistd|spdlog)'
check consensus "$pure_forbidden" "consensus is a pure state machine: no I/O, clocks, threads or randomness"
check contracts "$pure_forbidden" "contracts are pure and deterministic: no I/O, clocks, threads or randomness"
check consensus '#include *"(storage|node|tools|contracts)/' "consensus may depend only on proto"
check contracts '#include *"(storage|node|tools|consensus)/' "contracts may depend only on proto"
check storage '#include *"(node|tools|consensus)/' "storage may depend on proto and contracts only"
check proto '#include *"(storage|node|tools|consensus|contracts|client)/' "proto is the bottom layer"
check node '#include *"(tools|client)/' "node must not depend on tools or on the client library"
check client '#include *"(storage|node|tools|consensus|contracts|reports|proofs|explorer)/' "the client library depends on proto alone: what an integrator links needs nothing of the node"
# Tools are clients of the chain: of contracts/ they see only the public client header.
tool_hits=$(grep -rnE '#include *"contracts/' tools --include='*.hpp' --include='*.cpp' 2>/dev/null |
              grep -v '#include *"contracts/client.hpp"' || true)
if [ -n "$tool_hits" ]; then
  echo "layering violation in tools/ (tools include only contracts/client.hpp of contracts/):"
  echo "$tool_hits" | sed 's/^/  /'
  fail=1
fi
check reports '#include *"(storage|node|tools|consensus|explorer)/|#include *[<"](grpcpp|rocksdb|boost)' "reports renders what proto and contracts define; no store, no network"
check proofs '#include *"(storage|node|tools|contracts|explorer)/|#include *[<"](grpcpp|rocksdb|boost)' "proofs checks what proto, consensus and reports define; no store, no network"
check explorer '#include *"(node|tools|consensus)/|#include *[<"](grpcpp|boost/asio|boost/beast)' "explorer reads the store and answers requests the ops server hands it; no sockets"
decl='(^|[(,<[:space:]])(float|double)[[:space:]]+[A-Za-z_][A-Za-z_0-9]*[[:space:]]*[=;,)({]'
check contracts "$decl" "contracts use integer arithmetic only"
check consensus "$decl" "consensus uses integer arithmetic only"
if [ "$fail" -eq 0 ]; then echo "layering: ok"; fi
exit "$fail"
