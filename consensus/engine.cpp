// The engine's inputs, the normal case (PRE-PREPARE, PREPARE, COMMIT, delivery), proposing and
// timers. Message handlers are in engine_messages.cpp, checkpoints in engine_checkpoint.cpp, view
// changes in engine_view_change.cpp and persistence in engine_persist.cpp.
#include "consensus/engine.hpp"

#include <algorithm>

#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

// Heights above the committed one whose messages a replica re-sends on each resend tick.
constexpr uint64_t kResendDepth = 4;

}  // namespace

const char* timer_name(TimerId id) {
  switch (id) {
    case TimerId::kBatch: return "batch";
    case TimerId::kRequest: return "request";
    case TimerId::kViewChange: return "view-change";
    case TimerId::kResend: return "resend";
  }
  return "unknown";
}

std::string describe(const Action& action) {
  struct Visitor {
    std::string operator()(const Send& a) const {
      auto m = decode(a.envelope);
      return "Send(to=" + std::to_string(a.to) + " " + (m ? summarize(*m) : "?") + ")";
    }
    std::string operator()(const Broadcast& a) const {
      auto m = decode(a.envelope);
      return "Broadcast(" + (m ? summarize(*m) : "?") + ")";
    }
    std::string operator()(const SetTimer& a) const {
      return std::string("SetTimer(") + timer_name(a.id) + " " + std::to_string(a.delay_ms) + "ms)";
    }
    std::string operator()(const CancelTimer& a) const {
      return std::string("CancelTimer(") + timer_name(a.id) + ")";
    }
    std::string operator()(const Persist& a) const {
      return "Persist(" + std::to_string(a.puts.size()) + " puts, " +
             std::to_string(a.deletes.size()) + " deletes)";
    }
    std::string operator()(const Deliver& a) const {
      return "Deliver(height=" + std::to_string(a.height) +
             " txs=" + std::to_string(a.block.transactions_size()) + ")";
    }
    std::string operator()(const FetchBlocks& a) const {
      return "FetchBlocks(" + std::to_string(a.from_height) + ".." + std::to_string(a.to_height) +
             ")";
    }
    std::string operator()(const Evidence& a) const {
      return "Evidence(" + a.kind + " validator=" + std::to_string(a.validator) +
             " view=" + std::to_string(a.view) + " height=" + std::to_string(a.height) + ")";
    }
    std::string operator()(const Halt& a) const { return "Halt(" + a.reason + ")"; }
  };
  return std::visit(Visitor{}, action);
}

Status validate_config(const Config& c) {
  if (c.chain_id.empty()) return Status::invalid_argument("config: chain_id is empty");
  if (c.validators.empty()) return Status::invalid_argument("config: no validators");
  for (size_t i = 0; i < c.validators.size(); ++i) {
    if (c.validators[i].public_key.size() != crypto::kPublicKeySize) {
      return Status::invalid_argument("config: validator " + std::to_string(i) +
                                      " public key is not 32 bytes");
    }
  }
  if (c.self >= c.validators.size()) {
    return Status::invalid_argument("config: self " + std::to_string(c.self) +
                                    " is not a validator index");
  }
  if (c.epoch == 0 && c.epoch_start != 0) {
    return Status::invalid_argument("config: epoch 0 starts at genesis, not at height " +
                                    std::to_string(c.epoch_start));
  }
  if (c.epoch_end && c.epoch_end->last_height <= c.epoch_start) {
    return Status::invalid_argument("config: epoch ends at height " +
                                    std::to_string(c.epoch_end->last_height) +
                                    ", not above its start " + std::to_string(c.epoch_start));
  }
  if (c.max_block_txs == 0 || c.max_block_bytes == 0) {
    return Status::invalid_argument("config: block limits must be positive");
  }
  // Two checkpoints fit in the window, so the primary can keep proposing while the next
  // checkpoint gathers its quorum, and a replica that lost its vote for one checkpoint (a crash)
  // still reaches the next one before the window closes.
  if (c.checkpoint_interval == 0 || c.window < 2 * c.checkpoint_interval) {
    return Status::invalid_argument(
        "config: checkpoint_interval must be positive and window at least twice as large");
  }
  // An hour bounds the back-off shift far below overflow.
  if (c.view_timeout_ms == 0 || c.view_timeout_ms > 3'600'000 || c.resend_interval_ms == 0) {
    return Status::invalid_argument(
        "config: view_timeout_ms must be in [1, 3600000] and resend_interval_ms positive");
  }
  return Status::ok();
}

