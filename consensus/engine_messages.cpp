// Receiving consensus messages: the checks every envelope passes, then one handler per kind.
#include <algorithm>

#include "consensus/engine.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

std::string from_text(uint32_t v) { return "from validator " + std::to_string(v); }

}  // namespace

Actions Engine::on_message(const Envelope& env, uint64_t now) {
  Actions out;
  if (halted_ || !started_ || epoch_finished()) return out;
  const uint32_t from = env.validator();
  // Checked before anything else: the index means another validator in another epoch's set.
  if (env.epoch() != cfg_.epoch) {
    reject(Rejection::kWrongEpoch, std::nullopt,
           "envelope of epoch " + std::to_string(env.epoch()) + " in epoch " +
               std::to_string(cfg_.epoch));
    if (env.epoch() > cfg_.epoch) newer_epoch_seen_ = std::max(newer_epoch_seen_, env.epoch());
    return out;
  }
  if (from >= n_) {
    reject(Rejection::kNotValidator, std::nullopt,
           "envelope claims validator " + std::to_string(from) + " of " + std::to_string(n_));
    return out;
  }
  if (from == cfg_.self) {
    reject(Rejection::kOwnMessage, from, "envelope carries this replica's own index");
    return out;
  }
  if (!verifier_.verify(from, envelope_digest(cfg_.chain_id, cfg_.epoch, env.payload()),
                        env.signature())) {
    reject(Rejection::kBadSignature, from, "envelope " + from_text(from));
    return out;
  }
  const auto msg = decode(env);
  if (!msg) {
    reject(Rejection::kMalformed, from, "payload " + from_text(from) + " does not decode");
    return out;
  }
  switch (msg->kind_case()) {
    case Message::kPrePrepare: on_pre_prepare(env, msg->pre_prepare(), now, out); break;
    case Message::kPrepare: on_prepare(env, msg->prepare(), now, out); break;
    case Message::kCommit: on_commit(env, msg->commit(), now, out); break;
    case Message::kCheckpoint: on_checkpoint(env, msg->checkpoint(), now, out); break;
    case Message::kViewChange: on_view_change(env, msg->view_change(), now, out); break;
    case Message::kNewView: on_new_view(env, msg->new_view(), now, out); break;
    case Message::kCommitted: on_committed(env, msg->committed(), now, out); break;
    case Message::KIND_NOT_SET: break;
  }
  finish(now, out);
  return out;
}

void Engine::help_laggard(uint32_t peer, uint64_t height, uint64_t view, uint64_t now,
                          Actions& out) {
  // Answers come only from this replica's own messages: peers accept envelopes only from the
  // validator that signed them.
  const bool old_commit = height > 0 && height <= committed_;
  // A peer still on an earlier view, or still changing to the view this replica already
  // entered (its NEW-VIEW was lost), needs the NEW-VIEW that started this view.
  const bool old_view = view <= view_ && active_ && primary() == cfg_.self && new_view_env_;
  if (!old_commit && !old_view) return;
  if (!may_help(peer, now)) return;
  if (old_view) out.push_back(Send{peer, *new_view_env_});
  if (old_commit) {
    // Our COMMIT completes its certificate if it only missed votes; a commit certificate
    // further ahead tells it to fetch blocks, which matters when nothing else is being sent.
    if (auto it = my_commits_.find(height); it != my_commits_.end()) {
      out.push_back(Send{peer, it->second});
    } else if (my_checkpoint_ && height <= my_checkpoint_height_) {
      out.push_back(Send{peer, *my_checkpoint_});
    }
    if (my_cert_ && my_cert_->height() >= height) {
      out.push_back(Send{peer, safety_.seal_committed(*my_cert_)});
    }
  }
}

void Engine::keep_certificate(const CommitCertificate& cert, Actions& out) {
  // Kept as this replica's own, because state transfer hands the engine no certificate: if the
  // ones who formed it fall silent, this replica is the one left to tell the others (help and
  // VIEW-CHANGE carry it), or replicas split across two heights, each side short of a quorum.
  // A replica holding the block commits it with this certificate (try_deliver).
  if (my_cert_ && my_cert_->height() >= cert.height()) return;
  Persist persist;
  put(persist, "cert", cert);
  out.push_back(std::move(persist));
  my_cert_ = cert;
}

