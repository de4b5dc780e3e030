#include "node/backfill.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "consensus/signing.hpp"

namespace sharechain::node {
namespace {

// Heights asked of one peer per call, and heights per store batch (one synced write each).
constexpr std::uint64_t kRangePerCall = 512;
constexpr std::size_t kEntriesPerBatch = 64;
// A peer that sent history that does not check out is not asked again for this long.
constexpr std::chrono::seconds kShunFor{30};
constexpr std::chrono::milliseconds kMaxPause{5000};

std::string range_text(std::uint64_t from, std::uint64_t to) {
  return from == to ? std::to_string(from) : std::to_string(from) + "–" + std::to_string(to);
}

}  // namespace

Backfill::Backfill(Deps deps)
    : deps_(std::move(deps)),
      filled_(deps_.metrics.counter("sharechain_backfilled_blocks_total",
                                    "Blocks (with receipts) fetched from peers to fill holes left "
                                    "by snapshot restores")),
      refused_(deps_.metrics.counter("sharechain_backfill_refused_total",
                                     "History ranges from peers refused because they did not "
                                     "check out")) {
  deps_.metrics.sampled("sharechain_history_missing_blocks",
                        "Heights whose blocks or receipts this node has not yet backfilled", [this] {
                          std::uint64_t missing = 0;
                          for (const auto& g : deps_.store.history_gaps()) missing += g.high - g.low + 1;
                          return static_cast<double>(missing);
                        });
}

Backfill::~Backfill() { stop(); }

void Backfill::start() {
  thread_ = std::thread([this] { run(); });
}

void Backfill::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Backfill::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Backfill::stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void Backfill::pause(std::chrono::milliseconds how_long) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, how_long, [this] { return stop_ || woken_; });
  woken_ = false;
}

bool Backfill::pace(std::chrono::steady_clock::time_point since, std::uint64_t done) {
  if (deps_.blocks_per_s == 0) return !stopping();
  const auto due = since + std::chrono::milliseconds(done * 1000 / deps_.blocks_per_s);
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, due, [this] { return stop_; });
  return !stop_;
}

void Backfill::run() {
  bool incomplete = false;
  std::chrono::milliseconds backoff{200};
  while (!stopping()) {
    const auto gaps = deps_.store.history_gaps();
    if (gaps.empty()) {
      incomplete = false;
      pause(std::chrono::seconds(10));
      continue;
    }
    const storage::HistoryGap& gap = gaps.front();
    if (!incomplete) {
      std::string holes;
      for (const auto& g : gaps) holes += (holes.empty() ? "" : ", ") + range_text(g.low, g.high);
      spdlog::info("history incomplete: backfilling heights {} from peers", holes);
      incomplete = true;
    }
    std::vector<std::uint32_t> peers;
    const auto now = std::chrono::steady_clock::now();
    for (const auto& link : deps_.network.status()) {
      auto shunned = shunned_until_.find(link.peer);
      if (!link.connected || (shunned != shunned_until_.end() && shunned->second > now)) continue;
      peers.push_back(link.peer);
    }
    std::uint64_t filled = 0;
    for (std::size_t i = 0; i < peers.size() && filled == 0 && !stopping(); ++i) {
      filled = fill_from(gap, peers[(next_peer_ + i) % peers.size()]);
    }
    ++next_peer_;  // spread the load over the peers
    if (filled > 0) {
      backoff = std::chrono::milliseconds(200);
    } else {
      spdlog::debug("backfill: no connected peer could serve heights below {}; retrying in {} ms",
                    gap.high + 1, backoff.count());
      pause(backoff);
      backoff = std::min(backoff * 2, kMaxPause);
    }
  }
}

std::uint64_t Backfill::fill_from(const storage::HistoryGap& gap, std::uint32_t peer) {
  const std::uint64_t from =
      gap.high - gap.low + 1 > kRangePerCall ? gap.high - kRangePerCall + 1 : gap.low;
  std::vector<storage::HistoryEntry> batch;
  std::uint64_t expect = gap.high;
  std::uint64_t filled = 0;
  std::string refusal;
  bool gone = false;  // the hole was filled or closed meanwhile
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t received = 0;

  const auto flush = [&]() -> bool {
    if (batch.empty()) return true;
    Status s = deps_.store.backfill(gap.low, batch);
    if (s) {
      filled += batch.size();
      batch.clear();
      return true;
    }
    if (s.code() == Code::kInternal) {
      deps_.halt("backfill: " + s.message());
    } else if (s.code() == Code::kNotFound) {
      gone = true;
    } else {
      refusal = s.message();
    }
    return false;
  };

  const std::shared_ptr<const EpochKeys> keys = deps_.epoch_keys();
  auto fetched = deps_.network.fetch_history(peer, from, gap.high, [&](storage::HistoryEntry e) {
    if (e.height != expect) {
      refusal = "sent height " + std::to_string(e.height) + " where " + std::to_string(expect) +
                " was next";
      return false;
    }
    // A block of an earlier epoch is certified by a set this node no longer holds; it is checked
    // by the hash chain alone (Store::backfill links each block to the certified one above it),
    // which is what a certificate would prove.
    BlockHeader header;
    if (!header.ParseFromString(e.block.header())) {
      refusal = "block " + std::to_string(e.height) + ": its header does not decode";
      return false;
    }
    if (header.epoch() >= keys->config.epoch) {
      if (Status s = consensus::verify_commit_certificate(keys->config, e.block, *keys->verifier); !s) {
        refusal = "block " + std::to_string(e.height) + ": " + s.message();
        return false;
      }
    }
    batch.push_back(std::move(e));
    --expect;
    if (deps_.blocks_per_s != 0 && !(flush() && pace(started, ++received))) return false;
    return batch.size() < kEntriesPerBatch || flush();
  });
  if (refusal.empty() && !gone) flush();
  if (!refusal.empty()) {
    refused_.Increment();
    shunned_until_[peer] = std::chrono::steady_clock::now() + kShunFor;
    spdlog::warn("backfill: history from peer {} does not check out ({}); asking other peers",
                 peer, refusal);
  } else if (!fetched) {
    spdlog::debug("backfill: validator {}: {}", peer, fetched.status().message());
  }
  if (filled > 0) {
    filled_.Increment(static_cast<double>(filled));
    const std::uint64_t low_filled = gap.high - filled + 1;
    const std::uint64_t left = low_filled - gap.low;
    spdlog::info("backfilled heights {} from validator {}{}", range_text(low_filled, gap.high), peer,
                 left == 0 ? "; that hole is closed"
                           : "; " + std::to_string(left) + " heights of this hole left");
    if (left == 0 && deps_.store.history_gaps().empty()) {
      spdlog::info("history complete: this node holds every block and receipt from 1 to {}",
                   deps_.store.height());
    }
  }
  return filled;
}

}  // namespace sharechain::node
