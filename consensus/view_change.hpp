// The view-change safety logic as pure functions: checking one VIEW-CHANGE's proofs, and the
// choice a NEW-VIEW must make from a quorum of them. The new primary computes the choice; every
// replica recomputes it from the same VIEW-CHANGE envelopes and rejects a NEW-VIEW whose primary
// chose differently (the choice is fully determined, so a NEW-VIEW carries no choice at all).
//
// Why this choice is safe (the full argument is in consensus/README.md): an honest replica
// prepares height h only after committing h-1, and it keeps its highest prepared certificate
// until it prepares a higher height. If a block B was committed at height h in some view, a
// quorum sent COMMIT for it; any VIEW-CHANGE quorum shares an honest member r with that quorum,
// and r reports either a commit certificate at height >= h or a prepared certificate at height
// >= h (for h itself, in a view at least B's). So the highest proven height is at least h - 1,
// and if it is exactly h - 1 the highest-view prepared certificate at h is for B.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "consensus/types.hpp"

namespace sharechain::consensus {

// A VIEW-CHANGE whose proofs verified, reduced to what the decision needs. Height 0 with 32
// zero bytes stands for genesis (no certificate, no checkpoint).
struct ViewChangeSummary {
  struct Prepared {
    uint64_t view = 0;
    uint64_t height = 0;
    crypto::Hash hash{};
    Block block;  // header and transactions, no certificate
  };
  uint32_t validator = 0;
  uint64_t new_view = 0;
  uint64_t committed_height = 0;
  crypto::Hash committed_hash{};
  uint64_t checkpoint_height = 0;
  crypto::Hash checkpoint_hash{};
  std::optional<Prepared> prepared;
};

// Checks every proof a VIEW-CHANGE carries (commit certificate, checkpoint proof, prepared
// certificate, each against a validator set of `n`) and summarises it. INVALID_ARGUMENT names
// the first proof that fails.
Result<ViewChangeSummary> verify_view_change(std::string_view chain_id, uint32_t n,
                                             uint32_t validator, const ViewChange& view_change,
                                             Verifier& verifier);

struct NewViewDecision {
  uint64_t view = 0;
  // The highest height a commit certificate or stable checkpoint in the quorum proves final.
  uint64_t base_height = 0;
  crypto::Hash base_hash{};
  // The block the new view must re-propose: the prepared certificate with the highest height
  // above base_height, the highest view among those at that height.
  std::optional<ViewChangeSummary::Prepared> reproposal;
  // Every height up to this is final (base_height, or reproposal height - 1: a prepared
  // certificate at height p shows that an honest replica had committed p - 1).
  uint64_t committed_floor = 0;
  // The first height the new primary may fill with a new block.
  uint64_t first_fresh_height = 1;
  // Validators whose VIEW-CHANGE shows they hold every block up to committed_floor.
  std::vector<uint32_t> sources;
};

// The decision for `view` from `summaries`, which must come from at least a quorum of distinct
// validators of a set of `n`, all for `view`; INVALID_ARGUMENT otherwise. `epoch_start` and
// `start_hash` are the block the epoch starts on: final before the epoch's first proof, and held
// by every validator of the epoch (each joined only after executing it).
Result<NewViewDecision> decide_new_view(uint64_t view, uint32_t n,
                                        const std::vector<ViewChangeSummary>& summaries,
                                        uint64_t epoch_start = 0,
                                        const crypto::Hash& start_hash = {});

}  // namespace sharechain::consensus