void Engine::on_committed(const Envelope& env, const Committed& m, uint64_t now, Actions& out) {
  const uint32_t from = env.validator();
  heard_ms_[from] = now;
  if (m.probe()) {
    // Answered at most once per resend interval per peer, so probes cannot be used to make
    // this replica sign at someone else's pace.
    auto it = last_probe_answer_ms_.find(from);
    if (it == last_probe_answer_ms_.end() || now >= it->second + cfg_.resend_interval_ms) {
      last_probe_answer_ms_[from] = now;
      out.push_back(Send{from, safety_.seal_committed(my_cert_ ? *my_cert_ : CommitCertificate())});
    }
  }
  const CommitCertificate& cert = m.certificate();
  if (m.probe() && cert.height() == 0) return;  // a probe from a replica with nothing committed
  if (cert.height() <= committed_) {
    reject(Rejection::kStale, from,
           "certificate for committed height " + std::to_string(cert.height()));
    return;
  }
  const auto hash = crypto::hash_from_bytes(cert.block_hash());
  if (!hash) {
    reject(Rejection::kMalformed, from, "certificate block hash is not 32 bytes");
    return;
  }
  if (Status st = verify_commit_certificate(cfg_.chain_id, n_, cert, cert.height(), *hash,
                                            verifier_);
      !st) {
    reject(Rejection::kBadCertificate, from, st.message() + " " + from_text(from));
    return;
  }
  keep_certificate(cert, out);
  std::vector<uint32_t> sources{from};
  for (const CommitVote& v : cert.votes()) sources.push_back(v.validator());
  note_behind(cert.height(), sources);
  if (fetch_requested_to_ < catchup_target_) request_fetch(out);
}

void Engine::on_pre_prepare(const Envelope& env, const PrePrepare& m, uint64_t now,
                            Actions& out) {
  const uint32_t from = env.validator();
  const uint64_t h = m.height();
  if (m.view() != view_ || !active_) {
    help_laggard(from, 0, m.view(), now, out);
    reject(Rejection::kWrongView, from,
           "pre-prepare for view " + std::to_string(m.view()) + " in view " +
               std::to_string(view_) + (active_ ? "" : " (changing)"));
    return;
  }
  if (from != primary_of(view_, n_)) {
    reject(Rejection::kNotPrimary, from,
           "pre-prepare " + from_text(from) + " in view " + std::to_string(view_));
    return;
  }
  if (h <= committed_) {
    reject(Rejection::kStale, from, "pre-prepare for committed height " + std::to_string(h));
    return;
  }
  if (!admits(h)) {
    reject(Rejection::kOutsideWindow, from,
           "pre-prepare for height " + std::to_string(h) + ", window is (" +
               std::to_string(stable_) + ", " + std::to_string(stable_ + cfg_.window) + "]" +
               (cfg_.epoch_end ? " and epoch " + std::to_string(cfg_.epoch) + " ends at " +
                                     std::to_string(cfg_.epoch_end->last_height)
                               : std::string()));
    return;
  }
  if (h < first_fresh_) {
    reject(Rejection::kBelowNewView, from,
           "pre-prepare for height " + std::to_string(h) +
               "; this view's NEW-VIEW starts fresh blocks at " + std::to_string(first_fresh_));
    return;
  }
  if (auto it = slots_.find(h); it != slots_.end() && it->second.proposal) {
    if (it->second.proposal->checked.hash == block_hash(m.block())) {
      reject(Rejection::kDuplicate, from, "pre-prepare for height " + std::to_string(h));
    } else {
      send_evidence(from, "pre-prepare", view_, h, it->second.proposal->envelope, env, out);
    }
    return;
  }
  auto checked = check_proposal(cfg_, ProposalKind::kFresh, view_, h, m.block(), now);
  if (!checked) {
    reject(Rejection::kInvalidProposal, from, checked.status().message());
    return;
  }
  if (!check_vote(from, VoteKind::kPrepare, view_, h, checked->hash, m.prepare_signature())) {
    reject(Rejection::kBadVoteSignature, from, "pre-prepare's own prepare vote " + from_text(from));
    return;
  }
  Slot& slot = slots_[h];
  if (auto it = slot.prepares.find(from); it != slot.prepares.end() &&
                                          it->second.hash != checked->hash) {
    send_evidence(from, "prepare", view_, h, it->second.envelope, env, out);
    return;
  }
  Block block;
  block.set_header(m.block().header());
  *block.mutable_transactions() = m.block().transactions();
  const crypto::Hash hash = checked->hash;
  slot.proposal = Proposal{view_, std::move(block), std::move(checked).value(), env};
  slot.prepares[from] = Vote{view_, hash, m.prepare_signature(), env};
}

