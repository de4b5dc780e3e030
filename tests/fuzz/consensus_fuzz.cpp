// Fuzz target consensus: one PBFT replica (consensus::Engine) driven by a fuzzed sequence of
// inputs from the other three validators, its timers, its clients and its own crashes
// (support/replica.hpp gives the input format). Signatures are the simulator's cheap fake ones,
// and the target signs every message and every vote inside it on behalf of the validator that
// the input names (never on behalf of this replica), so a mutated message is judged on its
// content rather than dropped for a stale signature; a kEnvelope step delivers bytes unsigned
// by the target. With three validators in the fuzzer's hands (more than f = 1), the replica may
// legitimately be led to halt; what it must never do:
//  - crash, assert, run into UB, or throw
//  - equivocate: sign two different PREPAREs (a PRE-PREPARE is its PREPARE too) or two
//    different COMMITs for one (view, height), or two different CHECKPOINTs for one height,
//    across crashes and restarts included (which is what persisting before sending is for)
//  - send an envelope that is not its own, validly signed and decodable (round trip stable)
//  - deliver a block out of height order, twice, with a hash that is not its header's, or
//    without a certificate that verifies (support/replica.cpp checks each Deliver)
//  - go back in view or committed height within one life; act after halting; halt without a
//    reason; report evidence that is not two validly signed envelopes of another validator;
//    ask to fetch blocks from itself or an empty range
//  - drop a message without counting it and saying why (rejections_total(), last_rejection())
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "consensus/view_change.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/records.hpp"
#include "tests/fuzz/support/replica.hpp"

using namespace sharechain;
using namespace sharechain::consensus;

namespace {

const std::string& chain_id() { return fuzz::replica_config(0).chain_id; }

// --- signing on the fuzzer's behalf -------------------------------------------------------

class Signing {
 public:
  explicit Signing(std::uint32_t self) : self_(self) {}

  std::string vote(std::uint32_t v, VoteKind kind, std::uint64_t view, std::uint64_t height,
                   const crypto::Hash& hash, const std::string& keep) const {
    if (v >= fuzz::kValidators || v == self_) return keep;
    return fuzz::fake_signer(v).sign(vote_digest(kind, chain_id(), view, height, hash));
  }

  void commit_certificate(CommitCertificate& c) const {
    const auto hash = crypto::hash_from_bytes(c.block_hash());
    if (!hash) return;
    for (auto& v : *c.mutable_votes()) {
      v.set_signature(vote(v.validator(), VoteKind::kCommit, c.view(), c.height(), *hash, v.signature()));
    }
  }

  void checkpoint_proof(CheckpointProof& p) const {
    const auto hash = crypto::hash_from_bytes(p.block_hash());
    const auto root = crypto::hash_from_bytes(p.state_root());
    if (!hash || !root) return;
    for (auto& v : *p.mutable_votes()) {
      if (v.validator() < fuzz::kValidators && v.validator() != self_) {
        v.set_signature(fuzz::fake_signer(v.validator()).sign(checkpoint_digest(chain_id(), p.height(), *hash, *root)));
      }
    }
  }

  void prepared_certificate(PreparedCertificate& c) const {
    const crypto::Hash hash = block_hash(c.block());
    for (auto& v : *c.mutable_votes()) {
      v.set_signature(vote(v.validator(), VoteKind::kPrepare, c.view(), c.height(), hash, v.signature()));
    }
  }

  void view_change(ViewChange& vc) const {
    if (vc.has_committed()) commit_certificate(*vc.mutable_committed());
    if (vc.has_checkpoint()) checkpoint_proof(*vc.mutable_checkpoint());
    if (vc.has_prepared()) prepared_certificate(*vc.mutable_prepared());
  }

  Envelope seal_as(std::uint32_t v, const Message& m) const {
    return seal(m, v, chain_id(), fuzz::fake_signer(v));
  }

  // Re-signs every signature `from` and the other validators named inside `m` would have made.
  void message(Message& m, std::uint32_t from) const {
    switch (m.kind_case()) {
      case Message::kPrePrepare: {
        auto* pp = m.mutable_pre_prepare();
        pp->set_prepare_signature(vote(from, VoteKind::kPrepare, pp->view(), pp->height(),
                                       block_hash(pp->block()), pp->prepare_signature()));
        break;
      }
      case Message::kPrepare:
      case Message::kCommit: {
        const bool prepare = m.kind_case() == Message::kPrepare;
        auto* v = prepare ? nullptr : m.mutable_commit();
        auto* p = prepare ? m.mutable_prepare() : nullptr;
        const std::string& raw = prepare ? p->block_hash() : v->block_hash();
        const auto hash = crypto::hash_from_bytes(raw);
        if (!hash) break;
        if (prepare) {
          p->set_signature(vote(from, VoteKind::kPrepare, p->view(), p->height(), *hash, p->signature()));
        } else {
          v->set_signature(vote(from, VoteKind::kCommit, v->view(), v->height(), *hash, v->signature()));
        }
        break;
      }
      case Message::kCheckpoint: {
        auto* c = m.mutable_checkpoint();
        const auto hash = crypto::hash_from_bytes(c->block_hash());
        const auto root = crypto::hash_from_bytes(c->state_root());
        if (hash && root && from < fuzz::kValidators && from != self_) {
          c->set_signature(fuzz::fake_signer(from).sign(checkpoint_digest(chain_id(), c->height(), *hash, *root)));
        }
        break;
      }
      case Message::kViewChange:
        view_change(*m.mutable_view_change());
        break;
      case Message::kNewView:
        new_view(*m.mutable_new_view());
        break;
      case Message::kCommitted:
        commit_certificate(*m.mutable_committed()->mutable_certificate());
        break;
      case Message::KIND_NOT_SET:
        break;
    }
  }

