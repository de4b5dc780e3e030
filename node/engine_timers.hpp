// The consensus engine's timers on an Asio io_context, for every host that runs an engine on
// one (the daemon, the ordering benchmark).
//
// A timer re-armed or cancelled moves its generation on, so a wait that completes for an older
// arming (Asio may deliver it after cancel() raced with expiry) does nothing: the engine never
// hears a timer it no longer wants.
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it
#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "consensus/engine.hpp"

namespace sharechain::node {

class EngineTimers {
 public:
  explicit EngineTimers(boost::asio::io_context& io) : io_(io) {}

  // Arms (or re-arms) `t.id`; `fire` runs on the io_context when it expires unless re-armed or
  // cancelled first.
  void set(const consensus::SetTimer& t, std::function<void(consensus::TimerId)> fire) {
    Slot& slot = slots_[t.id];
    if (!slot.timer) slot.timer = std::make_unique<boost::asio::steady_timer>(io_);
    const std::uint64_t generation = ++slot.generation;
    slot.timer->expires_after(std::chrono::milliseconds(t.delay_ms));
    const consensus::TimerId id = t.id;
    slot.timer->async_wait([this, id, generation, fire = std::move(fire)](const boost::system::error_code& ec) {
      if (ec) return;
      auto it = slots_.find(id);
      if (it == slots_.end() || it->second.generation != generation) return;
      fire(id);
    });
  }
  void cancel(consensus::TimerId id) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    ++it->second.generation;
    it->second.timer->cancel();
  }
  void cancel_all() {
    for (auto& [id, slot] : slots_) {
      ++slot.generation;
      slot.timer->cancel();
    }
  }

 private:
  struct Slot {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::uint64_t generation = 0;
  };
  boost::asio::io_context& io_;
  std::map<consensus::TimerId, Slot> slots_;
};

}  // namespace sharechain::node
