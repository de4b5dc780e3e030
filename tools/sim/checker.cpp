#include "tools/sim/checker.hpp"

#include <algorithm>

#include "consensus/messages.hpp"
#include "consensus/signing.hpp"

namespace sharechain::sim {

Checker::Checker(consensus::Config config, consensus::Verifier& verifier,
                 std::set<uint32_t> byzantine, CheckedFaults faults)
    : config_(std::move(config)),
      verifier_(verifier),
      n_(static_cast<uint32_t>(config_.validators.size())),
      byzantine_(std::move(byzantine)),
      faults_(std::move(faults)) {
  byzantine_.insert(faults_.twins.begin(), faults_.twins.end());
}

void Checker::fail(std::string what) {
  if (violation_.empty()) violation_ = std::move(what);
}

void Checker::fail_agreement(std::string what) {
  if (violation_.empty()) agreement_violated_ = true;
  fail(std::move(what));
}

bool Checker::twin_node(uint32_t node) const {
  // Nodes past the twins' second instances are validators that joined later.
  return (node >= n_ && node - n_ < faults_.twins.size()) ||
         std::find(faults_.twins.begin(), faults_.twins.end(), node) != faults_.twins.end();
}

std::string Checker::name(uint32_t node) const {
  if (node >= n_ && node - n_ < faults_.twins.size()) {
    return std::to_string(faults_.twins.at(node - n_)) + "b";
  }
  if (node >= n_) return std::to_string(node);
  return std::to_string(node) + (twin_node(node) ? "a" : "");
}

void Checker::on_wire(const consensus::Envelope& envelope,
                      const std::optional<consensus::Message>& m) {
  if (!m) return;
  if (m->has_pre_prepare()) proposed_.insert(consensus::block_hash(m->pre_prepare().block()));
  if (!m->has_new_view() || !new_views_seen_.insert(crypto::sha256(envelope.payload())).second) {
    return;
  }
  coverage_.new_views += 1;
  std::map<uint64_t, std::set<crypto::Hash>> prepared;  // by height
  for (const consensus::Envelope& e : m->new_view().view_changes()) {
    const auto vc = consensus::decode(e);
    if (vc && vc->has_view_change() && vc->view_change().prepared().height() > 0) {
      prepared[vc->view_change().prepared().height()].insert(
          consensus::block_hash(vc->view_change().prepared().block()));
    }
  }
  if (!prepared.empty()) coverage_.reproposals += 1;
  for (const auto& [height, blocks] : prepared) {
    if (blocks.size() > 1) {
      coverage_.contested += 1;
      break;
    }
  }
}

void Checker::on_honest_send(uint32_t node, const std::optional<consensus::Message>& m,
                             uint64_t epoch) {
  // A twin's instance is judged alone: its twin's messages are not its own.
  const std::string who = (twin_node(node) ? "twin instance " : "honest validator ") + name(node);
  if (!m) {
    fail(who + " sent an undecodable envelope");
    return;
  }
  auto say = [&](const char* kind, uint64_t view, uint64_t height, const crypto::Hash& hash) {
    auto [it, fresh] = said_.emplace(std::make_tuple(node, epoch, kind, view, height), hash);
    if (!fresh && it->second != hash) {
      fail(who + " contradicted itself: two " + kind + " messages for view " +
           std::to_string(view) + " height " + std::to_string(height));
    }
  };
  if (m->has_pre_prepare()) {
    const auto& pp = m->pre_prepare();
    const crypto::Hash h = consensus::block_hash(pp.block());
    proposed_.insert(h);  // a lone validator's broadcast reaches no wire
    say("pre-prepare", pp.view(), pp.height(), h);
    say("prepare", pp.view(), pp.height(), h);
  } else if (m->has_prepare()) {
    const auto h = crypto::hash_from_bytes(m->prepare().block_hash());
    if (h) say("prepare", m->prepare().view(), m->prepare().height(), *h);
  } else if (m->has_commit()) {
    const auto h = crypto::hash_from_bytes(m->commit().block_hash());
    if (h) say("commit", m->commit().view(), m->commit().height(), *h);
  } else if (m->has_checkpoint()) {
    const auto& c = m->checkpoint();
    say("checkpoint", 0, c.height(), crypto::sha256(c.block_hash() + c.state_root()));
  }
}

void Checker::on_stored(uint32_t node, uint64_t height, const Block& block,
                        const crypto::Hash& hash, const std::set<crypto::Hash>& chain_txs,
                        const std::optional<EpochView>& epoch) {
  const std::string at = "replica " + name(node) + " height " + std::to_string(height) + ": ";
  if (consensus::block_hash(block) != hash) return fail(at + "block hash does not match header");
  BlockHeader header;
  if (!header.ParseFromString(block.header()) || header.height() != height) {
    return fail(at + "header does not decode or names another height");
  }
  const consensus::Config& config = epoch ? epoch->config : config_;
  consensus::Verifier& verifier = epoch ? epoch->verifier : verifier_;
  if (Status s = consensus::verify_commit_certificate(config, block, verifier); !s) {
    return fail(at + "certificate does not verify: " + s.message());
  }
  if (proposed_.count(hash) == 0) return fail(at + "block was never proposed");
  if (counts(node)) {
    auto [it, fresh] = chain_.emplace(height, hash);
    if (!fresh && it->second != hash) {
      return fail_agreement(at + "AGREEMENT violated: " + crypto::to_hex(hash) +
                            " but another replica has " + crypto::to_hex(it->second));
    }
    const auto parent =
        height == 1
            ? std::optional<crypto::Hash>(crypto::Hash{})
            : (chain_.count(height - 1) ? std::optional(chain_.at(height - 1)) : std::nullopt);
    if (parent && header.prev_hash() != crypto::hash_bytes(*parent)) {
      return fail(at + "prev_hash does not name the agreed parent");
    }
  }
  auto txs = consensus::transaction_hashes(block);
  if (!txs) return fail(at + txs.status().message());
  for (const crypto::Hash& tx : *txs) {
    if (submitted_.count(tx) == 0) return fail(at + "holds a transaction no client submitted");
    const uint32_t proposer = epoch ? epoch->proposer_node : header.proposer();
    if (byzantine_.count(proposer) == 0 && chain_txs.count(tx) != 0) {
      return fail(at + "honest proposer " + std::to_string(proposer) +
                  " repeated a committed transaction " + crypto::to_hex(tx).substr(0, 16));
    }
  }
}

void Checker::on_evidence(uint32_t node, const consensus::Evidence& e) {
  if (byzantine_.count(e.validator) == 0) {
    fail("replica " + name(node) + " reported " + e.kind + " equivocation by honest validator " +
         std::to_string(e.validator) + " at view " + std::to_string(e.view) + " height " +
         std::to_string(e.height));
  }
}

void Checker::on_rejected(uint32_t node, const consensus::RejectedInput& r) {
  if (!consensus::is_provable_misbehaviour(r.reason) || !r.validator) return;
  if (byzantine_.count(*r.validator) == 0) {
    fail("replica " + name(node) + " took a message of honest validator " +
         std::to_string(*r.validator) + " for provable misbehaviour: " + r.text());
  }
}

void Checker::on_halt(uint32_t node, const std::string& reason) {
  // Beyond f a replica that meets the other side of a fork is right to halt.
  if (faults_.within_f) fail("replica " + name(node) + " halted: " + reason);
}

}  // namespace sharechain::sim
