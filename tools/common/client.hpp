// The command-line side of reaching a node: where the address comes from (--node, else
// SHARECHAIN_NODE, else the local default) and how a bad one is reported (a usage error, exit 2).
// The connection itself is the client library's (client/client.hpp); tools::Outcome turns its
// errors into exit codes: a node that cannot be reached exits 3 with "cannot reach the node at
// ADDR: ...", anything the node answers with an error exits 1 with the node's own message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "client/client.hpp"
#include "client/node.hpp"
#include "tools/common/outcome.hpp"

namespace sharechain::tools {

inline constexpr std::string_view kDefaultNodeAddress = "127.0.0.1:26600";
inline constexpr std::string_view kNodeEnv = "SHARECHAIN_NODE";

// `flag` if non-empty, else SHARECHAIN_NODE if set and non-empty, else the default.
std::string resolve_node_address(std::string_view flag);

// Checks HOST:PORT (host non-empty, port 1-65535; "[v6]:port" allowed). Usage error otherwise.
Outcome<std::string> check_node_address(std::string_view address);

// Splits a --node value: one HOST:PORT, or several separated by commas (tried in order, the
// first synced one preferred). Usage error for an empty list or a malformed address.
Outcome<std::vector<std::string>> parse_node_list(std::string_view text);

}  // namespace sharechain::tools
