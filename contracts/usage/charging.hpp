// The charge of a session, computed from its service items' charging rules and the meter.
//
//   PER_MINUTE  price x minutes          (BY_TIME caps each item's minutes at the limit)
//   PER_KWH     price x Wh / 1000, down  (BY_ENERGY caps the session's energy at the limit,
//                                         taken by the items in metering order)
//   FIXED       price, once if metered
// A BY_AMOUNT session's total is capped at its limit. Metered minutes cannot exceed the
// session's duration in started minutes. All arithmetic is checked.
#pragma once

#include <cstdint>
#include <vector>

#include "contracts/outcome.hpp"
#include "sharechain/usage.pb.h"

namespace sharechain::contracts::usage {

struct Charge {
  std::vector<::sharechain::usage::ChargeLine> lines;
  std::uint64_t total = 0;
  bool capped = false;  // the agreed limit stopped the session
};

Checked<Charge> compute_charge(const std::vector<::sharechain::usage::ServiceItem>& items,
                               const std::vector<::sharechain::usage::Metered>& metered,
                               ::sharechain::usage::ChargingMode mode, std::uint64_t limit,
                               std::uint64_t elapsed_ms);

}  // namespace sharechain::contracts::usage
