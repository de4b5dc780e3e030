// View changes: leaving a view on timeout, VIEW-CHANGE and NEW-VIEW, entering the new view.
// The decision itself is the pure function decide_new_view() in view_change.cpp.
#include <algorithm>

#include "consensus/engine.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {

size_t Engine::view_changes_for(uint64_t view) const {
  size_t count = 0;
  for (const auto& [v, stored] : view_changes_) {
    if (stored.view == view) ++count;
  }
  return count;
}

size_t Engine::view_changes_from(uint64_t view) const {
  size_t count = 0;
  for (const auto& [v, stored] : view_changes_) {
    if (stored.view >= view) ++count;
  }
  return count;
}

void Engine::leave_current_view() {
  // Proposals of the view being left stay available for delivery (a commit certificate from
  // that view may still complete), but they no longer get votes.
  for (auto& [h, slot] : slots_) {
    if (slot.proposal) {
      const crypto::Hash hash = slot.proposal->checked.hash;
      slot.earlier.insert_or_assign(hash, std::move(*slot.proposal));
      slot.proposal.reset();
    }
    slot.prepares.clear();
    slot.prepare_sent = false;
    slot.commit_sent = false;
    slot.rejected.clear();
    slot.my_prepare.reset();
  }
  new_view_env_.reset();
  reset_in_block();
}

Verdict<Signed> Engine::make_view_change(uint64_t new_view) {
  ViewChange vc;
  vc.set_new_view(new_view);
  if (my_cert_) *vc.mutable_committed() = *my_cert_;
  if (stable_ > cfg_.epoch_start) *vc.mutable_checkpoint() = stable_proof_;
  // The safety rules add the prepared certificate: they alone keep it.
  return safety_.sign_view_change(std::move(vc), failed_views_);
}

void Engine::start_view_change(uint64_t new_view, Actions& out) {
  if (new_view <= view_) return;
  leave_current_view();
  view_ = new_view;
  active_ = false;
  failed_views_ += 1;
  view_changes_started_ += 1;
  auto vc = make_view_change(new_view);
  if (!vc) {
    halt("the safety rules refused this replica's VIEW-CHANGE: " + vc.refused().message, out);
    return;
  }
  Envelope env = vc->envelope;
  auto summary = verify_view_change(cfg_.chain_id, n_, cfg_.self, decode(env)->view_change(),
                                    verifier_);
  if (!summary) {
    halt("this replica's own view change does not verify: " + summary.status().message(), out);
    return;
  }
  for (auto it = view_changes_.begin(); it != view_changes_.end();) {
    it = it->second.view < new_view ? view_changes_.erase(it) : std::next(it);
  }
  view_changes_[cfg_.self] = StoredViewChange{new_view, env, *summary};
  my_view_change_ = env;

  // The new view is persisted before the VIEW-CHANGE leaves: after a crash this replica must
  // not vote in the view it abandoned.
  if (persisted_keys_.erase("nv") != 0) vc->persist.deletes.push_back("nv");
  broadcast_signed(std::move(vc).value(), out);
  if (view_change_armed_) {
    out.push_back(CancelTimer{TimerId::kViewChange});
    view_change_armed_ = false;
  }
  check_view_change_quorum(out);
}

