// `sharechain-net` as a function: parses `args` (without the program name), runs the command and
// returns its exit code (0 ok, 1 failed, 2 usage, 3 a node could not be reached). Results go to
// `out`, messages to `err`, so tests can run it in-process.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sharechain::net {

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace sharechain::net