Engine::Engine(Config config, Signer& signer, Verifier& verifier, Application& app,
               const std::map<std::string, std::string>& persisted, uint64_t last_height,
               const crypto::Hash& last_block_hash, const crypto::Hash& last_state_root,
               uint64_t last_timestamp_ms, const crypto::Hash& last_history,
               std::optional<TipFacts> tip)
    : cfg_(std::move(config)), safety_(cfg_, signer), verifier_(verifier), app_(app) {
  n_ = static_cast<uint32_t>(cfg_.validators.size());
  quorum_ = quorum_size(n_);
  weak_ = weak_quorum_size(n_);
  committed_ = last_height;
  committed_hash_ = last_block_hash;
  committed_ts_ = last_timestamp_ms;
  committed_hashes_[last_height] = last_block_hash;
  executed_ = last_height;
  if (tip && last_height > 0) {
    committed_state_height_ = tip->state_height;
    // An empty tip is normally the certifying block of the height below it; should it be
    // anything else, assuming that height had transactions costs at most one empty block.
    last_tx_height_ = tip->has_transactions ? last_height : last_height - 1;
  } else {
    last_tx_height_ = last_height;  // unknown: as if the tip had transactions
  }
  executed_roots_[last_height] = last_state_root;
  executed_history_[last_height] = last_history;
  committed_at_last_tick_ = last_height;
  set_hash_ = validator_set_hash(cfg_.validators);
  init_status_ = validate_config(cfg_);
  if (!init_status_) return;
  // Records are an epoch's: a replica that switched keeps nothing of the engine before (its
  // heights are all committed and executed here), and one whose records are from a later epoch
  // than its store cannot trust either.
  uint64_t persisted_epoch = 0;
  if (auto it = persisted.find("epoch"); it != persisted.end()) {
    PersistedEpoch record;
    if (!record.ParseFromString(it->second)) {
      init_status_ = Status::internal("persisted consensus record 'epoch' does not decode");
      return;
    }
    persisted_epoch = record.epoch();
  }
  if (persisted_epoch > cfg_.epoch) {
    init_status_ = Status::internal(
        "persisted consensus state is from epoch " + std::to_string(persisted_epoch) +
        ", but the node's store is in epoch " + std::to_string(cfg_.epoch));
    return;
  }
  if (last_height < cfg_.epoch_start) {
    init_status_ = Status::internal("the node's store is at height " + std::to_string(last_height) +
                                    ", below the start of epoch " + std::to_string(cfg_.epoch) +
                                    " at " + std::to_string(cfg_.epoch_start));
    return;
  }
  if (persisted_epoch < cfg_.epoch) {
    // The old "epoch" record is not deleted but overwritten by start(): a store applies a
    // Persist's deletes after its puts, so deleting it would drop the new record with it, and
    // after a restart this epoch's own votes and proposals would look stale and be forgotten
    // (found by the simulator: a primary restarted in epoch 2 proposed height 105 twice).
    for (const auto& [key, value] : persisted) {
      if (key != "epoch") stale_keys_.push_back(key);
    }
    write_epoch_record_ = true;
    init_status_ = restore({});
  } else {
    init_status_ = restore(persisted);
  }
  // The epoch's first block is final and held by every validator of the epoch: its low
  // watermark, with no checkpoint proof (the set before certified it).
  if (stable_ < cfg_.epoch_start) {
    stable_ = cfg_.epoch_start;
    stable_proof_ = CheckpointProof();
  }
}

Actions Engine::set_epoch_end(const EpochEnd& end, uint64_t now) {
  Actions out;
  if (halted_) return out;
  if (cfg_.epoch_end && end.last_height > cfg_.epoch_end->last_height) return out;
  if (end.last_height <= cfg_.epoch_start || end.last_height < committed_) {
    halt("epoch " + std::to_string(cfg_.epoch) + " cannot end at height " +
             std::to_string(end.last_height) + ": it starts above " +
             std::to_string(cfg_.epoch_start) + " and this replica committed up to " +
             std::to_string(committed_),
         out);
    return out;
  }
  // The window keeps every vote on the last height after the change that sets its hash; a vote
  // already there means the host reported the change late, and signing on would contradict it.
  if (auto it = slots_.find(end.last_height);
      it != slots_.end() && it->second.prepare_sent && it->second.proposal &&
      it->second.proposal->checked.header.next_validator_set_hash() !=
          crypto::hash_bytes(end.next_set_hash)) {
    halt("the validator-set change ending epoch " + std::to_string(cfg_.epoch) + " at height " +
             std::to_string(end.last_height) + " arrived after this replica voted on that height",
         out);
    return out;
  }
  cfg_.epoch_end = end;
  if (started_) finish(now, out);
  return out;
}

std::string Engine::expected_next_set_hash(uint64_t height) const {
  if (cfg_.epoch_end && height == cfg_.epoch_end->last_height) {
    return crypto::hash_bytes(cfg_.epoch_end->next_set_hash);
  }
  return {};
}

std::vector<Tx> Engine::pending_transactions() const {
  std::vector<Tx> out;
  out.reserve(queue_.size());
  for (const auto& [seq, p] : queue_) out.push_back(p.tx);
  return out;
}

uint32_t Engine::primary() const { return primary_of(view_, n_); }

Actions Engine::start(uint64_t now) {
  Actions out;
  if (started_ || halted_) return out;
  started_ = true;
  if (!init_status_) {
    halt(init_status_.message(), out);
    return out;
  }
  if (write_epoch_record_ || (cfg_.epoch > 0 && persisted_keys_.count("epoch") == 0)) {
    Persist p;
    p.deletes = std::move(stale_keys_);
    stale_keys_.clear();
    PersistedEpoch record;
    record.set_epoch(cfg_.epoch);
    put(p, "epoch", record);
    out.push_back(std::move(p));
    write_epoch_record_ = false;
  }
  // Blocks this replica committed (and persisted) before a restart but the node never executed.
  for (auto it = redeliver_.find(committed_ + 1); it != redeliver_.end();
       it = redeliver_.find(committed_ + 1)) {
    const uint64_t h = it->first;
    auto checked = check_proposal(cfg_, ProposalKind::kReproposal, UINT64_MAX, h, it->second, now);
    if (!checked ||
        !check_extends(checked->header, Parent{committed_, committed_hash_, committed_ts_, {}})) {
      halt("persisted block at height " + std::to_string(h) +
               " does not extend the committed chain",
           out);
      return out;
    }
    const Block block = it->second;
    out.push_back(Deliver{block, checked->hash, h});
    if (!my_cert_ || my_cert_->height() < h) my_cert_ = block.certificate();
    committed_ = h;
    committed_hash_ = checked->hash;
    committed_ts_ = checked->header.timestamp_ms();
    committed_state_height_ = checked->header.state_height();
    committed_hashes_[h] = checked->hash;
    if (!checked->tx_hashes.empty()) last_tx_height_ = h;
    const uint64_t sh = checked->header.state_height();
    if (sh > executed_) {
      certified_roots_[sh] = *crypto::hash_from_bytes(checked->header.state_root());
      if (auto history = crypto::hash_from_bytes(checked->header.history_root())) certified_history_[sh] = *history;
    }
    recent_txs_[h] = checked->tx_hashes;
    recent_tx_set_.insert(checked->tx_hashes.begin(), checked->tx_hashes.end());
    slots_.erase(h);
  }
  redeliver_.clear();
  // The checkpoint vote for the last executed height may have been lost with the crash, and
  // without it the checkpoint may never become stable.
  maybe_send_checkpoint(executed_, out, /*restarted=*/true);
  if (my_cert_ && my_cert_->height() > committed_) {
    std::vector<uint32_t> voters;
    for (const CommitVote& v : my_cert_->votes()) voters.push_back(v.validator());
    note_behind(my_cert_->height(), voters);
    request_fetch(out);
  }
  if (!active_) {
    auto vc = make_view_change(view_);
    if (!vc) {
      halt("the safety rules refused this replica's VIEW-CHANGE: " + vc.refused().message, out);
      return out;
    }
    my_view_change_ = vc->envelope;
    if (auto s = verify_view_change(cfg_.chain_id, n_, cfg_.self,
                                    decode(*my_view_change_)->view_change(), verifier_)) {
      view_changes_[cfg_.self] = StoredViewChange{view_, *my_view_change_, *s};
    }
    broadcast_signed(std::move(vc).value(), out);
  } else if (primary() == cfg_.self) {
    for (auto& [h, slot] : slots_) {
      if (h > committed_ && slot.proposal && slot.proposal->envelope.validator() == cfg_.self) {
        out.push_back(Broadcast{slot.proposal->envelope});
      }
    }
  }
  finish(now, out);
  return out;
}

