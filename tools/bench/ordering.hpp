// `sharechain-bench --mode ordering`: ordering alone, for comparison with other BFT libraries'
// published microbenchmarks. One process runs N validators, each a real consensus::Engine with
// real BIP340 keys behind a real node::PeerNetwork on loopback, its actions carried out by
// consensus::perform(). Requests are tiny unsigned dummy payloads; nothing is executed (every
// proposal is accepted, every delivered block "executes" at once to a constant state root) and
// nothing is stored (Persist stays in memory). What is left is the protocol, its signatures and
// the network: ops/s and latency from submission to delivery.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sharechain::bench {

// The benchmark's mode, from `--mode` alone (every other argument is left for the mode's own
// parser): "load" (the default, the load generator against a running cluster) or "ordering".
// Exits with a usage error for any other value.
std::string parse_mode(int argc, char** argv);

// Runs `--mode ordering` with its own options; returns the process exit code (0 when requests
// committed and no validator halted).
int ordering_main(int argc, char** argv);

}  // namespace sharechain::bench
