#include "tools/sim/byzantine.hpp"

#include <algorithm>

#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"

namespace sharechain::sim {
namespace {

using consensus::Envelope;
using consensus::Message;
using consensus::VoteKind;

crypto::Hash random_hash(Rng& rng) {
  crypto::Hash h{};
  for (auto& b : h) b = static_cast<uint8_t>(rng.next());
  return h;
}

std::string random_bytes(Rng& rng, size_t n) {
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng.next());
  return out;
}

Envelope reseal(const ByzantineContext& ctx, const Message& m) {
  return consensus::seal(m, ctx.config.self, ctx.config.chain_id, ctx.signer, ctx.config.epoch);
}

std::string vote(const ByzantineContext& ctx, VoteKind kind, uint64_t view, uint64_t height,
                 const crypto::Hash& hash) {
  return ctx.signer.sign(consensus::vote_digest(kind, ctx.config.chain_id, view, height, hash));
}

void to_all(const std::vector<uint32_t>& destinations, const Envelope& env,
            std::vector<Wire>& wire) {
  for (uint32_t d : destinations) wire.push_back(Wire{d, env});
}

// A second, equally valid block for the slot of `pp`: one transaction fewer, or a later
// timestamp when there is only one.
Envelope alternative_proposal(const ByzantineContext& ctx, const consensus::PrePrepare& pp) {
  Block block = pp.block();
  BlockHeader header;
  header.ParseFromString(block.header());
  if (block.transactions_size() > 1) {
    block.mutable_transactions()->RemoveLast();
    auto hashes = consensus::transaction_hashes(block);
    if (hashes) header.set_tx_root(crypto::hash_bytes(crypto::merkle_root(*hashes)));
    header.set_signed_tx_root(crypto::hash_bytes(consensus::signed_transactions_root(block)));
  } else {
    header.set_timestamp_ms(header.timestamp_ms() + 1);
  }
  header.SerializeToString(block.mutable_header());
  const crypto::Hash hash = consensus::block_hash(block);
  Message m;
  consensus::PrePrepare* alt = m.mutable_pre_prepare();
  alt->set_view(pp.view());
  alt->set_height(pp.height());
  *alt->mutable_block() = block;
  alt->set_prepare_signature(vote(ctx, VoteKind::kPrepare, pp.view(), pp.height(), hash));
  return reseal(ctx, m);
}

void equivocate(const ByzantineContext& ctx, const std::vector<uint32_t>& destinations,
                const Envelope& env, const Message& m, std::vector<Wire>& wire) {
  if (!m.has_pre_prepare() || destinations.size() < 2) return to_all(destinations, env, wire);
  const Envelope alt = alternative_proposal(ctx, m.pre_prepare());
  std::vector<uint32_t> order = destinations;
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[ctx.rng.below(i)]);
  for (size_t i = 0; i < order.size(); ++i) {
    wire.push_back(Wire{order[i], i % 2 == 0 ? env : alt});
  }
}

void double_vote(const ByzantineContext& ctx, const std::vector<uint32_t>& destinations,
                 const Envelope& env, const Message& m, std::vector<Wire>& wire) {
  Message other = m;
  if (m.has_prepare() || m.has_commit()) {
    const bool prepare = m.has_prepare();
    const crypto::Hash fake = random_hash(ctx.rng);
    const uint64_t view = prepare ? m.prepare().view() : m.commit().view();
    const uint64_t height = prepare ? m.prepare().height() : m.commit().height();
    const std::string sig =
        vote(ctx, prepare ? VoteKind::kPrepare : VoteKind::kCommit, view, height, fake);
    if (prepare) {
      other.mutable_prepare()->set_block_hash(crypto::hash_bytes(fake));
      other.mutable_prepare()->set_signature(sig);
    } else {
      other.mutable_commit()->set_block_hash(crypto::hash_bytes(fake));
      other.mutable_commit()->set_signature(sig);
    }
  } else if (m.has_checkpoint()) {
    const auto hash = crypto::hash_from_bytes(m.checkpoint().block_hash());
    const crypto::Hash root = random_hash(ctx.rng);
    if (!hash) return to_all(destinations, env, wire);
    other.mutable_checkpoint()->set_state_root(crypto::hash_bytes(root));
    other.mutable_checkpoint()->set_signature(ctx.signer.sign(consensus::checkpoint_digest(
        ctx.config.chain_id, m.checkpoint().height(), *hash, root)));
  } else {
    return to_all(destinations, env, wire);
  }
  const Envelope conflicting = reseal(ctx, other);
  for (uint32_t d : destinations) {
    switch (ctx.rng.below(3)) {
      case 0: wire.push_back(Wire{d, env}); break;
      case 1: wire.push_back(Wire{d, conflicting}); break;
      default:
        wire.push_back(Wire{d, conflicting});
        wire.push_back(Wire{d, env});
        break;
    }
  }
}