 private:
  void new_view(NewView& nv) const {
    std::vector<ViewChangeSummary> summaries;
    for (Envelope& e : *nv.mutable_view_changes()) {
      if (e.validator() >= fuzz::kValidators || e.validator() == self_) continue;
      auto inner = decode(e);
      if (inner && inner->has_view_change()) {
        view_change(*inner->mutable_view_change());
        e = seal_as(e.validator(), *inner);
      }
    }
    for (const Envelope& e : nv.view_changes()) {
      auto inner = decode(e);
      if (!inner || !inner->has_view_change() || e.validator() >= fuzz::kValidators) continue;
      auto s = verify_view_change(chain_id(), fuzz::kValidators, e.validator(), inner->view_change(),
                                  fuzz::fake_verifier());
      if (s) summaries.push_back(std::move(s).value());
    }
    auto decision = decide_new_view(nv.view(), fuzz::kValidators, summaries);
    if (decision && decision->reproposal) {
      const auto& r = *decision->reproposal;
      nv.set_reproposal_signature(vote(primary_of(nv.view(), fuzz::kValidators), VoteKind::kPrepare,
                                       nv.view(), r.height, r.hash, nv.reproposal_signature()));
    }
  }

  std::uint32_t self_;
};

// --- what the replica says and does -------------------------------------------------------

class Observer {
 public:
  explicit Observer(fuzz::Replica& replica) : r_(replica) {}

  void actions(const Actions& actions) {
    if (r_.restarts() != life_) {  // a new life: its view and height start from what persisted
      life_ = r_.restarts();
      view_ = 0;
      committed_ = 0;
      halted_ = false;
    }
    FUZZ_CHECK(!halted_ || actions.empty(), "acted after halting");
    const std::uint32_t self = r_.self();
    bool halted = false;
    for (const Action& a : actions) {
      const Envelope* env = nullptr;
      if (const auto* s = std::get_if<Send>(&a)) {
        FUZZ_CHECK(s->to < fuzz::kValidators && s->to != self, "sent a message to " + std::to_string(s->to));
        env = &s->envelope;
      } else if (const auto* b = std::get_if<Broadcast>(&a)) {
        env = &b->envelope;
      } else if (const auto* h = std::get_if<Halt>(&a)) {
        FUZZ_CHECK(!h->reason.empty(), "halted without a reason");
        halted = true;
      } else if (const auto* e = std::get_if<Evidence>(&a)) {
        evidence(*e);
      } else if (const auto* f = std::get_if<FetchBlocks>(&a)) {
        FUZZ_CHECK(f->from_height >= 1 && f->from_height <= f->to_height,
                   "asked to fetch " + std::to_string(f->from_height) + ".." + std::to_string(f->to_height));
        for (std::uint32_t source : f->sources) {
          FUZZ_CHECK(source != self && source < fuzz::kValidators, "a fetch source is itself");
        }
      }
      if (env != nullptr) {
        FUZZ_CHECK(!halted, "acted after halting");
        own(*env);
      }
    }
    Engine& e = r_.engine();
    FUZZ_CHECK(e.view() >= view_, "view went back from " + std::to_string(view_) + " to " + std::to_string(e.view()));
    FUZZ_CHECK(e.committed_height() >= committed_, "committed height went back");
    FUZZ_CHECK(!e.halted() || !e.halt_reason().empty(), "halted without a reason");
    view_ = e.view();
    committed_ = e.committed_height();
    halted_ = e.halted();
  }