void Engine::on_view_change(const Envelope& env, const ViewChange& m, uint64_t now,
                            Actions& out) {
  const uint32_t from = env.validator();
  const uint64_t w = m.new_view();
  // The first height the sender may lack, as far as its (not yet verified) proofs tell; only
  // used to decide whether to help it, which costs a message at most.
  const uint64_t peer_height = 1 + std::max({m.committed().height(), m.checkpoint().height(),
                                             m.prepared().height() > 0
                                                 ? m.prepared().height() - 1
                                                 : uint64_t{0}});
  help_laggard(from, peer_height, w, now, out);
  if (w < view_ || (w == view_ && active_)) {
    reject(Rejection::kStale, from,
           "view change to view " + std::to_string(w) + " in view " + std::to_string(view_));
    return;
  }
  if (auto it = view_changes_.find(from); it != view_changes_.end() && it->second.view >= w) {
    reject(Rejection::kDuplicate, from, "view change to view " + std::to_string(w));
    return;
  }
  auto summary = verify_view_change(cfg_.chain_id, n_, from, m, verifier_);
  if (!summary) {
    reject(Rejection::kBadViewChange, from, summary.status().message());
    return;
  }
  view_changes_[from] = StoredViewChange{w, env, *summary};
  if (summary->committed_height > committed_) keep_certificate(m.committed(), out);
  if (summary->checkpoint_height > 0) note_checkpoint_proof(m.checkpoint(), out);
  if (halted_) return;

  // f+1 validators want a later view, so at least one honest one timed out: join the smallest.
  std::vector<uint64_t> later;
  for (const auto& [v, stored] : view_changes_) {
    if (v != cfg_.self && stored.view > view_) later.push_back(stored.view);
  }
  if (later.size() >= weak_) {
    start_view_change(*std::min_element(later.begin(), later.end()), out);
    return;
  }
  check_view_change_quorum(out);
}

void Engine::check_view_change_quorum(Actions& out) {
  if (halted_ || active_ || primary() != cfg_.self) return;
  if (view_changes_for(view_) < quorum_) return;
  send_new_view(out);
}

void Engine::send_new_view(Actions& out) {
  std::vector<ViewChangeSummary> summaries;
  NewView nv;
  nv.set_view(view_);
  for (const auto& [v, stored] : view_changes_) {
    if (stored.view != view_) continue;
    summaries.push_back(stored.summary);
    *nv.add_view_changes() = stored.envelope;
  }
  auto decision = decide_new_view(view_, n_, summaries, cfg_.epoch_start, cfg_.epoch_start_hash);
  if (!decision) {
    reject(Rejection::kBadNewView, std::nullopt, decision.status().message());
    return;
  }
  if (decision->reproposal) {
    const auto& r = *decision->reproposal;
    auto checked = check_proposal(cfg_, ProposalKind::kReproposal, view_, r.height, r.block, 0);
    if (!checked) {
      reject(Rejection::kInvalidProposal, std::nullopt,
             "cannot re-propose: " + checked.status().message());
      return;
    }
  }
  // The safety rules sign the re-proposal's PREPARE and record the view as entered.
  auto signed_nv = safety_.sign_new_view(std::move(nv), *decision, failed_views_);
  if (!signed_nv) {
    halt("the safety rules refused this primary's NEW-VIEW: " + signed_nv.refused().message, out);
    return;
  }
  const Envelope env = signed_nv->envelope;
  const std::string signature = signed_nv->vote;
  put(signed_nv->persist, "nv", env);
  broadcast_signed(std::move(signed_nv).value(), out);
  enter_new_view(*decision, env, signature, out);
}

Result<NewViewDecision> Engine::check_new_view(const NewView& m, Rejection& why) {
  why = Rejection::kBadNewView;
  std::vector<ViewChangeSummary> summaries;
  for (const Envelope& e : m.view_changes()) {
    if (e.validator() >= n_ || e.epoch() != cfg_.epoch ||
        !verifier_.verify(e.validator(), envelope_digest(cfg_.chain_id, cfg_.epoch, e.payload()),
                          e.signature())) {
      return Status::invalid_argument("new view " + std::to_string(m.view()) +
                                      ": a view change envelope is not validly signed");
    }
    const auto inner = decode(e);
    if (!inner || !inner->has_view_change()) {
      return Status::invalid_argument("new view " + std::to_string(m.view()) +
                                      ": a proof is not a view change");
    }
    auto s = verify_view_change(cfg_.chain_id, n_, e.validator(), inner->view_change(), verifier_);
    if (!s) return s.status();
    summaries.push_back(std::move(s).value());
  }
  auto decision = decide_new_view(m.view(), n_, summaries, cfg_.epoch_start, cfg_.epoch_start_hash);
  if (!decision) return decision.status();
  if (decision->reproposal) {
    const auto& r = *decision->reproposal;
    auto checked = check_proposal(cfg_, ProposalKind::kReproposal, m.view(), r.height, r.block, 0);
    if (!checked) {
      why = Rejection::kInvalidProposal;
      return checked.status();
    }
    if (!check_vote(primary_of(m.view(), n_), VoteKind::kPrepare, m.view(), r.height, r.hash,
                    m.reproposal_signature())) {
      return Status::invalid_argument("new view " + std::to_string(m.view()) +
                                      ": bad prepare signature on the re-proposal");
    }
  }
  return decision;
}

