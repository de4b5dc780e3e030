#include "node/wall_clock.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <iterator>

namespace sharechain::node {

std::optional<std::int64_t> parse_clock_offset(const std::string& text) {
  std::size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  std::string s = text.substr(b, e - b);
  if (!s.empty() && s.back() == 's') {
    s.pop_back();
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  }
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.erase(0, 1);
  }
  if (s.empty() || s.size() > 12 || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;  // beyond 30,000 years is a typo
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return negative ? -v : v;
}

WallClock::WallClock(std::filesystem::path offset_file) : file_(std::move(offset_file)) {
  if (!file_.empty()) refresh(std::chrono::steady_clock::now());
}

void WallClock::refresh(std::chrono::steady_clock::time_point now) const {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another thread is reading it; its result will do
  const std::int64_t now_ns = now.time_since_epoch().count();
  if (now_ns < next_read_ns_.load(std::memory_order_relaxed)) return;
  next_read_ns_.store(now_ns + std::chrono::nanoseconds(std::chrono::seconds(1)).count(),
                      std::memory_order_relaxed);
  std::ifstream in(file_);
  if (!in) {
    // A missing file is no offset: fault injection writes it when it wants one.
    if (offset_ms_.exchange(0, std::memory_order_relaxed) != 0) {
      spdlog::warn("wall clock offset now 0 s ({} is gone)", file_.string());
    }
    return;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto seconds = parse_clock_offset(text);
  if (!seconds) {
    if (text != last_bad_) {
      spdlog::warn("clock offset file {} holds '{}', not a whole number of seconds such as +30s "
                   "or -12; keeping the offset {} ms",
                   file_.string(), text.substr(0, 40), offset_ms_.load());
      last_bad_ = text;
    }
    return;
  }
  last_bad_.clear();
  const std::int64_t ms = *seconds * 1000;
  if (ms != offset_ms_.load(std::memory_order_relaxed)) {
    spdlog::warn("wall clock offset now {} s (from {}; [debug] clock_offset_file)", *seconds,
                 file_.string());
  }
  offset_ms_.store(ms, std::memory_order_relaxed);
}

std::int64_t WallClock::offset_ms() const {
  if (!file_.empty()) {
    const auto now = std::chrono::steady_clock::now();
    if (now.time_since_epoch().count() >= next_read_ns_.load(std::memory_order_relaxed)) refresh(now);
  }
  return offset_ms_.load(std::memory_order_relaxed);
}

std::uint64_t WallClock::now_ms() const {
  const auto system_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::int64_t v = static_cast<std::int64_t>(system_ms) + offset_ms();
  return v < 0 ? 0 : static_cast<std::uint64_t>(v);
}

}  // namespace sharechain::node
