#include "consensus/safety.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <set>

#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

std::string slot_text(uint64_t view, uint64_t height) {
  return "(view " + std::to_string(view) + ", height " + std::to_string(height) + ")";
}

Refused refuse(Refusal reason, std::string message) { return Refused{reason, std::move(message)}; }

}  // namespace

std::string height_key(std::string_view prefix, uint64_t height) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(height));
  return std::string(prefix) + digits;
}

bool parse_height_key(const std::string& key, std::string& prefix, uint64_t& height) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return false;
  prefix = key.substr(0, slash + 1);
  const char* first = key.data() + slash + 1;
  const char* last = key.data() + key.size();
  auto [ptr, ec] = std::from_chars(first, last, height);
  return ec == std::errc() && ptr == last && first != last;
}

const char* refusal_name(Refusal reason) {
  switch (reason) {
    case Refusal::kWrongView: return "wrong_view";
    case Refusal::kChangingView: return "changing_view";
    case Refusal::kViewGoesBack: return "view_goes_back";
    case Refusal::kConflictingVote: return "conflicting_vote";
    case Refusal::kCommittedHeight: return "committed_height";
    case Refusal::kNotPrepared: return "not_prepared";
    case Refusal::kPreparedGoesBack: return "prepared_goes_back";
    case Refusal::kUnknownProposal: return "unknown_proposal";
  }
  return "unknown";
}

SafetyRules::SafetyRules(const Config& config, Signer& signer)
    : chain_id_(config.chain_id),
      self_(config.self),
      epoch_(config.epoch),
      quorum_(quorum_size(static_cast<uint32_t>(config.validators.size()))),
      signer_(signer) {}

Status SafetyRules::restore(const std::map<std::string, std::string>& persisted,
                            uint64_t committed_height) {
  for (const auto& [key, value] : persisted) {
    auto corrupt = [&key = key]() {
      return Status::internal("persisted consensus record '" + key + "' does not decode");
    };
    if (key == "view") {
      PersistedView v;
      if (!v.ParseFromString(value)) return corrupt();
      view_ = v.view();
      active_ = v.active();
      failed_views_ = v.failed_views();
      continue;
    }
    if (key == "prepared") {
      PreparedCertificate pc;
      if (!pc.ParseFromString(value)) return corrupt();
      prepared_ = std::move(pc);
      continue;
    }
    std::string prefix;
    uint64_t h = 0;
    if (!parse_height_key(key, prefix, h)) continue;
    std::map<uint64_t, Record>* votes = nullptr;
    Record vote;
    if (prefix == "pv/" || prefix == "cv/") {
      PersistedVote v;
      const auto hash =
          v.ParseFromString(value) ? crypto::hash_from_bytes(v.block_hash()) : std::nullopt;
      if (!hash) return corrupt();
      votes = prefix == "pv/" ? &prepares_ : &commits_;
      vote = Record{v.view(), *hash};
    } else if (prefix == "pp/") {
      PersistedProposal p;
      if (!p.ParseFromString(value)) return corrupt();
      votes = &prepares_;
      vote = Record{p.view(), block_hash(p.block())};
    } else {
      continue;
    }
    if (h <= committed_height) continue;
    // A primary's pp/ and a backup's pv/ may both exist for one height, from different views;
    // only the latest view can still be voted in.
    auto [it, fresh] = votes->emplace(h, vote);
    if (!fresh && it->second.view < vote.view) it->second = vote;
  }
  if (active_) {
    floor_view_ = view_;
    floor_height_ = committed_height;
  }
  return Status::ok();
}

void SafetyRules::restore_reproposal(uint64_t view, uint64_t height, const crypto::Hash& hash) {
  auto [it, fresh] = prepares_.emplace(height, Record{view, hash});
  if (!fresh && it->second.view < view) it->second = Record{view, hash};
}

std::optional<Refused> SafetyRules::check_vote(const char* kind,
                                               const std::map<uint64_t, Record>& votes,
                                               uint64_t view, uint64_t height,
                                               const crypto::Hash& hash, bool entering) const {
  const std::string what = std::string(kind) + " for " + slot_text(view, height);
  if (view != view_) {
    return refuse(Refusal::kWrongView, what + " while in view " + std::to_string(view_));
  }
  if (!active_ && !entering) {
    return refuse(Refusal::kChangingView, what + " while still changing to that view");
  }
  if (view == floor_view_ && height <= floor_height_) {
    return refuse(
        Refusal::kCommittedHeight,
        what + ": heights up to " + std::to_string(floor_height_) + " are committed in this view");
  }
  if (auto it = votes.find(height);
      it != votes.end() && it->second.view == view && it->second.hash != hash) {
    return refuse(Refusal::kConflictingVote, "already voted " + std::string(kind) + " for " +
                                                 slot_text(view, height) + " on another block");
  }
  return std::nullopt;
}

std::string SafetyRules::vote_signature(VoteKind kind, uint64_t view, uint64_t height,
                                        const crypto::Hash& hash) {
  return signer_.sign(vote_digest(kind, chain_id_, view, height, hash));
}

