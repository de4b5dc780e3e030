// What SubscribeEvents streams, as pure functions of a committed block: which events pass a
// filter, and where each one sits in the chain's sequence of events (its cursor).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "proto/status.hpp"
#include "sharechain/api.pb.h"

namespace sharechain::node {

class EventFilter {
 public:
  // INVALID_ARGUMENT for an unknown contract, an address that is not 20 bytes, an empty id, or
  // more than kMaxEntries entries in a list.
  static Result<EventFilter> compile(const api::EventFilter& filter);
  static constexpr int kMaxEntries = 256;

  bool passes(const Event& event, std::string_view sender) const;

 private:
  std::set<std::string, std::less<>> contracts_;
  std::set<std::string, std::less<>> names_;
  std::set<std::string, std::less<>> accounts_;    // raw 20 bytes
  std::vector<std::string> account_texts_;         // as contracts write them in attributes
  std::vector<std::string> object_texts_;          // hex, as contracts write ids
};

// The events of `block` at positions `from_index` and after that pass `filter`, in order, with
// `next` = the start of the following block.
api::EventBatch events_of(const api::BlockInfo& block, std::uint32_t from_index, const EventFilter& filter);

}  // namespace sharechain::node