Actions Engine::on_timer(TimerId id, uint64_t now) {
  Actions out;
  if (halted_ || !started_ || epoch_finished()) return out;
  switch (id) {
    case TimerId::kBatch:
      batch_armed_ = false;  // finish() proposes what is due
      break;
    case TimerId::kRequest:
      request_armed_ = false;
      if (active_ && has_outstanding_work()) start_view_change(view_ + 1, out);
      break;
    case TimerId::kViewChange:
      view_change_armed_ = false;
      if (!active_) start_view_change(view_ + 1, out);
      break;
    case TimerId::kResend:
      resend_armed_ = false;
      resend(now, out);
      break;
  }
  finish(now, out);
  return out;
}

Actions Engine::on_request(std::vector<Tx> txs, uint64_t now) {
  Actions out;
  if (halted_ || !started_) return out;
  for (Tx& tx : txs) {
    if (queue_index_.count(tx.hash) != 0 || recent_tx_set_.count(tx.hash) != 0) continue;
    if (tx.bytes.size() > cfg_.max_block_bytes) {
      reject(Rejection::kOversizedRequest, std::nullopt,
             "a " + std::to_string(tx.bytes.size()) + "-byte transaction can never fit in a block");
      continue;
    }
    const uint64_t seq = next_seq_++;
    if (in_block_.count(tx.hash) == 0) {
      eligible_.insert(seq);
      eligible_bytes_ += tx.bytes.size();
    }
    queue_index_[tx.hash] = seq;
    queue_.emplace(seq, Pending{std::move(tx), now});
  }
  finish(now, out);
  return out;
}

Actions Engine::on_executed(uint64_t height, const crypto::Hash& state_root, const crypto::Hash& history,
                            uint64_t now) {
  Actions out;
  if (halted_ || !started_) return out;
  if (height <= executed_) {
    reject(Rejection::kStale, std::nullopt,
           "height " + std::to_string(height) + " was already executed");
    return out;
  }
  if (height > committed_) {
    reject(Rejection::kNotCommitted, std::nullopt,
           "executed height " + std::to_string(height) + " is above the committed height " +
               std::to_string(committed_));
    return out;
  }
  if (disagrees_with_certified(height, state_root, history, "this replica computed", out)) return out;
  record_executed(height, state_root, history, out);
  executed_at_ms_ = now;
  finish(now, out);
  return out;
}

Actions Engine::on_state_transferred(uint64_t height, const crypto::Hash& hash,
                                     const crypto::Hash& state_root, uint64_t timestamp_ms,
                                     uint64_t now, const crypto::Hash& history) {
  Actions out;
  if (halted_ || !started_) return out;
  if (height <= committed_) {
    // The node fetched and executed blocks that this engine committed meanwhile: its Deliver
    // found them already stored, so this report is the only news that they were executed.
    if (height > executed_) {
      auto known = committed_hashes_.find(height);
      if (known != committed_hashes_.end() && known->second != hash) {
        halt("state transfer executed block " + crypto::to_hex(hash) + " at height " +
                 std::to_string(height) + ", this replica committed " +
                 crypto::to_hex(known->second),
             out);
        return out;
      }
      if (disagrees_with_certified(height, state_root, history, "state transfer produced", out)) return out;
      fetch_requested_to_ = 0;
      record_executed(height, state_root, history, out);
      executed_at_ms_ = now;
      finish(now, out);
      return out;
    }
    reject(Rejection::kStale, std::nullopt,
           "state transfer to height " + std::to_string(height) +
               " is not above the committed height " + std::to_string(committed_));
    return out;
  }
  committed_ = height;
  committed_hash_ = hash;
  committed_ts_ = timestamp_ms;
  committed_state_height_.reset();
  committed_hashes_[height] = hash;
  last_tx_height_ = std::max(last_tx_height_, height);  // the blocks went by unseen
  progressed_ = true;
  slots_.erase(slots_.begin(), slots_.upper_bound(height));
  certified_roots_.erase(certified_roots_.begin(), certified_roots_.upper_bound(height));
  certified_history_.erase(certified_history_.begin(), certified_history_.upper_bound(height));
  safety_.forget_through(height);
  fetch_requested_to_ = 0;
  record_executed(height, state_root, history, out);
  executed_at_ms_ = now;
  finish(now, out);
  return out;
}

Actions Engine::probe_peers(uint64_t /*now*/) {
  Actions out;
  if (halted_ || !started_ || n_ == 1) return out;
  out.push_back(
      Broadcast{safety_.seal_committed(my_cert_ ? *my_cert_ : CommitCertificate(), /*probe=*/true)});
  return out;
}