// A copy of `m` moved to another view and/or height, with its vote signatures re-made so that
// only the engine's view and window checks stand between it and acceptance.
void stale_or_future(const ByzantineContext& ctx, const std::vector<uint32_t>& destinations,
                     const Envelope& env, const Message& m, std::vector<Wire>& wire) {
  to_all(destinations, env, wire);
  Message copy = m;
  const uint64_t window = ctx.config.window;
  const uint64_t view_shift = ctx.rng.pick(std::vector<uint64_t>{0, 1, 5});
  const bool earlier = ctx.rng.chance(400);
  auto shift_view = [&](uint64_t v) {
    return earlier ? (v > view_shift ? v - view_shift : 0) : v + view_shift;
  };
  const uint64_t height_shift = ctx.rng.pick(std::vector<uint64_t>{0, 1, window, 3 * window});
  auto revote = [&](VoteKind kind, uint64_t view, uint64_t height, const std::string& hash_bytes) {
    const auto hash = crypto::hash_from_bytes(hash_bytes);
    return hash ? vote(ctx, kind, view, height, *hash) : std::string();
  };
  if (m.has_prepare()) {
    auto* p = copy.mutable_prepare();
    p->set_view(shift_view(p->view()));
    p->set_height(p->height() + height_shift);
    p->set_signature(revote(VoteKind::kPrepare, p->view(), p->height(), p->block_hash()));
  } else if (m.has_commit()) {
    auto* c = copy.mutable_commit();
    c->set_view(shift_view(c->view()));
    c->set_height(c->height() + height_shift);
    c->set_signature(revote(VoteKind::kCommit, c->view(), c->height(), c->block_hash()));
  } else if (m.has_pre_prepare()) {
    auto* p = copy.mutable_pre_prepare();
    p->set_view(shift_view(p->view()));
    p->set_height(p->height() + height_shift);
    p->set_prepare_signature(revote(VoteKind::kPrepare, p->view(), p->height(),
                                    crypto::hash_bytes(consensus::block_hash(p->block()))));
  } else if (m.has_checkpoint()) {
    auto* c = copy.mutable_checkpoint();
    c->set_height(c->height() + ctx.config.checkpoint_interval * ctx.rng.between(1, 50));
    const auto hash = crypto::hash_from_bytes(c->block_hash());
    const auto root = crypto::hash_from_bytes(c->state_root());
    if (hash && root) {
      c->set_signature(ctx.signer.sign(
          consensus::checkpoint_digest(ctx.config.chain_id, c->height(), *hash, *root)));
    }
  } else if (m.has_view_change()) {
    copy.mutable_view_change()->set_new_view(m.view_change().new_view() + ctx.rng.between(1, 4));
  } else {
    return;
  }
  to_all(destinations, reseal(ctx, copy), wire);
}

