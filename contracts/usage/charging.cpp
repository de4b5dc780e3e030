#include "contracts/usage/charging.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "contracts/amounts.hpp"

namespace sharechain::contracts::usage {

namespace pb = ::sharechain::usage;

namespace {
__extension__ using U128 = unsigned __int128;
constexpr std::uint64_t kMinuteMs = 60'000;
}  // namespace

Checked<Charge> compute_charge(const std::vector<pb::ServiceItem>& items,
                               const std::vector<pb::Metered>& metered, pb::ChargingMode mode,
                               std::uint64_t limit, std::uint64_t elapsed_ms) {
  Charge out;
  const std::uint64_t started_minutes = elapsed_ms / kMinuteMs + (elapsed_ms % kMinuteMs ? 1 : 0);
  std::uint64_t energy_left = limit;  // BY_ENERGY only
  std::set<std::string> seen;
  for (const auto& m : metered) {
    auto it = std::find_if(items.begin(), items.end(),
                           [&](const pb::ServiceItem& i) { return i.id() == m.item_id(); });
    if (it == items.end()) {
      return Refusal::invalid("the meter reports item \"" + m.item_id() +
                              "\", which this session did not reserve");
    }
    if (!seen.insert(m.item_id()).second) {
      return Refusal::invalid("the meter reports item \"" + m.item_id() + "\" twice");
    }
    pb::ChargeLine line;
    line.set_item_id(it->id());
    line.set_equipment_type(it->equipment_type());
    line.set_basis(it->basis());
    std::uint64_t quantity = 0;
    std::uint64_t amount = 0;
    switch (it->basis()) {
      case pb::PER_MINUTE: {
        if (m.energy_wh() != 0) {
          return Refusal::invalid("item \"" + it->id() +
                                  "\" is charged per minute; report minutes, not energy");
        }
        if (m.minutes() > started_minutes) {
          return Refusal::invalid("the meter reports " + std::to_string(m.minutes()) +
                                  " minutes of \"" + it->id() + "\" but the session lasted " +
                                  std::to_string(started_minutes) + " started minutes");
        }
        quantity = m.minutes();
        if (mode == pb::BY_TIME && quantity > limit) {
          quantity = limit;
          out.capped = true;
        }
        auto a = checked_mul(it->price(), quantity);
        if (!a) return Refusal::range("the charge for \"" + it->id() + "\" overflows");
        amount = *a;
        break;
      }
      case pb::PER_KWH: {
        if (m.minutes() != 0) {
          return Refusal::invalid("item \"" + it->id() +
                                  "\" is charged per kWh; report energy, not minutes");
        }
        quantity = m.energy_wh();
        if (mode == pb::BY_ENERGY) {
          if (quantity > energy_left) {
            quantity = energy_left;
            out.capped = true;
          }
          energy_left -= quantity;
        }
        U128 a = static_cast<U128>(it->price()) * quantity / 1000;
        if (a > UINT64_MAX) return Refusal::range("the charge for \"" + it->id() + "\" overflows");
        amount = static_cast<std::uint64_t>(a);
        break;
      }
      case pb::FIXED:
        if (m.minutes() != 0 || m.energy_wh() != 0) {
          return Refusal::invalid("item \"" + it->id() +
                                  "\" has a fixed price; report it without minutes or energy");
        }
        quantity = 1;
        amount = it->price();
        break;
      default:
        return Refusal::invalid("item \"" + it->id() + "\" has no charging rule");
    }
    line.set_quantity(quantity);
    line.set_amount(amount);
    auto total = checked_add(out.total, amount);
    if (!total) return Refusal::range("the session's charge overflows");
    out.total = *total;
    out.lines.push_back(std::move(line));
  }
  if (mode == pb::BY_AMOUNT && out.total > limit) {
    out.total = limit;
    out.capped = true;
  }
  return out;
}

}  // namespace sharechain::contracts::usage