size_t Engine::peers_heard(uint64_t now, uint64_t window_ms) const {
  size_t heard = 0;
  for (const auto& [peer, at] : heard_ms_) {
    if (at + window_ms >= now) ++heard;
  }
  return heard;
}

bool Engine::in_touch(uint64_t now, uint64_t window_ms) const {
  return peers_heard(now, window_ms) >= peers_needed();
}

Actions Engine::on_transactions_committed(const std::vector<crypto::Hash>& hashes, uint64_t now) {
  Actions out;
  if (halted_ || !started_) return out;
  drop_requests(hashes);
  recent_txs_[committed_].insert(recent_txs_[committed_].end(), hashes.begin(), hashes.end());
  recent_tx_set_.insert(hashes.begin(), hashes.end());
  finish(now, out);
  return out;
}

bool Engine::disagrees_with_certified(uint64_t height, const crypto::Hash& root, const crypto::Hash& history,
                                      const char* how, Actions& out) {
  if (auto it = certified_roots_.find(height); it != certified_roots_.end() && it->second != root) {
    halt("state root disagreement at height " + std::to_string(height) + ": a committed block " +
             "certifies " + crypto::to_hex(it->second) + ", " + how + " " + crypto::to_hex(root),
         out);
    return true;
  }
  if (auto it = certified_history_.find(height); it != certified_history_.end() && it->second != history) {
    halt("history disagreement at height " + std::to_string(height) + ": a committed block " +
             "certifies receipts chained to " + crypto::to_hex(it->second) + ", " + how + " " +
             crypto::to_hex(history),
         out);
    return true;
  }
  return false;
}

void Engine::record_executed(uint64_t height, const crypto::Hash& root, const crypto::Hash& history,
                             Actions& out) {
  executed_ = height;
  executed_roots_[height] = root;
  executed_history_[height] = history;
  // Proposals may certify a root up to a window behind; older roots are of no further use.
  if (height > cfg_.window + cfg_.checkpoint_interval) {
    const uint64_t keep_from = height - cfg_.window - cfg_.checkpoint_interval;
    executed_roots_.erase(executed_roots_.begin(), executed_roots_.lower_bound(keep_from));
    executed_history_.erase(executed_history_.begin(), executed_history_.lower_bound(keep_from));
  }
  certified_roots_.erase(certified_roots_.begin(), certified_roots_.upper_bound(height));
  certified_history_.erase(certified_history_.begin(), certified_history_.upper_bound(height));
  Persist p;
  erase_below(p, height);
  if (!p.deletes.empty()) out.push_back(std::move(p));
  maybe_send_checkpoint(height, out);
  adopt_proven_checkpoint(out);
  if (halted_) return;
  std::vector<uint64_t> waiting;
  for (const auto& [h, votes] : checkpoint_votes_) {
    if (h <= height) waiting.push_back(h);
  }
  for (uint64_t h : waiting) {
    if (halted_) return;
    check_checkpoint(h, out);
  }
}

// ---------------------------------------------------------------------------------------------
// The normal case.

void Engine::finish(uint64_t now, Actions& out) {
  // A new proposal may be decidable at once (n = 1: this replica's own votes are a quorum), and
  // a decision may make the next proposal possible, so alternate until neither moves.
  bool proposed = true;
  while (proposed) {
    if (halted_) return;
    advance(now, out);
    if (halted_) return;
    proposed = maybe_propose(now, out);
  }
  if (halted_) return;
  update_timers(now, out);
}

void Engine::advance(uint64_t now, Actions& out) {
  (void)now;
  while (!halted_) {
    const uint64_t h = committed_ + 1;
    auto it = slots_.find(h);
    if (it == slots_.end()) {
      // A restart lost the log, but the block may still be in the kept prepared certificate,
      // and a certificate for it in my_cert_ (see try_deliver).
      const auto& prepared = safety_.prepared();
      if (!my_cert_ || my_cert_->height() != h || !prepared || prepared->height() != h) return;
      it = slots_.try_emplace(h).first;
    }
    Slot& slot = it->second;
    if (active_) {
      maybe_prepare(h, slot, out);
      if (halted_) return;
      maybe_commit_vote(h, slot, out);
    }
    if (!try_deliver(h, slot, out)) return;
  }
}