 private:
  void own(const Envelope& env) {
    const std::uint32_t self = r_.self();
    FUZZ_CHECK(env.validator() == self, "sent an envelope of validator " + std::to_string(env.validator()));
    FUZZ_CHECK(fuzz::fake_verifier().verify(self, envelope_digest(chain_id(), env.payload()), env.signature()),
               "sent an envelope whose signature does not verify");
    const auto m = decode(env);
    FUZZ_CHECK(m.has_value(), "sent an envelope that does not decode");
    fuzz::check_round_trip(*m);
    switch (m->kind_case()) {
      case Message::kPrePrepare: {
        const crypto::Hash hash = block_hash(m->pre_prepare().block());
        FUZZ_CHECK(fuzz::fake_verifier().verify(self, vote_digest(VoteKind::kPrepare, chain_id(),
                                                                 m->pre_prepare().view(),
                                                                 m->pre_prepare().height(), hash),
                                                m->pre_prepare().prepare_signature()),
                   "a pre-prepare's own vote does not verify");
        vote(0, m->pre_prepare().view(), m->pre_prepare().height(), hash);
        break;
      }
      case Message::kPrepare:
      case Message::kCommit: {
        const bool prepare = m->kind_case() == Message::kPrepare;
        const auto hash = crypto::hash_from_bytes(prepare ? m->prepare().block_hash() : m->commit().block_hash());
        FUZZ_CHECK(hash.has_value(), "sent a vote whose block hash is not 32 bytes");
        if (prepare) {
          vote(0, m->prepare().view(), m->prepare().height(), *hash);
        } else {
          vote(1, m->commit().view(), m->commit().height(), *hash);
        }
        break;
      }
      case Message::kCheckpoint: {
        const auto& c = m->checkpoint();
        auto [it, fresh] = checkpoints_.try_emplace(c.height(), c.block_hash() + c.state_root());
        FUZZ_CHECK(fresh || it->second == c.block_hash() + c.state_root(),
                   "signed two different checkpoints at height " + std::to_string(c.height()));
        break;
      }
      default:
        break;
    }
  }

  void vote(int kind, std::uint64_t view, std::uint64_t height, const crypto::Hash& hash) {
    auto [it, fresh] = votes_.try_emplace({kind, view, height}, hash);
    FUZZ_CHECK(fresh || it->second == hash,
               std::string("equivocated: two different ") + (kind == 0 ? "PREPAREs" : "COMMITs") +
                   " at view " + std::to_string(view) + " height " + std::to_string(height));
  }

  void evidence(const Evidence& e) {
    FUZZ_CHECK(e.validator != r_.self() && e.validator < fuzz::kValidators, "evidence against itself");
    for (const Envelope* env : {&e.first, &e.second}) {
      FUZZ_CHECK(env->validator() == e.validator &&
                     fuzz::fake_verifier().verify(e.validator, envelope_digest(chain_id(), env->payload()),
                                                  env->signature()),
                 "evidence holds an envelope not signed by the accused");
    }
    FUZZ_CHECK(e.first.payload() != e.second.payload(), "evidence of two identical messages");
  }

  fuzz::Replica& r_;
  std::uint32_t life_ = 0;
  std::uint64_t view_ = 0;
  std::uint64_t committed_ = 0;
  bool halted_ = false;
  std::map<std::tuple<int, std::uint64_t, std::uint64_t>, crypto::Hash> votes_;
  std::map<std::uint64_t, std::string> checkpoints_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  fuzz::Replica replica(data[0]);
  const Signing signing(replica.self());
  Observer observer(replica);
  observer.actions(replica.start());

  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (const fuzz::Record& record : fuzz::split_records(rest, 256)) {
    const auto kind = static_cast<fuzz::StepKind>(record.tag & 0xf);
    const std::uint32_t from = (record.tag >> 4) % fuzz::kValidators;
    Actions acts;
    switch (kind) {
      case fuzz::StepKind::kMessage:
      case fuzz::StepKind::kEnvelope: {
        Envelope env;
        if (kind == fuzz::StepKind::kMessage) {
          if (auto m = fuzz::decode_stable<Message>(record.bytes)) {
            signing.message(*m, from);
            env = signing.seal_as(from, *m);
          } else {
            Message none;
            env = signing.seal_as(from, none);
            env.set_payload(std::string(record.bytes));
            env.set_signature(fuzz::fake_signer(from).sign(envelope_digest(chain_id(), env.payload())));
          }
        } else {
          auto e = fuzz::decode_stable<Envelope>(record.bytes);
          if (!e) continue;
          env = std::move(*e);
        }
        const Engine& engine = replica.engine();
        const bool was_halted = engine.halted();
        const std::uint64_t before = engine.rejections_total();
        const std::uint32_t life = replica.restarts();
        acts = replica.message(env);
        if (replica.restarts() == life && !was_halted && replica.engine().rejections_total() > before) {
          FUZZ_CHECK(replica.engine().last_rejection() && !replica.engine().last_rejection()->detail.empty(), "a message dropped without a reason");
        }
        break;
      }
      case fuzz::StepKind::kTimer: {
        if (record.bytes.empty()) continue;
        auto fired = replica.timer(static_cast<TimerId>(static_cast<std::uint8_t>(record.bytes[0]) % 4));
        if (!fired) continue;
        acts = std::move(*fired);
        break;
      }
      case fuzz::StepKind::kRequest:
        acts = replica.request({fuzz::request_tx(record.bytes)});
        break;
      case fuzz::StepKind::kWait: {
        std::uint64_t ms = 0;
        for (std::size_t i = 0; i < record.bytes.size() && i < 2; ++i) {
          ms |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(record.bytes[i])) << (8 * i);
        }
        replica.advance(ms);
        continue;
      }
      case fuzz::StepKind::kCrash:
        replica.crash_after(record.bytes.empty() ? 0 : static_cast<std::uint8_t>(record.bytes[0]));
        continue;
      default:
        continue;
    }
    observer.actions(acts);
  }
  return 0;
}
