// Internal to storage/: the byte layout of a gap/ record in meta (fixed-width, big-endian):
// u64 high || high_hash || high_history || below_hash || below_history || below_root. The low
// end is the record's key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storage/history.hpp"

namespace sharechain::storage {

std::string encode_gap(const HistoryGap& gap);
std::optional<HistoryGap> decode_gap(std::uint64_t low, std::string_view raw);

}  // namespace sharechain::storage