void Engine::on_prepare(const Envelope& env, const Prepare& m, uint64_t now, Actions& out) {
  const uint32_t from = env.validator();
  const uint64_t h = m.height();
  if (h <= committed_) {
    help_laggard(from, h, m.view(), now, out);
    reject(Rejection::kStale, from, "prepare for committed height " + std::to_string(h));
    return;
  }
  if (m.view() != view_ || !active_) {
    help_laggard(from, 0, m.view(), now, out);
    reject(Rejection::kWrongView, from,
           "prepare for view " + std::to_string(m.view()) + " in view " + std::to_string(view_));
    return;
  }
  if (!admits(h)) {
    reject(Rejection::kOutsideWindow, from, "prepare for height " + std::to_string(h));
    return;
  }
  const auto hash = crypto::hash_from_bytes(m.block_hash());
  if (!hash) {
    reject(Rejection::kMalformed, from, "prepare block hash is not 32 bytes");
    return;
  }
  if (!check_vote(from, VoteKind::kPrepare, view_, h, *hash, m.signature())) {
    reject(Rejection::kBadVoteSignature, from, "prepare vote " + from_text(from));
    return;
  }
  Slot& slot = slots_[h];
  if (auto it = slot.prepares.find(from); it != slot.prepares.end()) {
    if (it->second.hash == *hash) {
      reject(Rejection::kDuplicate, from, "prepare " + from_text(from));
    } else {
      send_evidence(from, "prepare", view_, h, it->second.envelope, env, out);
    }
    return;
  }
  slot.prepares[from] = Vote{view_, *hash, m.signature(), env};
}

void Engine::on_commit(const Envelope& env, const Commit& m, uint64_t now, Actions& out) {
  const uint32_t from = env.validator();
  const uint64_t h = m.height();
  if (h <= committed_) {
    help_laggard(from, h, m.view(), now, out);
    reject(Rejection::kStale, from, "commit for committed height " + std::to_string(h));
    return;
  }
  // A commit certificate proves finality in whatever view it formed, so COMMITs are collected
  // from any view: a replica that missed a view change can still learn what was decided.
  if (!admits(h)) {
    reject(Rejection::kOutsideWindow, from, "commit for height " + std::to_string(h));
    return;
  }
  const auto hash = crypto::hash_from_bytes(m.block_hash());
  if (!hash) {
    reject(Rejection::kMalformed, from, "commit block hash is not 32 bytes");
    return;
  }
  if (!check_vote(from, VoteKind::kCommit, m.view(), h, *hash, m.signature())) {
    reject(Rejection::kBadVoteSignature, from, "commit vote " + from_text(from));
    return;
  }
  Slot& slot = slots_[h];
  if (auto it = slot.commits.find(from); it != slot.commits.end()) {
    if (it->second.view == m.view()) {
      if (it->second.hash == *hash) {
        reject(Rejection::kDuplicate, from, "commit " + from_text(from));
      } else {
        send_evidence(from, "commit", m.view(), h, it->second.envelope, env, out);
      }
      return;
    }
    if (it->second.view > m.view()) {
      reject(Rejection::kStale, from, "commit from an earlier view " + from_text(from));
      return;
    }
  }
  slot.commits[from] = Vote{m.view(), *hash, m.signature(), env};
  if (h > committed_ + 1) {
    // Others are already deciding later heights: if this one is decided, we may be behind.
    if (auto cert = find_certificate(slot)) note_behind(h - 1, cert->voters);
  }
}

}  // namespace sharechain::consensus
