#include "tests/fuzz/support/replica.hpp"

#include <algorithm>

#include "consensus/signing.hpp"
#include "tests/consensus/harness.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tools/sim/fake_crypto.hpp"

namespace sharechain::fuzz {
namespace {

namespace cst = consensus::testing;

constexpr std::uint64_t kSecretBase = 0x5eed'0000;

struct FakeKeys {
  std::vector<std::unique_ptr<sim::FakeSigner>> signers;
  std::unique_ptr<sim::FakeVerifier> verifier;
  FakeKeys() {
    std::vector<std::uint64_t> secrets;
    for (std::uint32_t i = 0; i < kValidators; ++i) {
      secrets.push_back(kSecretBase + i);
      signers.push_back(std::make_unique<sim::FakeSigner>(kSecretBase + i));
    }
    verifier = std::make_unique<sim::FakeVerifier>(secrets);
  }
};

FakeKeys& fake_keys() {
  static FakeKeys* keys = new FakeKeys();
  return *keys;
}

}  // namespace

consensus::Signer& fake_signer(std::uint32_t validator) {
  return *fake_keys().signers.at(validator % kValidators);
}

consensus::Verifier& fake_verifier() { return *fake_keys().verifier; }

const consensus::Config& replica_config(std::uint32_t self) {
  static const std::vector<consensus::Config>* configs = [] {
    auto* out = new std::vector<consensus::Config>();
    for (std::uint32_t i = 0; i < kValidators; ++i) out->push_back(cst::make_config(kValidators, i));
    return out;
  }();
  return configs->at(self % kValidators);
}

consensus::Tx request_tx(std::string_view body) {
  SignedTransaction tx;
  tx.set_body(std::string(body));
  consensus::Tx t;
  t.hash = crypto::sha256(tx.body());
  tx.SerializeToString(&t.bytes);
  return t;
}

Replica::Replica(std::uint32_t self)
    : self_(self % kValidators), now_(cst::kStart), last_timestamp_ms_(cst::kGenesisTs) {
  static cst::AcceptAll* app = new cst::AcceptAll();
  app_ = app;
  boot();
}

void Replica::boot() {
  timers_.clear();
  const crypto::Hash root = roots_.empty() ? cst::genesis_root() : roots_.back();
  engine_ = std::make_unique<consensus::Engine>(replica_config(self_), fake_signer(self_),
                                                fake_verifier(), *app_, persisted_, height(),
                                                hashes_.empty() ? crypto::Hash{} : hashes_.back(),
                                                root, last_timestamp_ms_);
}

consensus::Actions Replica::start() {
  ++now_;
  return run(engine_->start(now_));
}

consensus::Actions Replica::message(const consensus::Envelope& envelope) {
  ++now_;
  return run(engine_->on_message(envelope, now_));
}

std::optional<consensus::Actions> Replica::timer(consensus::TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return std::nullopt;
  now_ = std::max(now_ + 1, it->second);
  timers_.erase(it);
  return run(engine_->on_timer(id, now_));
}

consensus::Actions Replica::request(std::vector<consensus::Tx> txs) {
  ++now_;
  return run(engine_->on_request(std::move(txs), now_));
}

consensus::Actions Replica::run(consensus::Actions actions) {
  performed_.clear();
  crashed_ = false;
  consensus::perform(*this, std::move(actions));
  consensus::Actions performed = std::move(performed_);
  performed_.clear();
  if (crashed_) {
    crashed_ = false;
    crash_after_.reset();
    ++restarts_;
    boot();
    consensus::Actions restarted = run(engine_->start(now_));
    performed.insert(performed.end(), std::make_move_iterator(restarted.begin()),
                     std::make_move_iterator(restarted.end()));
  }
  return performed;
}

// The crash point: once `crash_after_` actions are done, halted() turns true and perform()
// carries out nothing more of this input.
void Replica::before_action(const consensus::Action&) {
  if (crash_after_ && performed_.size() >= *crash_after_) crashed_ = true;
}

void Replica::do_send(const consensus::Send& send) { performed_.emplace_back(send); }

void Replica::do_broadcast(const consensus::Broadcast& broadcast) {
  performed_.emplace_back(broadcast);
}

void Replica::do_set_timer(const consensus::SetTimer& timer) {
  timers_[timer.id] = now_ + timer.delay_ms;
  performed_.emplace_back(timer);
}

void Replica::do_cancel_timer(const consensus::CancelTimer& timer) {
  timers_.erase(timer.id);
  performed_.emplace_back(timer);
}

Status Replica::do_persist(const consensus::Persist& persist) {
  for (const auto& [k, v] : persist.puts) persisted_[k] = v;
  for (const std::string& k : persist.deletes) persisted_.erase(k);
  performed_.emplace_back(persist);
  return Status::ok();
}

void Replica::do_deliver(const consensus::Deliver& d, consensus::Actions& follow_up) {
  // The engine's promise: committed blocks in height order, each once, certified.
  FUZZ_CHECK(d.height == height() + 1, "delivered height " + std::to_string(d.height) +
                                           " after executing " + std::to_string(height()));
  FUZZ_CHECK(d.hash == consensus::block_hash(d.block),
             "a delivered block's hash is not its header's");
  const Status cert =
      consensus::verify_commit_certificate(replica_config(self_), d.block, fake_verifier());
  FUZZ_CHECK(cert.is_ok(), "a delivered block's certificate does not verify: " + cert.message());
  BlockHeader header;
  header.ParseFromString(d.block.header());
  hashes_.push_back(d.hash);
  roots_.push_back(cst::next_root(roots_.empty() ? cst::genesis_root() : roots_.back(), d.hash));
  last_timestamp_ms_ = header.timestamp_ms();
  consensus::Actions more = engine_->on_executed(d.height, roots_.back(), now_);
  follow_up.insert(follow_up.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
  performed_.emplace_back(d);
}

void Replica::do_fetch(const consensus::FetchBlocks& fetch) { performed_.emplace_back(fetch); }

void Replica::do_evidence(const consensus::Evidence& evidence) {
  performed_.emplace_back(evidence);
}

// A halted engine ignores every later input on its own; the replica only reports the Halt, as
// its callers check the engine's state themselves.
void Replica::do_halt(const consensus::Halt& halt) { performed_.emplace_back(halt); }

}  // namespace sharechain::fuzz
