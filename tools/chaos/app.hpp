// sharechain-chaos: the C++ half of scripts/chaos.sh (docs/chaos.md).
//   ledger   the acknowledgement ledger client (ledger.hpp)
//   check    the end-of-run checks (check.hpp)
//   heights  every node's height on one line
//   await    wait until nodes reach a height; prints the seconds it took
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sharechain::chaos {

// Parses `args` (without the program name) and runs the subcommand; returns the exit code.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace sharechain::chaos
