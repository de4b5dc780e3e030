#include "consensus/view_change.hpp"

#include <algorithm>
#include <set>

#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"

namespace sharechain::consensus {

Result<ViewChangeSummary> verify_view_change(std::string_view chain_id, uint32_t n,
                                             uint32_t validator, const ViewChange& view_change,
                                             Verifier& verifier) {
  ViewChangeSummary s;
  s.validator = validator;
  s.new_view = view_change.new_view();
  if (view_change.has_committed() && view_change.committed().height() > 0) {
    const CommitCertificate& cert = view_change.committed();
    const auto hash = crypto::hash_from_bytes(cert.block_hash());
    if (!hash) return Status::invalid_argument("view change: commit certificate hash is not 32 bytes");
    if (Status st = verify_commit_certificate(chain_id, n, cert, cert.height(), *hash, verifier);
        !st) {
      return Status::invalid_argument("view change: " + st.message());
    }
    s.committed_height = cert.height();
    s.committed_hash = *hash;
  }
  if (view_change.has_checkpoint() && view_change.checkpoint().height() > 0) {
    const CheckpointProof& proof = view_change.checkpoint();
    if (Status st = verify_checkpoint_proof(chain_id, n, proof, verifier); !st) {
      return Status::invalid_argument("view change: " + st.message());
    }
    s.checkpoint_height = proof.height();
    s.checkpoint_hash = *crypto::hash_from_bytes(proof.block_hash());
  }
  if (view_change.has_prepared() && view_change.prepared().height() > 0) {
    const PreparedCertificate& cert = view_change.prepared();
    if (cert.view() >= view_change.new_view()) {
      return Status::invalid_argument("view change: prepared certificate from view " +
                                      std::to_string(cert.view()) + " is not before view " +
                                      std::to_string(view_change.new_view()));
    }
    if (Status st = verify_prepared_certificate(chain_id, n, cert, verifier); !st) {
      return Status::invalid_argument("view change: " + st.message());
    }
    ViewChangeSummary::Prepared p;
    p.view = cert.view();
    p.height = cert.height();
    p.block.set_header(cert.block().header());
    *p.block.mutable_transactions() = cert.block().transactions();
    p.hash = block_hash(p.block);
    s.prepared = std::move(p);
  }
  return s;
}

Result<NewViewDecision> decide_new_view(uint64_t view, uint32_t n,
                                        const std::vector<ViewChangeSummary>& summaries,
                                        uint64_t epoch_start, const crypto::Hash& start_hash) {
  std::set<uint32_t> voters;
  for (const ViewChangeSummary& s : summaries) {
    if (s.new_view != view) {
      return Status::invalid_argument("new view " + std::to_string(view) +
                                      " includes a view change for view " +
                                      std::to_string(s.new_view));
    }
    if (s.validator >= n || !voters.insert(s.validator).second) {
      return Status::invalid_argument("new view " + std::to_string(view) +
                                      " includes a repeated or unknown validator " +
                                      std::to_string(s.validator));
    }
  }
  if (voters.size() < quorum_size(n)) {
    return Status::invalid_argument("new view " + std::to_string(view) + " has " +
                                    std::to_string(voters.size()) + " view changes, a quorum is " +
                                    std::to_string(quorum_size(n)));
  }

  NewViewDecision d;
  d.view = view;
  d.base_height = epoch_start;
  d.base_hash = start_hash;
  for (const ViewChangeSummary& s : summaries) {
    if (s.committed_height > d.base_height) {
      d.base_height = s.committed_height;
      d.base_hash = s.committed_hash;
    }
    if (s.checkpoint_height > d.base_height) {
      d.base_height = s.checkpoint_height;
      d.base_hash = s.checkpoint_hash;
    }
  }
  const ViewChangeSummary::Prepared* best = nullptr;
  for (const ViewChangeSummary& s : summaries) {
    if (!s.prepared || s.prepared->height <= d.base_height) continue;
    const auto& p = *s.prepared;
    // Highest height first, then highest view; equal (height, view) with different blocks can
    // only happen with more than f faulty validators, and the smaller hash keeps the choice
    // deterministic even then.
    if (best == nullptr || p.height > best->height ||
        (p.height == best->height &&
         (p.view > best->view || (p.view == best->view && p.hash < best->hash)))) {
      best = &p;
    }
  }
  if (best != nullptr) {
    d.reproposal = *best;
    d.committed_floor = best->height - 1;
    d.first_fresh_height = best->height + 1;
  } else {
    d.committed_floor = d.base_height;
    d.first_fresh_height = d.base_height + 1;
  }
  for (const ViewChangeSummary& s : summaries) {
    const bool holds = epoch_start >= d.committed_floor ||
                       s.committed_height >= d.committed_floor ||
                       s.checkpoint_height >= d.committed_floor ||
                       (s.prepared && s.prepared->height > d.committed_floor);
    if (holds) d.sources.push_back(s.validator);
  }
  std::sort(d.sources.begin(), d.sources.end());
  return d;
}

}  // namespace sharechain::consensus
