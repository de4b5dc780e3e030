// Building and opening consensus envelopes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "consensus/types.hpp"

namespace sharechain::consensus {

// Serializes `message` once and signs exactly those bytes as `validator` of `epoch`'s set.
Envelope seal(const Message& message, uint32_t validator, std::string_view chain_id,
              Signer& signer, uint64_t epoch = 0);

// Decodes an envelope's payload without checking its signature; nullopt if it does not decode
// or sets no kind.
std::optional<Message> decode(const Envelope& envelope);

// "pre-prepare", "prepare", "commit", "checkpoint", "view-change", "new-view", "committed" or
// "empty".
const char* kind_name(const Message& message);

// "commit view=3 height=17" for logs.
std::string summarize(const Message& message);

}  // namespace sharechain::consensus
