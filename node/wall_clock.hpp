// The node's one reading of the wall clock: block timestamps it proposes, the time the consensus
// engine is told, admission's dry runs, the explorer's "now" and the sharechain_clock_seconds
// metric all come from here.
//
// For fault injection it can be stepped without touching the machine's clock: given an offset
// file ([debug] clock_offset_file), it adds the offset the file holds, re-read at most once a
// second. Only what the node reads through this class sees the step; timers and deadlines run on
// the steady clock and do not.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace sharechain::node {

// "+30s", "-12", "+0", "  45 s\n": a signed whole number of seconds, an optional 's'. nullopt for
// anything else (the caller keeps the offset it had).
std::optional<std::int64_t> parse_clock_offset(const std::string& text);

class WallClock {
 public:
  // Without a file, the system clock as it is.
  explicit WallClock(std::filesystem::path offset_file = {});

  // Milliseconds since the Unix epoch, offset applied (never below zero).
  std::uint64_t now_ms() const;
  // The offset in force, in milliseconds.
  std::int64_t offset_ms() const;

 private:
  void refresh(std::chrono::steady_clock::time_point now) const;

  std::filesystem::path file_;
  mutable std::mutex mu_;  // one re-read at a time
  mutable std::atomic<std::int64_t> offset_ms_{0};
  mutable std::atomic<std::int64_t> next_read_ns_{0};  // steady clock
  mutable std::string last_bad_;  // under mu_: contents already warned about
};

}  // namespace sharechain::node
