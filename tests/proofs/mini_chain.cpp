#include "mini_chain.hpp"

#include <stdexcept>

#include "proto/history_chain.hpp"
#include "proto/transaction.hpp"

namespace sharechain::proofs::testing {
namespace {

// The consensus test keys sign votes for this chain id.
constexpr const char* kChain = consensus::testing::kChain;

crypto::PrivateKey user_key() {
  std::string secret(32, '\0');
  secret[31] = 7;
  return *crypto::PrivateKey::from_bytes(secret);
}

std::string transfer(std::uint64_t nonce, std::uint64_t amount) {
  TransactionBody body;
  body.set_chain_id(kChain);
  body.set_nonce(nonce);
  const crypto::PrivateKey key = user_key();
  body.set_sender(key.address());
  auto* t = body.mutable_ledger()->mutable_transfer();
  t->set_to(std::string(20, '\x02'));
  t->set_amount(amount);
  return tx::sign(body, key).SerializeAsString();
}

}  // namespace

MiniChain::BuiltBlock MiniChain::build(std::uint64_t height, const std::vector<std::string>& txs,
                                       std::uint64_t state_height, const crypto::Hash& history_root,
                                       const crypto::Hash& previous_history, const crypto::Hash& previous_root,
                                       std::uint32_t first_tx) {
  BuiltBlock out;
  std::vector<crypto::Hash> body_hashes, signed_hashes;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    SignedTransaction st;
    st.ParseFromString(txs[i]);
    const crypto::Hash hash = tx::hash_of(st);
    body_hashes.push_back(hash);
    signed_hashes.push_back(crypto::sha256(txs[i]));
    out.block.add_transactions(txs[i]);
    tx_hashes_.push_back(hash);
    Receipt r;
    r.set_tx_hash(crypto::hash_bytes(hash));
    r.set_height(height);
    r.set_index(static_cast<std::uint32_t>(i));
    Event* e = r.add_events();
    e->set_contract("ledger");
    e->set_name("Transfer");
    Attribute* a = e->add_attributes();
    a->set_key("amount");
    a->set_value(std::to_string(100 * (first_tx + i + 1)));
    a->set_number(100 * (first_tx + i + 1));
    out.receipts.push_back(r.SerializeAsString());
  }
  BlockHeader h;
  h.set_chain_id(kChain);
  h.set_height(height);
  h.set_view(0);
  h.set_prev_hash(std::string(32, '\x01'));
  h.set_timestamp_ms(1'700'000'000'000 + height);
  h.set_tx_root(crypto::hash_bytes(crypto::merkle_root(body_hashes)));
  h.set_signed_tx_root(crypto::hash_bytes(crypto::merkle_root(signed_hashes)));
  h.set_state_height(state_height);
  h.set_state_root(crypto::hash_bytes(crypto::sha256("root " + std::to_string(state_height))));
  h.set_history_root(crypto::hash_bytes(history_root));
  if (epochs_ == Epochs::kSwitchAt6) {
    const auto genesis_hash = crypto::hash_bytes(consensus::validator_set_hash(keys_.validators()));
    const auto next_hash = crypto::hash_bytes(consensus::validator_set_hash(next_set_));
    h.set_epoch(height <= 6 ? 0 : 1);
    h.set_validator_set_hash(height <= 6 ? genesis_hash : next_hash);
    if (height == 6) h.set_next_validator_set_hash(next_hash);
  }
  h.SerializeToString(out.block.mutable_header());
  *out.block.mutable_certificate() = certify(out.block.header(), h.epoch(), 0, height);
  out.previous_history = previous_history;
  out.previous_root = previous_root;
  return out;
}