Envelope SafetyRules::seal(const Message& message) {
  return consensus::seal(message, self_, chain_id_, signer_, epoch_);
}

void SafetyRules::put_view(Persist& persist) const {
  PersistedView record;
  record.set_view(view_);
  record.set_active(active_);
  record.set_failed_views(failed_views_);
  persist.puts.emplace_back("view", record.SerializeAsString());
}

Verdict<Signed> SafetyRules::sign_proposal(uint64_t view, uint64_t height, const Block& block) {
  const crypto::Hash hash = block_hash(block);
  if (auto no = check_vote("prepare", prepares_, view, height, hash, false)) return *no;
  Signed out;
  out.vote = vote_signature(VoteKind::kPrepare, view, height, hash);
  Message m;
  PrePrepare* pp = m.mutable_pre_prepare();
  pp->set_view(view);
  pp->set_height(height);
  *pp->mutable_block() = block;
  pp->set_prepare_signature(out.vote);
  out.envelope = seal(m);
  PersistedProposal record;
  record.set_view(view);
  *record.mutable_block() = block;
  record.set_prepare_signature(out.vote);
  out.persist.puts.emplace_back(height_key("pp/", height), record.SerializeAsString());
  prepares_[height] = Record{view, hash};
  return out;
}

Verdict<Signed> SafetyRules::reseal_proposal(uint64_t height, const PersistedProposal& proposal) {
  const crypto::Hash hash = block_hash(proposal.block());
  auto it = prepares_.find(height);
  if (it == prepares_.end() || it->second.view != proposal.view() || it->second.hash != hash) {
    return refuse(Refusal::kUnknownProposal,
                  "no record of proposing that block for " + slot_text(proposal.view(), height));
  }
  if (auto no = check_vote("prepare", prepares_, proposal.view(), height, hash, false)) return *no;
  Signed out;
  out.vote = proposal.prepare_signature();
  Message m;
  PrePrepare* pp = m.mutable_pre_prepare();
  pp->set_view(proposal.view());
  pp->set_height(height);
  *pp->mutable_block() = proposal.block();
  pp->set_prepare_signature(proposal.prepare_signature());
  out.envelope = seal(m);
  return out;
}

Verdict<Signed> SafetyRules::sign_prepare(uint64_t view, uint64_t height,
                                          const crypto::Hash& hash) {
  if (auto no = check_vote("prepare", prepares_, view, height, hash, false)) return *no;
  Signed out;
  out.vote = vote_signature(VoteKind::kPrepare, view, height, hash);
  Message m;
  Prepare* p = m.mutable_prepare();
  p->set_view(view);
  p->set_height(height);
  p->set_block_hash(crypto::hash_bytes(hash));
  p->set_signature(out.vote);
  out.envelope = seal(m);
  PersistedVote record;
  record.set_view(view);
  record.set_block_hash(crypto::hash_bytes(hash));
  out.persist.puts.emplace_back(height_key("pv/", height), record.SerializeAsString());
  prepares_[height] = Record{view, hash};
  return out;
}

Verdict<Signed> SafetyRules::sign_commit(PreparedCertificate certificate) {
  const uint64_t view = certificate.view();
  const uint64_t height = certificate.height();
  const crypto::Hash hash = block_hash(certificate.block());
  if (auto no = check_vote("commit", commits_, view, height, hash, false)) return *no;
  if (auto mine = prepares_.find(height);
      mine == prepares_.end() || mine->second.view != view || mine->second.hash != hash) {
    return refuse(Refusal::kNotPrepared, "commit for " + slot_text(view, height) +
                                             " without this replica's prepare for that block");
  }
  std::set<uint32_t> voters;
  for (const Vote& v : certificate.votes()) voters.insert(v.validator());
  if (voters.size() < quorum_) {
    return refuse(Refusal::kNotPrepared, "prepared certificate for " + slot_text(view, height) +
                                             " has " + std::to_string(voters.size()) +
                                             " voters, a quorum is " + std::to_string(quorum_));
  }
  if (prepared_ &&
      std::make_pair(height, view) < std::make_pair(prepared_->height(), prepared_->view())) {
    return refuse(Refusal::kPreparedGoesBack,
                  "prepared certificate for " + slot_text(view, height) +
                      " is below the one kept, " +
                      slot_text(prepared_->view(), prepared_->height()));
  }
  Signed out;
  out.vote = vote_signature(VoteKind::kCommit, view, height, hash);
  Message m;
  Commit* c = m.mutable_commit();
  c->set_view(view);
  c->set_height(height);
  c->set_block_hash(crypto::hash_bytes(hash));
  c->set_signature(out.vote);
  out.envelope = seal(m);
  // The certificate first: a later VIEW-CHANGE has to report it (README, consequence 2).
  out.persist.puts.emplace_back("prepared", certificate.SerializeAsString());
  PersistedVote record;
  record.set_view(view);
  record.set_block_hash(crypto::hash_bytes(hash));
  out.persist.puts.emplace_back(height_key("cv/", height), record.SerializeAsString());
  commits_[height] = Record{view, hash};
  prepared_ = std::move(certificate);
  return out;
}

