// Reading what a transaction did from its receipt, for the tools that act on the answer (the
// wallet's governance commands, the data server's flows).
#pragma once

#include <string>
#include <string_view>

#include "sharechain/types.pb.h"

namespace sharechain::tools {

// Attribute `key` of the first event `name` of `contract` in a receipt; "" when there is no such
// event or it has no such attribute.
std::string event_attr(const Receipt& r, std::string_view contract, std::string_view name,
                       std::string_view key);
bool has_event(const Receipt& r, std::string_view contract, std::string_view name);

}  // namespace sharechain::tools
