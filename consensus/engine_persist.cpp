// What the engine persists, and rebuilding its state from it after a restart.
//
// Keys (values are serialized protobuf messages from sharechain/consensus.proto); those marked
// * are written and read back by the safety rules (safety.cpp):
//   epoch           PersistedEpoch: the epoch whose engine wrote the rest (absent: epoch 0)
//   view *          PersistedView: the view and whether it is still being changed to
//   nv              Envelope: the NEW-VIEW that started the current view
//   prepared *      PreparedCertificate: the highest prepared block (reported in VIEW-CHANGE)
//   cert            CommitCertificate: the highest certificate formed or received
//   ckpt            CheckpointProof: the stable checkpoint
//   pp/<height> *   PersistedProposal: a block this replica proposed as primary
//   pv/<height> *   PersistedVote: this replica's PREPARE at that height
//   cv/<height> *   PersistedVote: this replica's COMMIT at that height
//   blk/<height>    Block with certificate: committed, possibly not yet executed by the node
// Height-keyed records are deleted once the node reports the height executed, so the set stays
// within the watermark window.
#include "consensus/engine.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

constexpr const char* kHeightPrefixes[] = {"pp/", "pv/", "cv/", "blk/"};

}  // namespace

void Engine::put(Persist& p, std::string key, const google::protobuf::MessageLite& value) {
  persisted_keys_.insert(key);
  p.puts.emplace_back(std::move(key), value.SerializeAsString());
}

void Engine::erase_below(Persist& p, uint64_t height) {
  for (const char* prefix : kHeightPrefixes) {
    const std::string first = prefix;
    const std::string last = height_key(prefix, height);
    for (auto it = persisted_keys_.lower_bound(first);
         it != persisted_keys_.end() && *it <= last && it->rfind(first, 0) == 0;) {
      p.deletes.push_back(*it);
      it = persisted_keys_.erase(it);
    }
  }
}

Status Engine::restore(const std::map<std::string, std::string>& persisted) {
  if (Status st = safety_.restore(persisted, committed_); !st) return st;
  view_ = safety_.view();
  active_ = safety_.active();
  failed_views_ = safety_.failed_views();
  std::optional<Envelope> new_view;
  std::map<uint64_t, PersistedProposal> proposals;
  for (const auto& [key, value] : persisted) {
    persisted_keys_.insert(key);
    auto corrupt = [&key = key]() {
      return Status::internal("persisted consensus record '" + key + "' does not decode");
    };
    if (key == "view" || key == "prepared" || key == "epoch") {
      continue;  // the safety rules' records, and the epoch (read by the constructor)
    } else if (key == "nv") {
      Envelope e;
      if (!e.ParseFromString(value)) return corrupt();
      new_view = std::move(e);
    } else if (key == "cert") {
      CommitCertificate c;
      if (!c.ParseFromString(value)) return corrupt();
      my_cert_ = std::move(c);
    } else if (key == "ckpt") {
      CheckpointProof proof;
      if (!proof.ParseFromString(value)) return corrupt();
      safety_.set_stable(proof);
      stable_ = proof.height();
      stable_proof_ = std::move(proof);
    } else {
      std::string prefix;
      uint64_t h = 0;
      if (!parse_height_key(key, prefix, h)) {
        return Status::internal("unknown persisted consensus key '" + key + "'");
      }
      if (prefix == "blk/") {
        Block b;
        if (!b.ParseFromString(value)) return corrupt();
        if (h > committed_) redeliver_.emplace(h, std::move(b));
      } else if (prefix == "pv/" || prefix == "cv/") {
        continue;  // the safety rules' records
      } else if (prefix == "pp/") {
        PersistedProposal p;
        if (!p.ParseFromString(value)) return corrupt();
        if (h > committed_) proposals.emplace(h, std::move(p));
      } else {
        return Status::internal("unknown persisted consensus key '" + key + "'");
      }
    }
  }

  if (active_ && view_ > 0) {
    if (!new_view) {
      return Status::internal("persisted view " + std::to_string(view_) +
                              " is active but its NEW-VIEW was not persisted");
    }
    const auto inner = decode(*new_view);
    if (!inner || !inner->has_new_view() || inner->new_view().view() != view_) {
      return Status::internal("persisted NEW-VIEW is not for view " + std::to_string(view_));
    }
    Rejection why = Rejection::kBadNewView;
    auto decision = check_new_view(inner->new_view(), why);
    if (!decision) {
      return Status::internal("persisted NEW-VIEW does not verify: " +
                              decision.status().message());
    }
    const uint64_t failed = failed_views_;
    Actions ignored;  // timers are armed by start(); a needed fetch is remembered in catchup_target_
    enter_new_view(*decision, *new_view, inner->new_view().reproposal_signature(), ignored);
    failed_views_ = failed;
    // As primary, this replica's PREPARE for the re-proposal is in its own NEW-VIEW.
    if (decision->reproposal && primary() == cfg_.self) {
      const auto& r = *decision->reproposal;
      safety_.restore_reproposal(view_, r.height, r.hash);
    }
  }

  // A primary re-sends exactly the blocks it proposed before the crash.
  if (active_ && primary() == cfg_.self) {
    for (auto& [h, p] : proposals) {
      if (p.view() != view_ || h < first_fresh_) continue;
      auto checked = check_proposal(cfg_, ProposalKind::kReproposal, view_, h, p.block(), 0);
      if (!checked) return Status::internal("persisted proposal at height " + std::to_string(h) +
                                            " is invalid: " + checked.status().message());
      auto sealed = safety_.reseal_proposal(h, p);
      if (!sealed) {
        return Status::internal("persisted proposal at height " + std::to_string(h) +
                                " cannot be re-sent: " + sealed.refused().message);
      }
      const Envelope& env = sealed->envelope;
      Slot& slot = slots_[h];
      const crypto::Hash hash = checked->hash;
      slot.proposal = Proposal{view_, p.block(), std::move(checked).value(), env};
      slot.prepares[cfg_.self] = Vote{view_, hash, p.prepare_signature(), env};
      slot.prepare_sent = true;
      mark_in_block(slot.proposal->checked.tx_hashes);
    }
  }
  return Status::ok();
}

}  // namespace sharechain::consensus
