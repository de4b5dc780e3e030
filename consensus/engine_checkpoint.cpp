// Checkpoints: every K heights each replica signs (height, block hash, state root) after
// executing it; a quorum of matching votes makes the checkpoint stable, which moves the
// watermark window and lets the log below it go.
#include "consensus/engine.hpp"
#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"

namespace sharechain::consensus {
namespace {

// Checkpoint votes a validator may have pending above our stable checkpoint. Far-ahead votes
// are how a lagging replica learns it is behind, so they are kept, but never more than this.
constexpr size_t kMaxPendingCheckpointsPerValidator = 4;

}  // namespace

void Engine::maybe_send_checkpoint(uint64_t h, Actions& out, bool restarted) {
  // After a restart the vote is sent even for the stable checkpoint: it became stable here,
  // but the vote may have died with the process before the others had it.
  const bool stale = restarted ? h < stable_ : h <= stable_;
  if (h == 0 || h % cfg_.checkpoint_interval != 0 || stale || h <= my_checkpoint_height_) return;
  const auto hash = committed_hashes_.find(h);
  const auto root = executed_roots_.find(h);
  if (hash == committed_hashes_.end() || root == executed_roots_.end()) return;
  auto vote = safety_.sign_checkpoint(h, hash->second, root->second);
  if (!vote) {
    // Another root was signed at this height; anything else is a broken invariant.
    if (vote.refused().reason != Refusal::kConflictingVote) {
      halt("the safety rules refused a CHECKPOINT: " + vote.refused().message, out);
      return;
    }
    reject(Rejection::kConflictingVote, std::nullopt, vote.refused().message);
    return;
  }
  checkpoint_votes_[h][cfg_.self] =
      CheckpointVote{hash->second, root->second, vote->vote, vote->envelope};
  my_checkpoint_ = vote->envelope;
  my_checkpoint_height_ = h;
  broadcast_signed(std::move(vote).value(), out);
  check_checkpoint(h, out);
}

void Engine::on_checkpoint(const Envelope& env, const Checkpoint& m, uint64_t now, Actions& out) {
  const uint32_t from = env.validator();
  const uint64_t h = m.height();
  if (h <= stable_) {
    // A replica re-sends its checkpoint only until it becomes stable, so this one still lacks
    // votes: ours for the same height may be the one it missed (we stopped re-sending it when
    // it became stable here), and a later one shows it where the others are.
    if (my_checkpoint_ && my_checkpoint_height_ >= h && may_help(from, now)) {
      out.push_back(Send{from, *my_checkpoint_});
    }
    reject(Rejection::kStale, from,
           "checkpoint at height " + std::to_string(h) + ", stable is " + std::to_string(stable_));
    return;
  }
  const auto hash = crypto::hash_from_bytes(m.block_hash());
  const auto root = crypto::hash_from_bytes(m.state_root());
  if (h % cfg_.checkpoint_interval != 0 || !hash || !root) {
    reject(Rejection::kMalformed, from, "checkpoint at height " + std::to_string(h));
    return;
  }
  if (!verifier_.verify(from, checkpoint_digest(cfg_.chain_id, h, *hash, *root), m.signature())) {
    reject(Rejection::kBadVoteSignature, from,
           "checkpoint vote from validator " + std::to_string(from));
    return;
  }
  auto& votes = checkpoint_votes_[h];
  if (auto it = votes.find(from); it != votes.end()) {
    if (it->second.hash == *hash && it->second.root == *root) {
      reject(Rejection::kDuplicate, from, "checkpoint at height " + std::to_string(h));
    } else {
      send_evidence(from, "checkpoint", 0, h, it->second.envelope, env, out);
    }
    return;
  }
  // Bound what one validator can make us hold: drop its lowest pending vote.
  std::vector<uint64_t> held;
  for (const auto& [height, vs] : checkpoint_votes_) {
    if (height != h && vs.count(from) != 0) held.push_back(height);
  }
  if (held.size() >= kMaxPendingCheckpointsPerValidator) checkpoint_votes_[held.front()].erase(from);
  votes[from] = CheckpointVote{*hash, *root, m.signature(), env};
  check_checkpoint(h, out);
}

void Engine::check_checkpoint(uint64_t h, Actions& out) {
  auto it = checkpoint_votes_.find(h);
  if (it == checkpoint_votes_.end() || h <= stable_) return;
  std::map<std::pair<crypto::Hash, crypto::Hash>, std::vector<uint32_t>> groups;
  for (const auto& [v, vote] : it->second) groups[{vote.hash, vote.root}].push_back(v);
  for (const auto& [key, voters] : groups) {
    if (voters.size() < quorum_) continue;
    const auto& [hash, root] = key;
    if (halt_on_conflict(h, hash, root, out)) return;
    if (executed_ >= h) {
      make_stable(h, hash, root, voters, out);
    } else if (committed_ < h) {
      note_behind(h, voters);
      if (fetch_requested_to_ < catchup_target_) request_fetch(out);
    }
    return;
  }
}

bool Engine::halt_on_conflict(uint64_t h, const crypto::Hash& hash, const crypto::Hash& root,
                              Actions& out) {
  if (auto c = committed_hashes_.find(h); c != committed_hashes_.end() && c->second != hash) {
    halt("a quorum checkpointed block " + crypto::to_hex(hash) + " at height " + std::to_string(h) +
             ", this replica committed " + crypto::to_hex(c->second),
         out);
    return true;
  }
  if (auto e = executed_roots_.find(h); e != executed_roots_.end() && e->second != root) {
    halt("state root disagreement at height " + std::to_string(h) + ": a quorum certifies " +
             crypto::to_hex(root) + ", this replica computed " + crypto::to_hex(e->second),
         out);
    return true;
  }
  return false;
}

void Engine::make_stable(uint64_t h, const crypto::Hash& hash, const crypto::Hash& root,
                         const std::vector<uint32_t>& voters, Actions& out) {
  CheckpointProof proof;
  proof.set_height(h);
  proof.set_block_hash(crypto::hash_bytes(hash));
  proof.set_state_root(crypto::hash_bytes(root));
  const auto& votes = checkpoint_votes_.at(h);
  for (uint32_t v : voters) {
    auto* vote = proof.add_votes();
    vote->set_validator(v);
    vote->set_signature(votes.at(v).signature);
  }
  set_stable(std::move(proof), out);
}

void Engine::note_checkpoint_proof(const CheckpointProof& proof, Actions& out) {
  if (proof.height() <= stable_) return;
  if (!proven_checkpoint_ || proven_checkpoint_->height() < proof.height()) {
    proven_checkpoint_ = proof;
  }
  adopt_proven_checkpoint(out);
}

void Engine::adopt_proven_checkpoint(Actions& out) {
  // A replica that passed checkpoint heights by state transfer has no state root of its own to
  // vote with there, and the others stop re-sending their votes once the checkpoint is stable
  // for them: it never gathers a quorum, its window stays behind, and when its votes are needed
  // above that window (one validator faulty) nothing commits again. A proof from a verified
  // VIEW-CHANGE carries a quorum's signatures and stands in for the votes.
  if (!proven_checkpoint_ || proven_checkpoint_->height() <= stable_) return;
  const uint64_t h = proven_checkpoint_->height();
  if (executed_ < h) return;  // kept until this replica has executed that far
  CheckpointProof proof = std::move(*proven_checkpoint_);
  proven_checkpoint_.reset();
  if (halt_on_conflict(h, *crypto::hash_from_bytes(proof.block_hash()),
                       *crypto::hash_from_bytes(proof.state_root()), out)) {
    return;
  }
  set_stable(std::move(proof), out);
}

void Engine::set_stable(CheckpointProof proof, Actions& out) {
  const uint64_t h = proof.height();
  Persist persist;
  put(persist, "ckpt", proof);
  out.push_back(std::move(persist));
  safety_.set_stable(proof);
  stable_ = h;
  stable_proof_ = std::move(proof);

  // Everything at or below the stable checkpoint is final and provable from the proof.
  slots_.erase(slots_.begin(), slots_.upper_bound(h));
  checkpoint_votes_.erase(checkpoint_votes_.begin(), checkpoint_votes_.upper_bound(h));
  my_commits_.erase(my_commits_.begin(), my_commits_.upper_bound(h));
  committed_hashes_.erase(committed_hashes_.begin(), committed_hashes_.lower_bound(h));
}

}  // namespace sharechain::consensus