CommitCertificate MiniChain::certify(const std::string& header, std::uint64_t epoch, std::uint64_t view,
                                     std::uint64_t height) {
  const crypto::Hash hash = crypto::sha256(header);
  if (epoch == 0) return consensus::testing::commit_certificate(keys_, {0, 1, 2}, view, height, hash);
  // Four of epoch 1's five, each voting under its index in that set.
  static constexpr std::uint32_t kSignerOf[] = {1, 3, 4, 5, 6};
  CommitCertificate c;
  c.set_height(height);
  c.set_view(view);
  c.set_block_hash(crypto::hash_bytes(hash));
  for (std::uint32_t v : {0u, 1u, 2u, 4u}) {
    CommitVote* vote = c.add_votes();
    vote->set_validator(v);
    vote->set_signature(more_keys_.vote(kSignerOf[v], consensus::VoteKind::kCommit, view, height, hash));
  }
  return c;
}

Trust MiniChain::spanning_trust() const {
  Trust t = trust_;
  const Status s = extend_trust(t, 6, next_set_, switch_block());
  if (!s) throw std::logic_error("the mini chain's switch block does not certify its next set: " + s.message());
  return t;
}

api::CertifiedHeader MiniChain::switch_block() const {
  api::CertifiedHeader c;
  c.set_header(b6_.block.header());
  *c.mutable_certificate() = b6_.block.certificate();
  return c;
}

MiniChain::MiniChain(Epochs epochs) : epochs_(epochs) {
  for (std::uint32_t k : {1, 3, 4, 5, 6}) next_set_.push_back(more_keys_.validators()[k]);
  trust_ = trust_of(kChain, crypto::hash_bytes(crypto::sha256("mini genesis")), keys_.validators());
  const crypto::Hash history4 = crypto::sha256("history 4");
  const crypto::Hash root4 = crypto::sha256("root 4");
  root5_ = crypto::sha256("root 5");
  b5_ = build(5, {transfer(0, 100), transfer(1, 200), transfer(2, 300)}, 4, history4, history4, root4, 0);
  const crypto::Hash history5 = history::next(history4, 5, history::receipts_root(b5_.receipts), root4);
  b6_ = build(6, {transfer(3, 400)}, 5, history5, history5, root5_, 3);
  const crypto::Hash history6 = history::next(history5, 6, history::receipts_root(b6_.receipts), root5_);
  b7_ = build(7, {transfer(4, 500)}, 6, history6, history6, crypto::sha256("root 6"), 4);
  tx_hashes_.pop_back();  // block 7's transaction is not one the tests prove
}

api::TransactionProof MiniChain::proof(std::uint32_t which) const {
  const BuiltBlock& b = which < 3 ? b5_ : b6_;
  const std::uint32_t index = which < 3 ? which : 0;
  const std::uint64_t height = which < 3 ? 5 : 6;
  api::TransactionProof p;
  p.set_height(height);
  p.set_index(index);
  p.mutable_block()->set_header(b.block.header());
  *p.mutable_block()->mutable_certificate() = b.block.certificate();
  p.set_transaction(b.block.transactions(static_cast<int>(index)));
  p.set_transaction_count(static_cast<std::uint32_t>(b.block.transactions_size()));
  std::vector<crypto::Hash> leaves;
  for (const std::string& t : b.block.transactions()) leaves.push_back(crypto::sha256(t));
  for (const auto& h : crypto::merkle_path(leaves, index)) p.add_transaction_path(crypto::hash_bytes(h));
  p.set_receipt(b.receipts[index]);
  p.set_receipt_count(static_cast<std::uint32_t>(b.receipts.size()));
  std::vector<crypto::Hash> rleaves;
  for (const std::string& r : b.receipts) rleaves.push_back(crypto::sha256(r));
  for (const auto& h : crypto::merkle_path(rleaves, index)) p.add_receipt_path(crypto::hash_bytes(h));
  p.set_previous_history(crypto::hash_bytes(b.previous_history));
  p.set_previous_state_root(crypto::hash_bytes(b.previous_root));
  if (height == 5) {
    api::HistoryLink* l = p.add_links();
    l->set_height(6);
    l->set_receipts_root(crypto::hash_bytes(history::receipts_root(b6_.receipts)));
    l->set_previous_state_root(crypto::hash_bytes(root5_));
  }
  p.mutable_anchor()->set_header(b7_.block.header());
  *p.mutable_anchor()->mutable_certificate() = b7_.block.certificate();
  return p;
}

}  // namespace sharechain::proofs::testing
