#include "tools/common/client.hpp"

#include <cstdlib>

namespace sharechain::tools {

std::string resolve_node_address(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  if (const char* env = std::getenv(std::string(kNodeEnv).c_str()); env != nullptr && *env != '\0') {
    return env;
  }
  return std::string(kDefaultNodeAddress);
}

Outcome<std::string> check_node_address(std::string_view address) {
  Result<std::string> checked = client::check_node_address(address);
  if (!checked) return Failure::usage(checked.status().message());
  return std::move(checked).value();
}

Outcome<std::vector<std::string>> parse_node_list(std::string_view text) {
  Result<std::vector<std::string>> nodes = client::parse_node_list(text);
  if (!nodes) return Failure::usage(nodes.status().message());
  return std::move(nodes).value();
}

}  // namespace sharechain::tools