void Engine::maybe_prepare(uint64_t h, Slot& slot, Actions& out) {
  if (!slot.proposal || slot.prepare_sent || !slot.rejected.empty()) return;
  const Proposal& p = *slot.proposal;
  const BlockHeader& header = p.checked.header;
  // The pipelining rule: PREPARE for h only on top of the committed block h-1.
  const Parent parent{committed_, committed_hash_, committed_ts_, committed_state_height_};
  const uint32_t proposer = p.envelope.validator();
  if (Status st = check_extends(header, parent); !st) {
    slot.rejected = st.message();
    reject(Rejection::kInvalidProposal, proposer, st.message());
    return;
  }
  // An empty block proposed in this view must certify something (a re-proposed one was
  // prepared by a quorum already).
  if (p.block.transactions_size() == 0 && header.view() == p.view) {
    if (Status st = check_certifying(header, parent, last_tx_height_); !st) {
      slot.rejected = st.message();
      reject(Rejection::kInvalidProposal, proposer, st.message());
      return;
    }
  }
  if (header.next_validator_set_hash() != expected_next_set_hash(h)) {
    slot.rejected = "proposal at height " + std::to_string(h) + " names next validator set " +
                    (header.next_validator_set_hash().empty()
                         ? std::string("none")
                         : crypto::to_hex(header.next_validator_set_hash())) +
                    ", this replica expects " +
                    (expected_next_set_hash(h).empty()
                         ? std::string("none (epoch " + std::to_string(cfg_.epoch) +
                                       " does not end there)")
                         : crypto::to_hex(expected_next_set_hash(h)));
    reject(Rejection::kInvalidProposal, proposer, slot.rejected);
    return;
  }
  const uint64_t sh = header.state_height();
  if (sh > executed_) return;  // wait until this replica has executed that height
  if (auto it = executed_roots_.find(sh);
      it != executed_roots_.end() && crypto::hash_bytes(it->second) != header.state_root()) {
    slot.rejected = "proposal at height " + std::to_string(h) + " certifies state root " +
                    crypto::to_hex(header.state_root()) + " for height " + std::to_string(sh) +
                    ", this replica computed " + crypto::to_hex(it->second);
    reject(Rejection::kInvalidProposal, proposer, slot.rejected);
    return;
  }
  if (auto it = executed_history_.find(sh);
      it != executed_history_.end() && crypto::hash_bytes(it->second) != header.history_root()) {
    slot.rejected = "proposal at height " + std::to_string(h) + " certifies history " +
                    crypto::to_hex(header.history_root()) + " for height " + std::to_string(sh) +
                    ", this replica computed " + crypto::to_hex(it->second);
    reject(Rejection::kInvalidProposal, proposer, slot.rejected);
    return;
  }
  if (Status st = app_.validate_proposal(header, p.block); !st) {
    slot.rejected = "application refused proposal at height " + std::to_string(h) + ": " +
                    st.message();
    reject(Rejection::kInvalidProposal, proposer, slot.rejected);
    return;
  }
  const crypto::Hash& hash = p.checked.hash;
  auto vote = safety_.sign_prepare(view_, h, hash);
  if (!vote) {
    // Another block was prepared here before a restart; anything else is a broken invariant.
    if (vote.refused().reason != Refusal::kConflictingVote) {
      halt("the safety rules refused a PREPARE: " + vote.refused().message, out);
      return;
    }
    slot.rejected = vote.refused().message;
    reject(Rejection::kConflictingVote, std::nullopt, slot.rejected);
    return;
  }
  slot.prepares[cfg_.self] = Vote{view_, hash, vote->vote, vote->envelope};
  slot.prepare_sent = true;
  slot.my_prepare = vote->envelope;
  broadcast_signed(std::move(vote).value(), out);
}

void Engine::maybe_commit_vote(uint64_t h, Slot& slot, Actions& out) {
  if (!slot.proposal || !slot.prepare_sent || slot.commit_sent || !slot.rejected.empty()) return;
  const Proposal& p = *slot.proposal;
  const crypto::Hash& hash = p.checked.hash;
  std::vector<uint32_t> voters;
  for (const auto& [v, vote] : slot.prepares) {
    if (vote.view == view_ && vote.hash == hash) voters.push_back(v);
  }
  if (voters.size() < quorum_) return;
  PreparedCertificate pc;
  pc.set_view(view_);
  pc.set_height(h);
  pc.mutable_block()->set_header(p.block.header());
  *pc.mutable_block()->mutable_transactions() = p.block.transactions();
  for (uint32_t v : voters) {
    auto* vote = pc.add_votes();
    vote->set_validator(v);
    vote->set_signature(slot.prepares.at(v).signature);
  }
  // The safety rules persist the prepared certificate before the COMMIT leaves: a later
  // VIEW-CHANGE has to report it (see view_change.hpp for why).
  auto commit = safety_.sign_commit(std::move(pc));
  if (!commit) {
    // Another block was committed here before a restart; anything else is a broken invariant.
    if (commit.refused().reason != Refusal::kConflictingVote) {
      halt("the safety rules refused a COMMIT: " + commit.refused().message, out);
      return;
    }
    slot.rejected = commit.refused().message;
    reject(Rejection::kConflictingVote, std::nullopt, slot.rejected);
    return;
  }
  slot.commit_sent = true;
  slot.commits[cfg_.self] = Vote{view_, hash, commit->vote, commit->envelope};
  my_commits_[h] = commit->envelope;
  broadcast_signed(std::move(commit).value(), out);
}

std::optional<Engine::Certificate> Engine::find_certificate(const Slot& slot) const {
  std::map<std::pair<uint64_t, crypto::Hash>, std::vector<uint32_t>> groups;
  for (const auto& [v, vote] : slot.commits) groups[{vote.view, vote.hash}].push_back(v);
  for (auto& [key, voters] : groups) {
    if (voters.size() >= quorum_) return Certificate{key.first, key.second, std::move(voters)};
  }
  return std::nullopt;
}

const Engine::Proposal* Engine::find_block(const Slot& slot, uint64_t h, const crypto::Hash& hash) {
  if (slot.proposal && slot.proposal->checked.hash == hash) return &*slot.proposal;
  if (auto it = slot.earlier.find(hash); it != slot.earlier.end()) return &it->second;
  const auto& prepared = safety_.prepared();
  if (prepared && prepared->height() == h && block_hash(prepared->block()) == hash) {
    auto checked =
        check_proposal(cfg_, ProposalKind::kReproposal, UINT64_MAX, h, prepared->block(), 0);
    if (!checked) return nullptr;
    Slot& mutable_slot = slots_[h];
    Proposal p{prepared->view(), prepared->block(), std::move(checked).value(), Envelope{}};
    return &mutable_slot.earlier.emplace(hash, std::move(p)).first->second;
  }
  return nullptr;
}