void forge(const ByzantineContext& ctx, const std::vector<uint32_t>& destinations,
           const Envelope& env, const Message& m, std::vector<Wire>& wire) {
  if (ctx.rng.chance(500)) to_all(destinations, env, wire);
  const uint32_t n = static_cast<uint32_t>(ctx.config.validators.size());
  Envelope bad = env;
  switch (ctx.rng.below(7)) {
    case 0:  // claims to come from another validator
      if (n > 1) bad.set_validator((ctx.config.self + 1 + ctx.rng.below(n - 1)) % n);
      break;
    case 1: bad.set_signature(random_bytes(ctx.rng, 64)); break;
    case 2: {  // validly signed garbage
      Message empty;
      bad = reseal(ctx, empty);
      bad.set_payload(random_bytes(ctx.rng, 1 + ctx.rng.below(80)));
      bad.set_signature(ctx.signer.sign(consensus::envelope_digest(ctx.config.chain_id,
                                                                  ctx.config.epoch, bad.payload())));
      break;
    }
    case 3:  // validly signed, truncated
      bad.set_payload(env.payload().substr(0, ctx.rng.below(env.payload().size() + 1)));
      bad.set_signature(ctx.signer.sign(consensus::envelope_digest(ctx.config.chain_id,
                                                                  ctx.config.epoch, bad.payload())));
      break;
    case 4: bad.set_validator(n + static_cast<uint32_t>(ctx.rng.below(5))); break;
    case 5: {  // a sound envelope around a vote whose own signature is forged
      Message copy = m;
      if (copy.has_prepare()) copy.mutable_prepare()->set_signature(random_bytes(ctx.rng, 64));
      if (copy.has_commit()) copy.mutable_commit()->set_signature(random_bytes(ctx.rng, 64));
      if (copy.has_checkpoint()) copy.mutable_checkpoint()->set_signature(random_bytes(ctx.rng, 64));
      if (copy.has_pre_prepare()) {
        copy.mutable_pre_prepare()->set_prepare_signature(random_bytes(ctx.rng, 64));
      }
      bad = reseal(ctx, copy);
      break;
    }
    default:  // signed for another chain
      bad.set_signature(ctx.signer.sign(consensus::envelope_digest("other-chain", env.payload())));
      break;
  }
  to_all(destinations, bad, wire);
}

// A block nobody proposed, at `height`, dressed as a proposal from an earlier view.
Block fabricated_block(const ByzantineContext& ctx, uint64_t height, uint64_t view) {
  const uint32_t n = static_cast<uint32_t>(ctx.config.validators.size());
  BlockHeader h;
  h.set_chain_id(ctx.config.chain_id);
  h.set_height(height);
  h.set_view(view);
  h.set_prev_hash(crypto::hash_bytes(random_hash(ctx.rng)));
  h.set_timestamp_ms(ctx.rng.next() >> 20);
  h.set_tx_root(crypto::hash_bytes(crypto::merkle_root({})));
  h.set_signed_tx_root(crypto::hash_bytes(crypto::merkle_root({})));
  h.set_state_height(0);
  h.set_state_root(crypto::hash_bytes(random_hash(ctx.rng)));
  h.set_proposer(consensus::primary_of(view, n));
  Block b;
  h.SerializeToString(b.mutable_header());
  return b;
}

