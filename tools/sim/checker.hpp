// The invariants of a simulated run, checked as each event happens:
//  - agreement: no two replicas store different blocks at one height;
//  - validity: every stored block was proposed on the wire, holds only submitted transactions,
//    chains onto its parent, and carries a commit certificate that verifies; a block proposed by
//    an honest validator repeats no transaction already in the chain it extends;
//  - honest validators never contradict themselves (two proposals, PREPAREs, COMMITs or
//    CHECKPOINTs for one slot), across crashes and restarts: what their engines persisted must
//    be enough to keep them consistent;
//  - evidence names only Byzantine validators, and so does every rejection classed as provable
//    misbehaviour (the last one of each input is checked); no replica halts.
// Liveness is checked by the simulator, which knows the clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include "consensus/rejection.hpp"
#include "consensus/types.hpp"

namespace sharechain::sim {

class Checker {
 public:
  Checker(consensus::Config config, consensus::Verifier& verifier, std::set<uint32_t> byzantine);

  void on_submitted(const crypto::Hash& tx) { submitted_.insert(tx); }
  // Any envelope any validator put on the wire (after Byzantine rewriting), with its decoded
  // payload (nullopt if it does not decode).
  void on_wire(const consensus::Envelope& envelope, const std::optional<consensus::Message>& m);
  // A message an honest validator's engine asked to send.
  void on_honest_send(uint32_t validator, const std::optional<consensus::Message>& m);
  // `block` entered `replica`'s store at `height` (by Deliver or state transfer); `chain_txs`
  // is every transaction already in that replica's chain below it.
  void on_stored(uint32_t replica, uint64_t height, const Block& block, const crypto::Hash& hash,
                 const std::set<crypto::Hash>& chain_txs);
  void on_evidence(uint32_t replica, const consensus::Evidence& evidence);
  // `replica`'s engine dropped an input.
  void on_rejected(uint32_t replica, const consensus::RejectedInput& rejected);
  void on_halt(uint32_t replica, const std::string& reason);

  void fail(std::string what);
  bool failed() const { return !violation_.empty(); }
  const std::string& violation() const { return violation_; }
  uint64_t highest_height() const { return chain_.empty() ? 0 : chain_.rbegin()->first; }

  // Coverage of the view-change logic, from the NEW-VIEW messages seen on the wire: how many
  // there were, how many carried a prepared certificate, and how many carried prepared
  // certificates for two different blocks at one height (where the highest view must win).
  struct Coverage {
    uint64_t new_views = 0;
    uint64_t reproposals = 0;
    uint64_t contested = 0;
  };
  const Coverage& coverage() const { return coverage_; }

 private:
  consensus::Config config_;
  consensus::Verifier& verifier_;
  std::set<uint32_t> byzantine_;
  std::set<crypto::Hash> submitted_;
  std::set<crypto::Hash> proposed_;
  std::map<uint64_t, crypto::Hash> chain_;  // the agreed block at each height
  std::map<std::tuple<uint32_t, std::string, uint64_t, uint64_t>, crypto::Hash> said_;
  std::string violation_;
  Coverage coverage_;
  std::set<crypto::Hash> new_views_seen_;
};

}  // namespace sharechain::sim