bool Engine::try_deliver(uint64_t h, Slot& slot, Actions& out) {
  CommitCertificate c;
  const Proposal* p = nullptr;
  if (const auto cert = find_certificate(slot)) {
    p = find_block(slot, h, cert->hash);
    if (p == nullptr) {
      note_behind(h, cert->voters);  // a quorum committed a block this replica never saw
      return false;
    }
    c.set_height(h);
    c.set_view(cert->view);
    c.set_block_hash(crypto::hash_bytes(cert->hash));
    for (uint32_t v : cert->voters) {
      CommitVote* vote = c.add_votes();
      vote->set_validator(v);
      vote->set_signature(slot.commits.at(v).signature);
    }
  } else if (my_cert_ && my_cert_->height() == h) {
    // A verified certificate for the next height that came whole (a COMMITTED message, a
    // VIEW-CHANGE or NEW-VIEW proof) rather than as COMMIT votes, for a block this replica
    // holds. It proves the block final exactly as it does for state transfer, so commit it
    // here: the replicas that stored the block may be exactly the ones that fell silent (a
    // twin's instance, say), and then every replica that holds the block but never gathered
    // the COMMITs themselves would ask state transfer for it for ever, and each new view
    // would again start fresh blocks above a height nobody can fetch.
    const auto hash = crypto::hash_from_bytes(my_cert_->block_hash());
    if (!hash) return false;
    p = find_block(slot, h, *hash);
    if (p == nullptr) return false;  // only state transfer can bring it
    c = *my_cert_;
  } else {
    return false;
  }
  const Proposal proposal = *p;
  deliver(h, proposal, std::move(c), out);
  if (halted_) return false;
  slots_.erase(h);
  return true;
}

void Engine::deliver(uint64_t h, const Proposal& p, CommitCertificate cert, Actions& out) {
  const BlockHeader& header = p.checked.header;
  // A certificate for a block off our chain means more than f validators are faulty.
  if (Status st = check_extends(header, Parent{committed_, committed_hash_, committed_ts_, {}});
      !st) {
    halt("a quorum committed a block that does not extend this replica's chain: " + st.message(),
         out);
    return;
  }
  const crypto::Hash hash = p.checked.hash;
  Block block;
  block.set_header(p.block.header());
  *block.mutable_transactions() = p.block.transactions();
  CommitCertificate* c = block.mutable_certificate();
  *c = std::move(cert);
  // Persisted so that a crash before the node executes it still lets us re-deliver it.
  Persist persist;
  put(persist, height_key("blk/", h), block);
  put(persist, "cert", *c);
  out.push_back(std::move(persist));
  my_cert_ = *c;
  out.push_back(Deliver{std::move(block), hash, h});

  committed_ = h;
  committed_hash_ = hash;
  committed_ts_ = header.timestamp_ms();
  committed_state_height_ = header.state_height();
  committed_hashes_[h] = hash;
  if (!p.checked.tx_hashes.empty()) last_tx_height_ = h;
  progressed_ = true;
  const uint64_t sh = header.state_height();
  const crypto::Hash claimed = *crypto::hash_from_bytes(header.state_root());
  if (auto it = executed_roots_.find(sh); it != executed_roots_.end()) {
    if (it->second != claimed) {
      halt("state root disagreement at height " + std::to_string(sh) + ": committed block " +
               std::to_string(h) + " certifies " + crypto::to_hex(claimed) +
               ", this replica computed " + crypto::to_hex(it->second),
           out);
      return;
    }
  } else if (sh > executed_) {
    certified_roots_[sh] = claimed;
  }
  // Blocks certified before history_root existed carry none; there is nothing to compare.
  if (auto history = crypto::hash_from_bytes(header.history_root())) {
    if (auto it = executed_history_.find(sh); it != executed_history_.end()) {
      if (it->second != *history) {
        halt("history disagreement at height " + std::to_string(sh) + ": committed block " +
                 std::to_string(h) + " certifies " + crypto::to_hex(*history) +
                 ", this replica computed " + crypto::to_hex(it->second),
             out);
        return;
      }
    } else if (sh > executed_) {
      certified_history_[sh] = *history;
    }
  }
  drop_requests(p.checked.tx_hashes);
  recent_txs_[h] = p.checked.tx_hashes;
  recent_tx_set_.insert(p.checked.tx_hashes.begin(), p.checked.tx_hashes.end());
  while (!recent_txs_.empty() && recent_txs_.begin()->first + cfg_.window < h) {
    for (const crypto::Hash& t : recent_txs_.begin()->second) recent_tx_set_.erase(t);
    recent_txs_.erase(recent_txs_.begin());
  }
  safety_.forget_through(h);
}

// ---------------------------------------------------------------------------------------------
// Proposing.

std::optional<Parent> Engine::next_parent() const {
  Parent parent{committed_, committed_hash_, committed_ts_, committed_state_height_};
  for (auto it = slots_.upper_bound(committed_); it != slots_.end(); ++it) {
    if (it->first != parent.height + 1 || !it->second.proposal) break;
    const Proposal& p = *it->second.proposal;
    parent = Parent{it->first, p.checked.hash, p.checked.header.timestamp_ms(),
                    p.checked.header.state_height()};
  }
  // After a NEW-VIEW this replica may not yet hold the blocks the new view builds on.
  if (parent.height + 1 < first_fresh_) return std::nullopt;
  return parent;
}

bool Engine::maybe_propose(uint64_t now, Actions& out) {
  if (!active_ || primary() != cfg_.self) return false;
  bool proposed = false;
  while (!eligible_.empty() && !halted_) {
    const auto parent = next_parent();
    if (!parent || !admits(parent->height + 1)) return proposed;
    // A proposal certifies the proposer's latest executed state, which may not go backwards.
    if (parent->state_height && *parent->state_height > executed_) return proposed;
    const bool full = eligible_.size() >= cfg_.max_block_txs || eligible_bytes_ >= cfg_.max_block_bytes;
    const uint64_t oldest = queue_.at(*eligible_.begin()).arrival_ms;
    const bool due = oldest + cfg_.batch_delay_ms <= now;
    if (!full && !due) return proposed;
    propose(*parent, now, out);
    proposed = true;
  }
  if (!proposed && !halted_) {
    if (const auto parent = certifying_parent(); parent && certify_due_ms() <= now) {
      propose(*parent, now, out);
      proposed = true;
    }
  }
  return proposed;
}

std::optional<Parent> Engine::certifying_parent() const {
  if (!active_ || primary() != cfg_.self || !eligible_.empty()) return std::nullopt;
  // Only on a quiet tip: nothing in flight above the committed block, whose certified state
  // height is known (after a restart it is not until the next commit) and below the last block
  // with transactions, which this replica has executed (so the empty block certifies it).
  const auto parent = next_parent();
  if (!parent || parent->height != committed_ || !committed_state_height_) return std::nullopt;
  if (*committed_state_height_ >= last_tx_height_ || executed_ < last_tx_height_) return std::nullopt;
  if (!admits(parent->height + 1)) return std::nullopt;
  return parent;
}

