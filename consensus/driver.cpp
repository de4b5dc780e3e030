#include "consensus/driver.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>

namespace sharechain::consensus {
namespace {

// A key among both the puts and the deletes of one Persist would be written and then deleted
// (deletes apply after puts): a record the engine just meant to keep would silently vanish.
// The engine never does this; the driver refuses it so no host ever writes such a batch.
std::optional<std::string> key_put_and_deleted(const Persist& p) {
  if (p.puts.empty() || p.deletes.empty()) return std::nullopt;
  const std::unordered_set<std::string_view> deleted(p.deletes.begin(), p.deletes.end());
  for (const auto& [key, value] : p.puts) {
    if (deleted.contains(key)) return key;
  }
  return std::nullopt;
}

// False when the host must stop: only a failed Persist says so here; a host that halts for
// any other reason reports it through halted().
bool perform_one(Host& host, const Action& action, Actions& follow_up) {
  return std::visit(
      [&](const auto& a) {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, Send>) {
          host.do_send(a);
        } else if constexpr (std::is_same_v<A, Broadcast>) {
          host.do_broadcast(a);
        } else if constexpr (std::is_same_v<A, SetTimer>) {
          host.do_set_timer(a);
        } else if constexpr (std::is_same_v<A, CancelTimer>) {
          host.do_cancel_timer(a);
        } else if constexpr (std::is_same_v<A, Persist>) {
          if (const auto key = key_put_and_deleted(a)) {
            host.do_halt(Halt{"the engine asked to write and delete consensus record '" + *key +
                              "' in one Persist; nothing of it was written"});
            return false;
          }
          if (Status s = host.do_persist(a); !s) {
            host.do_halt(Halt{"cannot persist consensus state: " + s.to_string()});
            return false;
          }
        } else if constexpr (std::is_same_v<A, Deliver>) {
          host.do_deliver(a, follow_up);
        } else if constexpr (std::is_same_v<A, FetchBlocks>) {
          host.do_fetch(a);
        } else if constexpr (std::is_same_v<A, Evidence>) {
          host.do_evidence(a);
        } else if constexpr (std::is_same_v<A, Halt>) {
          host.do_halt(a);
        } else {
          static_assert(!sizeof(A), "every action kind needs its Host method");
        }
        return true;
      },
      action);
}

}  // namespace

bool perform(Host& host, Actions actions) {
  // Follow-ups wait for the rest of the list: the engine ordered that list as one transition,
  // and its answer to an executed block belongs to a later one.
  while (!actions.empty()) {
    Actions follow_up;
    for (const Action& action : actions) {
      if (host.halted()) return false;
      host.before_action(action);
      if (host.halted()) return false;
      if (!perform_one(host, action, follow_up)) return false;
    }
    actions = std::move(follow_up);
  }
  return true;
}

}  // namespace sharechain::consensus
