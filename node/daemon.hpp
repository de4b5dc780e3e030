// The validator daemon's whole life: options, config, logging, signals, the node, its exit code.
// sharechaind runs it with the default execution seams; a test-only daemon runs it with a faulty
// contract hook (tests/node/mint_fault_daemon.cpp) to show what a node does when its own
// execution breaks a money invariant.
#pragma once

#include "node/chain.hpp"

namespace sharechain::node {

// Exit code: 0 after a clean stop (SIGTERM, SIGINT), 1 on a bad option or config, or a halt.
int run_daemon(int argc, char** argv, const ExecutionSeams& seams = {});

}  // namespace sharechain::node