void Engine::propose(const Parent& parent, uint64_t now, Actions& out) {
  const uint64_t h = parent.height + 1;
  Block block;
  std::vector<crypto::Hash> hashes;
  uint64_t bytes = 0;
  for (const uint64_t seq : eligible_) {
    const Pending& pending = queue_.at(seq);
    if (hashes.size() >= cfg_.max_block_txs) break;
    if (bytes + pending.tx.bytes.size() > cfg_.max_block_bytes) break;
    bytes += pending.tx.bytes.size();
    hashes.push_back(pending.tx.hash);
    block.add_transactions(pending.tx.bytes);
  }
  BlockHeader header;
  header.set_chain_id(cfg_.chain_id);
  header.set_height(h);
  header.set_view(view_);
  header.set_prev_hash(crypto::hash_bytes(parent.hash));
  header.set_timestamp_ms(std::max(now, parent.timestamp_ms + 1));
  header.set_tx_root(crypto::hash_bytes(crypto::merkle_root(hashes)));
  header.set_signed_tx_root(crypto::hash_bytes(signed_transactions_root(block)));
  header.set_state_height(executed_);
  header.set_state_root(crypto::hash_bytes(executed_roots_.at(executed_)));
  header.set_history_root(crypto::hash_bytes(executed_history_.at(executed_)));
  header.set_proposer(cfg_.self);
  header.set_epoch(cfg_.epoch);
  header.set_validator_set_hash(crypto::hash_bytes(set_hash_));
  header.set_next_validator_set_hash(expected_next_set_hash(h));
  header.SerializeToString(block.mutable_header());  // serialized once: these bytes are hashed

  const crypto::Hash hash = block_hash(block);
  // The safety rules persist the proposal first, so a restarted primary re-sends this block
  // rather than proposing another one for the same view and height (equivocation).
  auto proposal = safety_.sign_proposal(view_, h, block);
  if (!proposal) {
    halt("the safety rules refused this primary's proposal: " + proposal.refused().message, out);
    return;
  }
  const Envelope env = proposal->envelope;
  const std::string vote = proposal->vote;
  broadcast_signed(std::move(proposal).value(), out);

  mark_in_block(hashes);
  Slot& slot = slots_[h];
  CheckedBlock checked{header, hash, hashes};
  slot.proposal = Proposal{view_, std::move(block), std::move(checked), env};
  slot.prepares[cfg_.self] = Vote{view_, hash, vote, env};
  slot.prepare_sent = true;
}

// ---------------------------------------------------------------------------------------------
// Pending requests.

void Engine::drop_requests(const std::vector<crypto::Hash>& hashes) {
  for (const crypto::Hash& h : hashes) {
    in_block_.erase(h);
    auto idx = queue_index_.find(h);
    if (idx == queue_index_.end()) continue;
    auto it = queue_.find(idx->second);
    if (eligible_.erase(it->first) != 0) eligible_bytes_ -= it->second.tx.bytes.size();
    queue_.erase(it);
    queue_index_.erase(idx);
  }
}

void Engine::mark_in_block(const std::vector<crypto::Hash>& hashes) {
  for (const crypto::Hash& h : hashes) {
    in_block_.insert(h);
    auto idx = queue_index_.find(h);
    if (idx == queue_index_.end()) continue;
    if (eligible_.erase(idx->second) == 0) continue;
    eligible_bytes_ -= queue_.at(idx->second).tx.bytes.size();
  }
}

void Engine::reset_in_block() {
  in_block_.clear();
  eligible_.clear();
  eligible_bytes_ = 0;
  for (const auto& [seq, p] : queue_) {
    eligible_.insert(eligible_.end(), seq);
    eligible_bytes_ += p.tx.bytes.size();
  }
}

// ---------------------------------------------------------------------------------------------
// Timers, re-sending and catching up.

bool Engine::has_outstanding_work() const {
  if (!queue_.empty()) return true;
  for (auto it = slots_.upper_bound(committed_); it != slots_.end(); ++it) {
    if (it->second.proposal) return true;
  }
  return false;
}