void Engine::on_new_view(const Envelope& env, const NewView& m, uint64_t now, Actions& out) {
  (void)now;
  const uint32_t from = env.validator();
  const uint64_t w = m.view();
  if (from != primary_of(w, n_)) {
    reject(Rejection::kNotPrimary, from,
           "new view " + std::to_string(w) + " from validator " + std::to_string(from));
    return;
  }
  if (w < view_ || (w == view_ && active_)) {
    reject(Rejection::kStale, from,
           "new view " + std::to_string(w) + " in view " + std::to_string(view_));
    return;
  }
  Rejection why = Rejection::kBadNewView;
  auto decision = check_new_view(m, why);
  if (!decision) {
    reject(why, from, decision.status().message());
    return;
  }
  for (const Envelope& e : m.view_changes()) {
    const auto inner = decode(e);  // check_new_view() verified every proof
    if (inner->view_change().committed().height() > committed_) {
      keep_certificate(inner->view_change().committed(), out);
    }
    if (inner->view_change().checkpoint().height() > 0) {
      note_checkpoint_proof(inner->view_change().checkpoint(), out);
    }
  }
  if (halted_) return;
  if (auto it = committed_hashes_.find(decision->base_height);
      decision->base_height > 0 && it != committed_hashes_.end() &&
      it->second != decision->base_hash) {
    halt("new view " + std::to_string(w) + " proves a different block final at height " +
             std::to_string(decision->base_height) + " than this replica committed",
         out);
    return;
  }
  auto entered = safety_.enter_view(w, failed_views_);
  if (!entered) {
    halt("the safety rules refused to enter view " + std::to_string(w) + ": " +
             entered.refused().message,
         out);
    return;
  }
  Persist persist = std::move(entered).value();
  put(persist, "nv", env);
  out.push_back(std::move(persist));
  enter_new_view(*decision, env, m.reproposal_signature(), out);
}

void Engine::enter_new_view(const NewViewDecision& d, const Envelope& env,
                            const std::string& reproposal_signature, Actions& out) {
  leave_current_view();
  view_ = d.view;
  active_ = true;
  new_view_env_ = env;
  first_fresh_ = d.first_fresh_height;
  progressed_ = true;
  my_view_change_.reset();
  for (auto it = view_changes_.begin(); it != view_changes_.end();) {
    it = it->second.view <= view_ ? view_changes_.erase(it) : std::next(it);
  }
  if (view_change_armed_) {
    out.push_back(CancelTimer{TimerId::kViewChange});
    view_change_armed_ = false;
  }
  if (d.reproposal && d.reproposal->height > committed_ &&
      admits(d.reproposal->height)) {
    const auto& r = *d.reproposal;
    auto checked = check_proposal(cfg_, ProposalKind::kReproposal, view_, r.height, r.block, 0);
    if (checked) {
      const uint32_t p = primary_of(view_, n_);
      Slot& slot = slots_[r.height];
      slot.proposal = Proposal{view_, r.block, std::move(checked).value(), env};
      slot.prepares[p] = Vote{view_, r.hash, reproposal_signature, env};
      if (p == cfg_.self) {
        slot.prepare_sent = true;
        mark_in_block(slot.proposal->checked.tx_hashes);
      }
    }
  }
  if (d.committed_floor > committed_) {
    note_behind(d.committed_floor, d.sources);
    if (fetch_requested_to_ < catchup_target_) request_fetch(out);
  }
}

}  // namespace sharechain::consensus