Verdict<Signed> SafetyRules::sign_checkpoint(uint64_t height, const crypto::Hash& hash,
                                             const crypto::Hash& state_root) {
  if (height < stable_) {
    return refuse(Refusal::kCommittedHeight, "checkpoint at height " + std::to_string(height) +
                                                 " is below the stable checkpoint " +
                                                 std::to_string(stable_));
  }
  const auto signed_before = checkpoints_.find(height);
  if (signed_before != checkpoints_.end() &&
      signed_before->second != std::make_pair(hash, state_root)) {
    return refuse(Refusal::kConflictingVote, "already signed the checkpoint at height " +
                                                 std::to_string(height) +
                                                 " for another block or state root");
  }
  Signed out;
  out.vote = signer_.sign(checkpoint_digest(chain_id_, height, hash, state_root));
  Message m;
  Checkpoint* c = m.mutable_checkpoint();
  c->set_height(height);
  c->set_block_hash(crypto::hash_bytes(hash));
  c->set_state_root(crypto::hash_bytes(state_root));
  c->set_signature(out.vote);
  out.envelope = seal(m);
  checkpoints_.emplace(height, std::make_pair(hash, state_root));
  return out;
}

Verdict<Signed> SafetyRules::sign_view_change(ViewChange view_change, uint64_t failed_views) {
  const uint64_t w = view_change.new_view();
  if (w < view_ || (w == view_ && active_)) {
    return refuse(Refusal::kViewGoesBack, "view change to view " + std::to_string(w) + " while " +
                                              (active_ ? "in" : "changing to") + " view " +
                                              std::to_string(view_));
  }
  view_change.clear_prepared();
  if (prepared_ && prepared_->height() > view_change.committed().height()) {
    *view_change.mutable_prepared() = *prepared_;
  }
  Signed out;
  Message m;
  *m.mutable_view_change() = std::move(view_change);
  out.envelope = seal(m);
  if (w != view_ || active_ || failed_views != failed_views_) {
    view_ = w;
    active_ = false;
    failed_views_ = failed_views;
    put_view(out.persist);
  }
  return out;
}

Verdict<Signed> SafetyRules::sign_new_view(NewView new_view, const NewViewDecision& decision,
                                           uint64_t failed_views) {
  const uint64_t w = new_view.view();
  if (w != view_ || active_ || decision.view != w) {
    return refuse(Refusal::kViewGoesBack, "new view " + std::to_string(w) + " while " +
                                              (active_ ? "in" : "changing to") + " view " +
                                              std::to_string(view_));
  }
  Signed out;
  if (decision.reproposal) {
    const auto& r = *decision.reproposal;
    if (auto no = check_vote("prepare", prepares_, w, r.height, r.hash, true)) return *no;
    out.vote = vote_signature(VoteKind::kPrepare, w, r.height, r.hash);
    new_view.set_reproposal_signature(out.vote);
    prepares_[r.height] = Record{w, r.hash};
  } else {
    new_view.clear_reproposal_signature();
  }
  Message m;
  *m.mutable_new_view() = std::move(new_view);
  out.envelope = seal(m);
  active_ = true;
  failed_views_ = failed_views;
  put_view(out.persist);
  return out;
}

Verdict<Persist> SafetyRules::enter_view(uint64_t view, uint64_t failed_views) {
  if (view < view_ || (view == view_ && active_)) {
    return refuse(Refusal::kViewGoesBack, "entering view " + std::to_string(view) + " while " +
                                              (active_ ? "in" : "changing to") + " view " +
                                              std::to_string(view_));
  }
  view_ = view;
  active_ = true;
  failed_views_ = failed_views;
  Persist out;
  put_view(out);
  return out;
}

Envelope SafetyRules::seal_committed(const CommitCertificate& certificate, bool probe) {
  Message m;
  *m.mutable_committed()->mutable_certificate() = certificate;
  m.mutable_committed()->set_probe(probe);
  return seal(m);
}

void SafetyRules::forget_through(uint64_t height) {
  prepares_.erase(prepares_.begin(), prepares_.upper_bound(height));
  commits_.erase(commits_.begin(), commits_.upper_bound(height));
  // While changing view nothing was voted in view_ yet, and the NEW-VIEW's re-proposal may be
  // at a height this replica has meanwhile committed: a floor there would refuse it.
  if (!active_) return;
  if (floor_view_ != view_) floor_height_ = 0;
  floor_view_ = view_;
  floor_height_ = std::max(floor_height_, height);
}

void SafetyRules::set_stable(const CheckpointProof& proof) {
  const uint64_t h = proof.height();
  if (h < stable_) return;
  stable_ = h;
  checkpoints_.erase(checkpoints_.begin(), checkpoints_.lower_bound(h));
  const auto hash = crypto::hash_from_bytes(proof.block_hash());
  const auto root = crypto::hash_from_bytes(proof.state_root());
  // What a quorum certified at h is what this replica signed there, or would have.
  if (hash && root) checkpoints_.emplace(h, std::make_pair(*hash, *root));
}

}  // namespace sharechain::consensus
