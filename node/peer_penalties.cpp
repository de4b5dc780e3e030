#include "node/peer_penalties.hpp"

#include <algorithm>

namespace sharechain::node {

std::uint64_t PeerPenalties::penalize(std::uint32_t validator, std::uint64_t now_ms,
                                      std::string reason) {
  Record& r = records_[validator];
  if (now_ms < r.banned_until_ms) return r.banned_until_ms - now_ms;
  const bool forgiven = r.last_ban_ms == 0 || now_ms >= r.banned_until_ms + policy_.forgive_ms;
  const std::uint64_t ban =
      forgiven ? policy_.first_ms : std::min(policy_.max_ms, r.last_ban_ms * 2);
  r.last_ban_ms = ban;
  r.banned_until_ms = now_ms + ban;
  r.reason = std::move(reason);
  return ban;
}

std::optional<std::uint64_t> PeerPenalties::banned_for(std::uint32_t validator,
                                                       std::uint64_t now_ms) const {
  auto it = records_.find(validator);
  if (it == records_.end() || now_ms >= it->second.banned_until_ms) return std::nullopt;
  return it->second.banned_until_ms - now_ms;
}

const std::string& PeerPenalties::reason(std::uint32_t validator) const {
  static const std::string kNone;
  auto it = records_.find(validator);
  return it == records_.end() ? kNone : it->second.reason;
}

}  // namespace sharechain::node
