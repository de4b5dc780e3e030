// The `sharechain` wallet as a function: parses `args` (without the program name), runs the
// chosen command and returns its exit code. Results go to `out`, messages and prompts to `err`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sharechain::wallet {

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace sharechain::wallet