void bogus_view_change(const ByzantineContext& ctx, const std::vector<uint32_t>& destinations,
                       const Envelope& env, const Message& m, std::vector<Wire>& wire) {
  const uint32_t n = static_cast<uint32_t>(ctx.config.validators.size());
  const uint32_t quorum = consensus::quorum_size(n);
  Message copy = m;
  if (m.has_view_change()) {
    consensus::ViewChange* vc = copy.mutable_view_change();
    const uint64_t nv = vc->new_view();
    const uint64_t pv = nv > 0 ? nv - 1 : 0;
    const uint64_t height = ctx.committed_height + 1;
    switch (ctx.rng.below(6)) {
      case 0: {  // a prepared certificate with forged votes
        consensus::PreparedCertificate* pc = vc->mutable_prepared();
        pc->Clear();
        pc->set_view(pv);
        pc->set_height(height);
        *pc->mutable_block() = fabricated_block(ctx, height, pv);
        for (uint32_t v = 0; v < n; ++v) {
          auto* vote_entry = pc->add_votes();
          vote_entry->set_validator(v);
          vote_entry->set_signature(random_bytes(ctx.rng, 64));
        }
        break;
      }
      case 1: {  // a prepared certificate padded with its own vote
        consensus::PreparedCertificate* pc = vc->mutable_prepared();
        pc->Clear();
        pc->set_view(pv);
        pc->set_height(height);
        *pc->mutable_block() = fabricated_block(ctx, height, pv);
        const std::string own =
            vote(ctx, VoteKind::kPrepare, pv, height, consensus::block_hash(pc->block()));
        for (uint32_t i = 0; i < quorum; ++i) {
          auto* vote_entry = pc->add_votes();
          vote_entry->set_validator(ctx.config.self);
          vote_entry->set_signature(own);
        }
        break;
      }
      case 2: {  // a commit certificate far ahead with a single vote
        CommitCertificate* cc = vc->mutable_committed();
        const crypto::Hash fake = random_hash(ctx.rng);
        cc->Clear();
        cc->set_height(ctx.committed_height + 5);
        cc->set_view(pv);
        cc->set_block_hash(crypto::hash_bytes(fake));
        auto* vote_entry = cc->add_votes();
        vote_entry->set_validator(ctx.config.self);
        vote_entry->set_signature(vote(ctx, VoteKind::kCommit, pv, cc->height(), fake));
        break;
      }
      case 3:  // lies by omission: claims to know nothing (a validly signed, verifiable message)
        vc->clear_prepared();
        vc->clear_committed();
        vc->clear_checkpoint();
        break;
      case 4:  // a prepared certificate from the view being entered
        if (vc->has_prepared()) vc->mutable_prepared()->set_view(nv);
        break;
      default: {  // a checkpoint proof with forged votes
        consensus::CheckpointProof* proof = vc->mutable_checkpoint();
        proof->Clear();
        proof->set_height(ctx.config.checkpoint_interval * (1 + ctx.committed_height /
                                                                    ctx.config.checkpoint_interval));
        proof->set_block_hash(crypto::hash_bytes(random_hash(ctx.rng)));
        proof->set_state_root(crypto::hash_bytes(random_hash(ctx.rng)));
        for (uint32_t v = 0; v < n; ++v) {
          auto* vote_entry = proof->add_votes();
          vote_entry->set_validator(v);
          vote_entry->set_signature(random_bytes(ctx.rng, 64));
        }
        break;
      }
    }
  } else if (m.has_new_view()) {
    consensus::NewView* nv = copy.mutable_new_view();
    switch (ctx.rng.below(3)) {
      case 0:  // one proof short of a quorum
        if (nv->view_changes_size() > 0) nv->mutable_view_changes()->RemoveLast();
        break;
      case 1:  // a proof counted twice in place of another
        if (nv->view_changes_size() > 1) {
          *nv->mutable_view_changes(1) = nv->view_changes(0);
        }
        break;
      default: nv->set_reproposal_signature(random_bytes(ctx.rng, 64)); break;
    }
  } else {
    return to_all(destinations, env, wire);
  }
  to_all(destinations, reseal(ctx, copy), wire);
}

}  // namespace

const char* behaviour_name(Behaviour b) {
  switch (b) {
    case Behaviour::kSilent: return "silent";
    case Behaviour::kEquivocate: return "equivocate";
    case Behaviour::kDoubleVote: return "double-vote";
    case Behaviour::kStaleFuture: return "stale-future";
    case Behaviour::kForge: return "forge";
    case Behaviour::kBogusViewChange: return "bogus-view-change";
    case Behaviour::kMixed: return "mixed";
  }
  return "unknown";
}

std::optional<Behaviour> behaviour_from_name(std::string_view name) {
  for (Behaviour b : kAllBehaviours) {
    if (name == behaviour_name(b)) return b;
  }
  return std::nullopt;
}

void misbehave(Behaviour behaviour, const ByzantineContext& ctx,
               const std::vector<uint32_t>& destinations, const Envelope& env,
               std::vector<Wire>& wire) {
  const auto m = consensus::decode(env);
  if (!m) return to_all(destinations, env, wire);
  if (behaviour == Behaviour::kMixed) {
    // Honest about a third of the time; otherwise any lie, including silence.
    const uint64_t pick = ctx.rng.below(9);
    if (pick < 3) return to_all(destinations, env, wire);
    behaviour = kAllBehaviours[pick - 3];
  }
  switch (behaviour) {
    case Behaviour::kSilent: return;
    case Behaviour::kEquivocate: return equivocate(ctx, destinations, env, *m, wire);
    case Behaviour::kDoubleVote: return double_vote(ctx, destinations, env, *m, wire);
    case Behaviour::kStaleFuture: return stale_or_future(ctx, destinations, env, *m, wire);
    case Behaviour::kForge: return forge(ctx, destinations, env, *m, wire);
    case Behaviour::kBogusViewChange: return bogus_view_change(ctx, destinations, env, *m, wire);
    case Behaviour::kMixed: break;
  }
  to_all(destinations, env, wire);
}

}  // namespace sharechain::sim
