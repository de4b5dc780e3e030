// The deterministic chain the crash tests commit: the child process that gets killed and the
// test that checks what survived both derive every block and write set from its height alone.
#pragma once

#include "store_test_util.hpp"

namespace storage_test::crash {

inline const std::string kGenesisName = "crash";

inline std::map<std::string, std::string> genesis_state() {
  std::map<std::string, std::string> s;
  for (int i = 0; i < 64; ++i) s["acct/" + std::to_string(100 + i)] = "genesis";
  return s;
}

inline sharechain::contracts::WriteSet genesis_writes() {
  sharechain::contracts::WriteSet w;
  for (const auto& [k, v] : genesis_state()) w.emplace(k, v);
  return w;
}

// Twenty writes per block across the key space, two deletes and a height marker, with values
// big enough (~300 bytes) that a block's batch spans several pages of the WAL: a torn write would
// leave some keys of a block without the others.
inline sharechain::contracts::WriteSet writes_for(std::uint64_t h) {
  sharechain::contracts::WriteSet w;
  for (std::uint64_t j = 0; j < 20; ++j) {
    w["acct/" + std::to_string(100 + (h * 17 + j * 5) % 97)] =
        "h" + std::to_string(h) + "/" + std::to_string(j) + std::string(300, 'x');
  }
  w["acct/" + std::to_string(100 + (h * 29) % 97)] = std::nullopt;
  w["acct/" + std::to_string(100 + (h * 31 + 7) % 97)] = std::nullopt;
  w["height"] = std::to_string(h);
  return w;
}

inline BuiltBlock block_for(std::uint64_t h, const crypto::Hash& prev) {
  return make_block(h, prev, 1000 + h, static_cast<int>(h % 4));
}

// The chain computed without a store: state, roots and block hashes up to some height.
class Reference {
 public:
  Reference() : state_(genesis_state()) {
    roots_.push_back(root_of(state_));
    hashes_.push_back(crypto::Hash{});
  }
  void advance_to(std::uint64_t h) {
    while (height() < h) {
      const std::uint64_t next = height() + 1;
      const BuiltBlock b = block_for(next, hashes_.back());
      hashes_.push_back(b.hash);
      apply_block(state_, next, writes_for(next), b.receipts);
      roots_.push_back(root_of(state_));
    }
  }
  std::uint64_t height() const { return roots_.size() - 1; }
  const std::map<std::string, std::string>& state() const { return state_; }
  const crypto::Hash& root(std::uint64_t h) const { return roots_.at(h); }
  const crypto::Hash& hash(std::uint64_t h) const { return hashes_.at(h); }

 private:
  std::map<std::string, std::string> state_;
  std::vector<crypto::Hash> roots_;
  std::vector<crypto::Hash> hashes_;
};

}  // namespace storage_test::crash
