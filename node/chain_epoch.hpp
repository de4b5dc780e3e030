// The validator sets the executed chain names (contracts/ledger/validator_set.hpp), as the node
// runs consensus and links to peers by them: the set in force with its epoch, and the changes
// waiting for their switch heights. Read from the store after every executed block, so every
// node switches at the same height: the one whose execution promotes the change.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/types.hpp"
#include "contracts/state.hpp"
#include "node/config.hpp"
#include "node/peer_network.hpp"
#include "sharechain/ledger.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::node {

struct ChainEpoch {
  std::uint64_t epoch = 0;
  std::uint64_t start = 0;  // the last height of the epoch before (0: genesis)
  std::vector<Validator> validators;  // in force, in index order
  std::vector<ledger::ValidatorChange> pending;  // executed, not in force; ascending switch height

  // The set as consensus knows it: keys in index order.
  std::vector<consensus::ValidatorInfo> infos() const;
  // Where this epoch ends: the first waiting change's switch height and next set's hash.
  std::optional<consensus::EpochEnd> end() const;
  // `public_key`'s index in the set in force.
  std::optional<std::uint32_t> index_of(const std::string& public_key) const;
  // Whether `public_key` is in the set in force or in a waiting one.
  bool holds(const std::string& public_key) const;
};

ChainEpoch read_chain_epoch(const contracts::StateReader& state);

// One epoch's set as certificates are checked against it; the node hands the current one to
// its fetch and backfill threads, and makes a new one at each switch.
struct EpochKeys {
  consensus::Config config;
  std::shared_ptr<consensus::Verifier> verifier;
};

// Whether the waiting changes of `state` differ from `known`'s (the cheap check made after
// every block: one key and one prefix scan), and the epoch in force.
struct EpochMarks {
  std::uint64_t epoch = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pending;  // (switch height, executed at)
  bool operator==(const EpochMarks&) const = default;
};
EpochMarks read_epoch_marks(const contracts::StateReader& state);
EpochMarks marks_of(const ChainEpoch& epoch);

// The nodes to link with in `epoch`: every key of the set in force (validating) and of the
// waiting sets, each at the address [p2p] peers gives it (by genesis index or by key) or else
// the peer_address the chain recorded. `genesis_keys` resolves index entries. A key with no
// address at all is listed with an empty one (it may connect, it is not dialled) and named in
// `unreachable`.
std::vector<PeerEntry> peer_entries(const ChainEpoch& epoch, const std::vector<PeerAddress>& configured,
                                    const std::vector<std::string>& genesis_keys,
                                    std::vector<std::string>* unreachable = nullptr);

}  // namespace sharechain::node
