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
//
// Replicas are named by node: without twins node v is validator v; with twins, node n + j is the
// second instance of the j-th twinned validator. A twin's two instances are one faulty validator
// (they may contradict each other), but each runs an honest engine, so each must stay consistent
// with itself. Agreement ranges over the honest replicas, and over the twins' instances too when
// the faulty validators (Byzantine and twinned) are at most f: a commit certificate then holds
// an honest validator's vote in any two quorums, so a twin that stores a certified block proves
// that block final to any client, and it must be the honest replicas' block. Beyond f the twins'
// stores prove nothing and their halts are expected (a replica that sees the fork stops); only
// honest replicas that commit different blocks at one height show the protocol broken.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "consensus/rejection.hpp"
#include "consensus/types.hpp"

namespace sharechain::sim {

struct CheckedFaults {
  std::vector<uint32_t> twins;  // twinned validators; node n + j is the second instance of twins[j]
  bool within_f = true;         // Byzantine plus twinned validators are at most f
};

class Checker {
 public:
  // `byzantine`: validators whose messages a behaviour rewrites. Twinned validators count as
  // faulty for evidence and for the honest-proposer check without being listed there.
  Checker(consensus::Config config, consensus::Verifier& verifier, std::set<uint32_t> byzantine,
          CheckedFaults faults = {});

  void on_submitted(const crypto::Hash& tx) { submitted_.insert(tx); }
  // Any envelope any validator put on the wire (after Byzantine rewriting), with its decoded
  // payload (nullopt if it does not decode).
  void on_wire(const consensus::Envelope& envelope, const std::optional<consensus::Message>& m);
  // A message the engine of an honest validator or of a twin's instance asked to send, as a
  // member of `epoch`'s set (each epoch's engine starts again at view 0).
  void on_honest_send(uint32_t node, const std::optional<consensus::Message>& m,
                      uint64_t epoch = 0);
  // `block` entered `node`'s store at `height` (by Deliver or state transfer); `chain_txs`
  // is every transaction already in that node's chain below it. With reconfiguration the
  // simulator names the set that must certify the block (`epoch`, the config and verifier of
  // the epoch the node's chain puts it in) and the node that proposed it; otherwise the
  // checker's own set does, and validator indices are nodes.
  struct EpochView {
    const consensus::Config& config;
    consensus::Verifier& verifier;
    uint32_t proposer_node = 0;
  };
  void on_stored(uint32_t node, uint64_t height, const Block& block, const crypto::Hash& hash,
                 const std::set<crypto::Hash>& chain_txs,
                 const std::optional<EpochView>& epoch = std::nullopt);
  // Evidence and rejections name validators by index in the reporter's epoch: with
  // reconfiguration the simulator translates them to nodes first.
  void on_evidence(uint32_t node, const consensus::Evidence& evidence);
  // `node`'s engine dropped an input.
  void on_rejected(uint32_t node, const consensus::RejectedInput& rejected);
  void on_halt(uint32_t node, const std::string& reason);

  void fail(std::string what);
  // Two different blocks committed at one height, seen by the simulator (a replica's engine
  // delivering another block than the one it fetched for that height).
  void fail_agreement(std::string what);
  bool failed() const { return !violation_.empty(); }
  bool agreement_violated() const { return agreement_violated_; }
  const std::string& violation() const { return violation_; }
  // Whether `node`'s stores take part in agreement (see the header comment).
  bool counts(uint32_t node) const { return faults_.within_f || !twin_node(node); }
  // "2" for a validator's only engine; "2a" and "2b" for a twin's two instances.
  std::string name(uint32_t node) const;
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
  bool twin_node(uint32_t node) const;  // either instance of a twinned validator

  consensus::Config config_;
  consensus::Verifier& verifier_;
  uint32_t n_ = 0;
  std::set<uint32_t> byzantine_;  // and twinned
  CheckedFaults faults_;
  bool agreement_violated_ = false;
  std::set<crypto::Hash> submitted_;
  std::set<crypto::Hash> proposed_;
  std::map<uint64_t, crypto::Hash> chain_;  // the agreed block at each height
  std::map<std::tuple<uint32_t, uint64_t, std::string, uint64_t, uint64_t>, crypto::Hash> said_;
  std::string violation_;
  Coverage coverage_;
  std::set<crypto::Hash> new_views_seen_;
};

}  // namespace sharechain::sim