void Engine::update_timers(uint64_t now, Actions& out) {
  // Batch: the primary waits for the oldest unproposed request's delay to run out.
  bool want_batch = false;
  uint64_t batch_delay = 0;
  if (active_ && primary() == cfg_.self && !eligible_.empty()) {
    const auto parent = next_parent();
    if (parent && admits(parent->height + 1)) {
      const uint64_t due = queue_.at(*eligible_.begin()).arrival_ms + cfg_.batch_delay_ms;
      if (due > now) {
        want_batch = true;
        batch_delay = due - now;
      }
    }
  } else if (certifying_parent() && certify_due_ms() > now) {
    // The certifying block waits as long as a request would, so that a transaction arriving
    // meanwhile makes it unnecessary.
    want_batch = true;
    batch_delay = certify_due_ms() - now;
  }
  if (want_batch && !batch_armed_) {
    out.push_back(SetTimer{TimerId::kBatch, batch_delay});
    batch_armed_ = true;
  } else if (!want_batch && batch_armed_) {
    out.push_back(CancelTimer{TimerId::kBatch});
    batch_armed_ = false;
  }

  // The back-off ends once a view has committed everything outstanding. Ending it at the first
  // commit instead would let a timeout shorter than a block's round trip (a slow network)
  // commit one block per view change for ever: the timeout has to grow until a view drains.
  const bool want_request = active_ && has_outstanding_work();
  if (active_ && !want_request) failed_views_ = 0;
  const bool progressed = progressed_;
  // Request watchdog: restarted on every commit, so it measures time without progress.
  if (want_request && (!request_armed_ || progressed_)) {
    out.push_back(SetTimer{TimerId::kRequest, backoff_timeout(cfg_.view_timeout_ms, failed_views_)});
    request_armed_ = true;
  } else if (!want_request && request_armed_) {
    out.push_back(CancelTimer{TimerId::kRequest});
    request_armed_ = false;
  }
  progressed_ = false;

  // View change: armed once a quorum is changing to this view or beyond, so a replica alone in
  // a view change cannot race ahead through views nobody else will join. Validators already
  // past this view count: they left it too, and without them a quorum that split across two
  // views (some timed out once more, or restarted and forgot) would wait for each other forever.
  const bool want_vc = !active_ && view_changes_from(view_) >= quorum_;
  if (want_vc && !view_change_armed_) {
    out.push_back(
        SetTimer{TimerId::kViewChange, backoff_timeout(cfg_.view_timeout_ms, failed_views_)});
    view_change_armed_ = true;
  } else if (!want_vc && view_change_armed_) {
    out.push_back(CancelTimer{TimerId::kViewChange});
    view_change_armed_ = false;
  }

  const bool want_resend = !active_ || want_request || catchup_target_ > committed_ ||
                           my_checkpoint_height_ > stable_;
  // Re-sending slows down (to 8 intervals) while nothing moves, as in a long view change or a
  // partition, and returns to its pace at the next commit or view.
  const bool reset_pace = progressed && quiet_resends_ > 0;
  if (reset_pace) quiet_resends_ = 0;
  if (want_resend && (!resend_armed_ || reset_pace)) {
    out.push_back(SetTimer{TimerId::kResend,
                           cfg_.resend_interval_ms << std::min<uint64_t>(quiet_resends_, 3)});
    resend_armed_ = true;
  } else if (!want_resend && resend_armed_) {
    out.push_back(CancelTimer{TimerId::kResend});
    resend_armed_ = false;
  }
}

void Engine::resend(uint64_t now, Actions& out) {
  (void)now;
  if (!active_) {
    if (my_view_change_) out.push_back(Broadcast{*my_view_change_});
  } else {
    for (auto it = slots_.upper_bound(committed_);
         it != slots_.end() && it->first <= committed_ + kResendDepth; ++it) {
      const Slot& s = it->second;
      if (s.proposal && s.proposal->envelope.validator() == cfg_.self &&
          primary() == cfg_.self) {
        out.push_back(Broadcast{s.proposal->envelope});
      }
      if (s.my_prepare) out.push_back(Broadcast{*s.my_prepare});
      if (auto c = s.commits.find(cfg_.self); c != s.commits.end() && c->second.view == view_) {
        out.push_back(Broadcast{c->second.envelope});
      }
    }
  }
  if (my_checkpoint_ && my_checkpoint_height_ > stable_) out.push_back(Broadcast{*my_checkpoint_});
  // A fetch that made no progress over a whole interval is asked for again.
  if (catchup_target_ > committed_ && committed_ == committed_at_last_tick_) request_fetch(out);
  const bool quiet = committed_ == committed_at_last_tick_ && view_ == view_at_last_tick_;
  quiet_resends_ = quiet ? quiet_resends_ + 1 : 0;
  committed_at_last_tick_ = committed_;
  view_at_last_tick_ = view_;
}

void Engine::note_behind(uint64_t target, const std::vector<uint32_t>& sources) {
  if (target <= committed_) return;
  if (target > catchup_target_) {
    catchup_target_ = target;
    catchup_sources_.clear();
  }
  for (uint32_t s : sources) {
    if (s != cfg_.self &&
        std::find(catchup_sources_.begin(), catchup_sources_.end(), s) == catchup_sources_.end()) {
      catchup_sources_.push_back(s);
    }
  }
  std::sort(catchup_sources_.begin(), catchup_sources_.end());
}

void Engine::request_fetch(Actions& out) {
  if (catchup_target_ <= committed_) return;
  out.push_back(FetchBlocks{committed_ + 1, catchup_target_, catchup_sources_});
  fetch_requested_to_ = catchup_target_;
}

// ---------------------------------------------------------------------------------------------
// Small helpers.

void Engine::halt(std::string reason, Actions& out) {
  if (halted_) return;
  halted_ = true;
  halt_reason_ = reason;
  out.push_back(Halt{std::move(reason)});
}

void Engine::reject(Rejection reason, std::optional<uint32_t> validator, std::string detail) {
  rejections_[static_cast<size_t>(reason)] += 1;
  rejections_total_ += 1;
  last_rejection_ = RejectedInput{reason, validator, std::move(detail)};
}

void Engine::send_evidence(uint32_t validator, const char* kind, uint64_t view, uint64_t height,
                           const Envelope& first, const Envelope& second, Actions& out) {
  reject(Rejection::kEquivocation, validator,
         std::string(kind) + " from validator " + std::to_string(validator) + " at view " +
             std::to_string(view) + " height " + std::to_string(height));
  if (!evidence_sent_.emplace(validator, kind, view, height).second) return;
  out.push_back(Evidence{validator, kind, view, height, first, second});
}

bool Engine::may_help(uint32_t peer, uint64_t now) {
  auto it = last_help_ms_.find(peer);
  if (it != last_help_ms_.end() && now < it->second + cfg_.resend_interval_ms) return false;
  last_help_ms_[peer] = now;
  return true;
}

void Engine::broadcast_signed(Signed s, Actions& out) {
  if (!s.persist.puts.empty() || !s.persist.deletes.empty()) {
    for (const auto& [key, value] : s.persist.puts) persisted_keys_.insert(key);
    out.push_back(std::move(s.persist));
  }
  out.push_back(Broadcast{std::move(s.envelope)});
}

bool Engine::check_vote(uint32_t validator, VoteKind kind, uint64_t view, uint64_t height,
                        const crypto::Hash& hash, const std::string& sig) {
  return verifier_.verify(validator, vote_digest(kind, cfg_.chain_id, view, height, hash), sig);
}

}  // namespace sharechain::consensus
