#include "harness.hpp"

#include <stdexcept>

namespace sharechain::contracts::testing {

crypto::PrivateKey key_for(const std::string& name) {
  auto k = crypto::PrivateKey::from_bytes(crypto::hash_bytes(crypto::sha256("test-key/" + name)));
  if (!k) throw std::runtime_error("test key derivation failed for " + name);
  return *k;
}

std::string address_for(const std::string& name) { return key_for(name).address(); }

Genesis make_genesis(const std::vector<Actor>& actors) {
  Genesis g;
  g.set_chain_id(kChainId);
  g.set_genesis_time_ms(kStartMs);
  auto* v = g.add_validators();
  v->set_name("node0");
  v->set_public_key(crypto::to_hex(key_for("node0").public_key()));
  for (const auto& a : actors) {
    auto* ga = g.add_accounts();
    ga->set_name(a.name);
    ga->set_address(crypto::format_address(address_for(a.name)));
    ga->set_balance(a.balance);
    for (const auto& r : a.roles) ga->add_roles(r);
    ga->set_organisation(a.organisation);
  }
  g.mutable_params()->set_attestation_threshold(3);
  return g;
}

Chain::Chain(const std::vector<Actor>& actors) : Chain(make_genesis(actors)) {}

Chain::Chain(const Genesis& genesis) {
  auto writes = genesis_state(genesis);
  if (!writes.is_ok()) throw std::runtime_error(writes.status().to_string());
  state_.apply(writes.value());
}

tx::VerifiedTransaction Chain::make_tx(const std::string& who, TransactionBody body,
                                       std::uint64_t nonce_offset) const {
  auto key = key_for(who);
  if (body.chain_id().empty()) body.set_chain_id(kChainId);
  if (body.sender().empty()) body.set_sender(key.address());
  body.set_nonce(next_nonce(state_, key.address()) + nonce_offset);
  auto v = tx::verify(tx::sign(body, key), body.chain_id());
  if (!v.is_ok()) throw std::runtime_error(v.status().to_string());
  return std::move(v).value();
}

std::vector<Receipt> Chain::run_block(const std::vector<tx::VerifiedTransaction>& txs) {
  ++height_;
  BlockContext ctx{kChainId, height_, time_ms_, 0, validator_changes_};
  time_ms_ += 1000;
  BlockResult result = execute_block(state_, ctx, txs, hooks_);
  last_invariants_ = check_block(height_, result);
  if (last_invariants_.violation && throw_on_violation_) {
    throw std::logic_error(last_invariants_.violation->describe());
  }
  state_.apply(result.writes);
  return result.receipts;
}

Receipt Chain::run(const std::string& who, const TransactionBody& body) {
  return run_block({make_tx(who, body)}).at(0);
}

Receipt Chain::ledger(const std::string& who, const ::sharechain::ledger::Call& call) {
  TransactionBody body;
  *body.mutable_ledger() = call;
  return run(who, body);
}

Receipt Chain::assets(const std::string& who, const ::sharechain::assets::Call& call) {
  TransactionBody body;
  *body.mutable_assets() = call;
  return run(who, body);
}

Receipt Chain::usage(const std::string& who, const ::sharechain::usage::Call& call) {
  TransactionBody body;
  *body.mutable_usage() = call;
  return run(who, body);
}

Receipt Chain::revenue(const std::string& who, const ::sharechain::revenue::Call& call) {
  TransactionBody body;
  *body.mutable_revenue() = call;
  return run(who, body);
}

Receipt Chain::financing(const std::string& who, const ::sharechain::financing::Call& call) {
  TransactionBody body;
  *body.mutable_financing() = call;
  return run(who, body);
}

Receipt Chain::vehicles(const std::string& who, const ::sharechain::vehicles::Call& call) {
  TransactionBody body;
  *body.mutable_vehicles() = call;
  return run(who, body);
}

Receipt Chain::governance(const std::string& who, const ::sharechain::governance::Call& call) {
  TransactionBody body;
  *body.mutable_governance() = call;
  return run(who, body);
}

Result<api::QueryResponse> Chain::query(const api::QueryRequest& request) const {
  return contracts::query(state_, request);
}

std::uint64_t Chain::balance(const std::string& who) const {
  return balance_of_address(address_for(who));
}

std::uint64_t Chain::balance_of_address(const std::string& address) const {
  auto a = get_account(state_, address);
  return a.is_ok() ? a->balance() : 0;
}

std::uint64_t Chain::escrow(const std::string& who) const {
  auto a = get_account(state_, address_for(who));
  return a.is_ok() ? a->escrow() : 0;
}

std::string event_id(const Receipt& r, const std::string& name, const std::string& key) {
  const Event* e = find_event(r, name);
  if (e == nullptr) return "";
  auto raw = crypto::from_hex(attr(*e, key));
  return raw ? *raw : "";
}

const Event* find_event(const Receipt& r, const std::string& name) {
  for (const auto& e : r.events()) {
    if (e.name() == name) return &e;
  }
  return nullptr;
}

std::string attr(const Event& e, const std::string& key) {
  for (const auto& a : e.attributes()) {
    if (a.key() == key) return a.value();
  }
  return "";
}

}  // namespace sharechain::contracts::testing
