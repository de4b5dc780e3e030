// What the engine persists, and rebuilding its state from it after a restart.
//
// Keys (values are serialized protobuf messages from sharechain/consensus.proto):
//   view            PersistedView: the view and whether it is still being changed to
//   nv              Envelope: the NEW-VIEW that started the current view
//   prepared        PreparedCertificate: the highest prepared block (reported in VIEW-CHANGE)
//   cert            CommitCertificate: the highest certificate this replica formed
//   ckpt            CheckpointProof: the stable checkpoint
//   pp/<height>     PersistedProposal: a block this replica proposed as primary
//   pv/<height>     PersistedVote: this replica's PREPARE at that height
//   cv/<height>     PersistedVote: this replica's COMMIT at that height
//   blk/<height>    Block with certificate: committed, possibly not yet executed by the node
// Height-keyed records are deleted once the node reports the height executed, so the set stays
// within the watermark window.
#include <charconv>
#include <cstdio>

#include "consensus/engine.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

constexpr const char* kHeightPrefixes[] = {"pp/", "pv/", "cv/", "blk/"};

// Splits "pv/00000000000000000042" into ("pv/", 42).
bool parse_height_key(const std::string& key, std::string& prefix, uint64_t& height) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return false;
  prefix = key.substr(0, slash + 1);
  const char* first = key.data() + slash + 1;
  const char* last = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(first, last, height);
  return ec == std::errc() && ptr == last && first != last;
}

}  // namespace

std::string Engine::height_key(const char* prefix, uint64_t height) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(height));
  return std::string(prefix) + digits;
}

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

Persist Engine::view_record() const {
  PersistedView record;
  record.set_view(view_);
  record.set_active(active_);
  record.set_failed_views(failed_views_);
  Persist p;
  p.puts.emplace_back("view", record.SerializeAsString());
  return p;
}

Status Engine::restore(const std::map<std::string, std::string>& persisted) {
  std::optional<Envelope> new_view;
  std::map<uint64_t, PersistedProposal> proposals;
  for (const auto& [key, value] : persisted) {
    persisted_keys_.insert(key);
    auto corrupt = [&key = key]() {
      return Status::internal("persisted consensus record '" + key + "' does not decode");
    };
    if (key == "view") {
      PersistedView v;
      if (!v.ParseFromString(value)) return corrupt();
      view_ = v.view();
      active_ = v.active();
      failed_views_ = v.failed_views();
    } else if (key == "nv") {
      Envelope e;
      if (!e.ParseFromString(value)) return corrupt();
      new_view = std::move(e);
    } else if (key == "prepared") {
      PreparedCertificate pc;
      if (!pc.ParseFromString(value)) return corrupt();
      prepared_ = std::move(pc);
    } else if (key == "cert") {
      CommitCertificate c;
      if (!c.ParseFromString(value)) return corrupt();
      my_cert_ = std::move(c);
    } else if (key == "ckpt") {
      CheckpointProof proof;
      if (!proof.ParseFromString(value)) return corrupt();
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
        PersistedVote v;
        const auto hash = v.ParseFromString(value) ? crypto::hash_from_bytes(v.block_hash())
                                                   : std::nullopt;
        if (!hash) return corrupt();
        if (h <= committed_) continue;
        (prefix == "pv/" ? my_prepare_votes_ : my_commit_votes_)[h] = {v.view(), *hash};
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
    auto decision = check_new_view(inner->new_view());
    if (!decision) {
      return Status::internal("persisted NEW-VIEW does not verify: " +
                              decision.status().message());
    }
    const uint64_t failed = failed_views_;
    Actions ignored;  // timers are armed by start(); a needed fetch is remembered in catchup_target_
    enter_new_view(*decision, *new_view, inner->new_view().reproposal_signature(), ignored);
    failed_views_ = failed;
  }

  // A primary re-sends exactly the blocks it proposed before the crash.
  if (active_ && primary() == cfg_.self) {
    for (auto& [h, p] : proposals) {
      if (p.view() != view_ || h < first_fresh_) continue;
      auto checked = check_proposal(cfg_, ProposalKind::kReproposal, view_, h, p.block(), 0);
      if (!checked) return Status::internal("persisted proposal at height " + std::to_string(h) +
                                            " is invalid: " + checked.status().message());
      Message m;
      PrePrepare* pp = m.mutable_pre_prepare();
      pp->set_view(view_);
      pp->set_height(h);
      *pp->mutable_block() = p.block();
      pp->set_prepare_signature(p.prepare_signature());
      Envelope env = sign_message(m);
      Slot& slot = slots_[h];
      const crypto::Hash hash = checked->hash;
      slot.proposal = Proposal{view_, p.block(), std::move(checked).value(), env};
      slot.prepares[cfg_.self] = Vote{view_, hash, p.prepare_signature(), env};
      slot.prepare_sent = true;
      my_prepare_votes_[h] = {view_, hash};
      mark_in_block(slot.proposal->checked.tx_hashes);
    }
  }
  return Status::ok();
}

}  // namespace sharechain::consensus
