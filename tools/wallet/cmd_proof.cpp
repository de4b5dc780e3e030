// Proof bundles: written from what a node serves (GetProof for each transaction behind the facts,
// the node's chain id, genesis hash and validator set), checked with nothing but the genesis file.
//
// Exit codes of verify-bundle: 0 everything proven, 1 a check failed (the first one is named),
// 2 the bundle or the genesis file cannot be read.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "proofs/bundle.hpp"
#include "proto/genesis.hpp"
#include "sharechain/vehicles.pb.h"
#include "tools/common/chain_trust.hpp"
#include "tools/common/cli.hpp"
#include "tools/common/files.hpp"
#include "tools/wallet/context.hpp"
#include "tools/wallet/proof_bundles.hpp"

namespace sharechain::wallet {
namespace {

constexpr int kExitProven = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitUnreadable = 2;
// How long a bundle waits for the block that certifies the newest receipt it needs. That block
// follows within a batch delay, busy chain or idle (the primary's certifying block); the margin
// covers a view change, or a primary restarted from a snapshot, which certifies at the next
// commit.
constexpr auto kCertifyWait = std::chrono::seconds(30);
constexpr auto kCertifyPoll = std::chrono::milliseconds(250);

// The chain as the node describes it: what a bundle names and is checked against before it is
// written. The reader of the bundle checks it against its own genesis file instead.
Outcome<proofs::Trust> node_trust(Context& ctx) {
  Outcome<client::Node*> c = ctx.client();
  if (!c) return c.failure();
  return tools::chain_trust(**c);
}

// `ask()`'s answer, asked again while the node says FAILED_PRECONDITION "not certified yet": the
// block that certifies what is asked about follows within a batch delay, or after a view change
// or a restart. `waiting_for` completes the note printed once when it has to wait.
template <typename Proof, typename Ask>
Outcome<Proof> until_certified(Context& ctx, const std::string& waiting_for, Ask ask) {
  const auto deadline = std::chrono::steady_clock::now() + kCertifyWait;
  bool told = false;
  while (true) {
    Outcome<Proof> p = ask();
    if (p || p.failure().message.find("not certified yet") == std::string::npos ||
        std::chrono::steady_clock::now() >= deadline) {
      return p;
    }
    if (!told) {
      ctx.err() << "note: waiting for " << waiting_for << " (up to " << kCertifyWait.count() << " s)\n";
      told = true;
    }
    std::this_thread::sleep_for(kCertifyPoll);
  }
}

Outcome<api::TransactionProof> fetch_proof(Context& ctx, const std::string& tx_hash32) {
  Outcome<client::Node*> c = ctx.client();
  if (!c) return c.failure();
  return until_certified<api::TransactionProof>(
      ctx, "the block that certifies the receipt of " + crypto::to_hex(tx_hash32),
      [&] { return Outcome<api::TransactionProof>((*c)->proof(tx_hash32)); });
}

// The state proof of `key`; right after a node started on a busy chain, no committed block yet
// certifies a state whose tree it keeps.
Outcome<api::StateProof> fetch_state_proof(Context& ctx, const std::string& key) {
  Outcome<client::Node*> c = ctx.client();
  if (!c) return c.failure();
  return until_certified<api::StateProof>(ctx, "a block that certifies the node's state",
                                          [&] { return Outcome<api::StateProof>((*c)->state_proof(key)); });
}

int write_bundle(Context& ctx, std::string_view kind, const proofs::Trust& trust, proofs::Json facts,
                 const std::vector<api::TransactionProof>& list, const std::string& file,
                 const std::vector<api::StateProof>& states = {}) {
  const std::string text = proofs::make_bundle(kind, trust, std::move(facts), list, states).dump(2) + "\n";
  const proofs::BundleVerdict check = proofs::verify_bundle(text, trust);
  if (check.outcome != proofs::BundleVerdict::Outcome::kProven) {
    return ctx.fail(Failure::refused("the node's proof does not verify, no bundle written: " + check.reason));
  }
  if (Status s = tools::write_file_atomic(file, text, 0644, tools::Overwrite::kYes); !s) {
    return ctx.fail(Failure::from_local(s));
  }
  std::uint64_t top = 0;
  for (const auto& p : check.proven) top = std::max(top, p.anchor_height);
  proofs::Json out;
  out["bundle"] = file;
  out["kind"] = std::string(kind);
  out["proofs"] = check.proven.size();
  for (const auto& s : check.proven_states) top = std::max(top, s.anchor_height);
  if (!check.proven_states.empty()) {
    out["state_proofs"] = check.proven_states.size();
    out["state_height"] = check.proven_states.front().height;
  }
  out["certified_through_height"] = top;
  out["bytes"] = text.size();
  ctx.show(out);
  return tools::kExitOk;
}

// Every transaction's proof, each verified against the node's validator set, in chain order (by
// height, then position in the block) as a bundle lists them.
struct ProvenSet {
  std::vector<api::TransactionProof> proofs;
  std::vector<proofs::ProvenTransaction> proven;
};

Outcome<ProvenSet> prove_all(Context& ctx, const proofs::Trust& trust, const std::vector<std::string>& hashes) {
  std::vector<std::pair<proofs::ProvenTransaction, api::TransactionProof>> fetched;
  for (const std::string& hash : hashes) {
    Outcome<api::TransactionProof> proof = fetch_proof(ctx, hash);
    if (!proof) return proof.failure();
    auto p = proofs::verify_transaction_proof(*proof, trust);
    if (!p) return Failure::refused("the node's proof does not verify, no bundle written: " + p.status().message());
    fetched.emplace_back(std::move(p).value(), std::move(proof).value());
  }
  std::sort(fetched.begin(), fetched.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.first.height, a.first.index) < std::make_pair(b.first.height, b.first.index);
  });
  ProvenSet out;
  for (auto& [p, proof] : fetched) {
    out.proven.push_back(std::move(p));
    out.proofs.push_back(std::move(proof));
  }
  return out;
}

void register_verify(CLI::App& app, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto genesis = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("verify-bundle",
                                     "check a proof bundle offline against a genesis file; no node is contacted");
  cmd->add_option("file", *file, "the bundle (from `tx --bundle`, `vehicle report --bundle`, `state --bundle`, ...)")
      ->required();
  cmd->add_option("--genesis", *genesis, "the chain's genesis file: the only thing the check trusts")->required();
  on_run(cmd, ctx, [&ctx, file, genesis] {
    auto text = tools::read_file(*file);
    if (!text) return ctx.fail(Failure{kExitUnreadable, "cannot read bundle: " + text.status().message()});
    auto genesis_bytes = tools::read_file(*genesis);
    if (!genesis_bytes) {
      return ctx.fail(Failure{kExitUnreadable, "cannot read genesis: " + genesis_bytes.status().message()});
    }
    auto loaded = parse_genesis(*genesis_bytes, *genesis);
    if (!loaded) return ctx.fail(Failure{kExitUnreadable, loaded.status().message()});
    const proofs::BundleVerdict v = proofs::verify_bundle(*text, proofs::trust_from(*loaded));
    if (v.outcome == proofs::BundleVerdict::Outcome::kUnreadable) {
      return ctx.fail(Failure{kExitUnreadable, *file + ": " + v.reason});
    }
    proofs::Json out;
    out["file"] = *file;
    out["proven"] = v.outcome == proofs::BundleVerdict::Outcome::kProven;
    out["chain_id"] = loaded->genesis.chain_id();
    if (v.outcome == proofs::BundleVerdict::Outcome::kFailed) {
      out["error"] = v.reason;
      if (ctx.json()) ctx.print_json(out);
      return ctx.fail(Failure{kExitCheckFailed, "NOT PROVEN: " + v.reason});
    }
    out["kind"] = v.kind;
    proofs::Json blocks = proofs::Json::array();
    for (const auto& p : v.proven) {
      blocks.push_back({{"tx_hash", crypto::to_hex(p.tx_hash)},
                        {"height", p.height},
                        {"index", p.index},
                        {"certified_by", p.anchor_height}});
    }
    out["transactions"] = std::move(blocks);
    if (!v.proven_states.empty()) {
      proofs::Json states = proofs::Json::array();
      for (const auto& s : v.proven_states) {
        states.push_back({{"key", crypto::to_hex(s.key)},
                          {"present", s.present},
                          {"height", s.height},
                          {"certified_by", s.anchor_height}});
      }
      out["states"] = std::move(states);
    }
    out["facts"] = v.facts;
    ctx.show(out);
    return kExitProven;
  });
}

}  // namespace

int write_transaction_bundle(Context& ctx, const std::string& tx_hash32, const std::string& file) {
  Outcome<proofs::Trust> trust = node_trust(ctx);
  if (!trust) return ctx.fail(trust.failure());
  Outcome<api::TransactionProof> proof = fetch_proof(ctx, tx_hash32);
  if (!proof) return ctx.fail(proof.failure());
  auto proven = proofs::verify_transaction_proof(*proof, *trust);
  if (!proven) {
    return ctx.fail(Failure::refused("the node's proof does not verify, no bundle written: " + proven.status().message()));
  }
  return write_bundle(ctx, proofs::kKindTransaction, *trust, proofs::transaction_facts(*proven), {*proof}, file);
}

int write_vehicle_bundle(Context& ctx, const std::string& vin, const std::string& file) {
  Outcome<proofs::Trust> trust = node_trust(ctx);
  if (!trust) return ctx.fail(trust.failure());
  api::QueryRequest q;
  q.mutable_vehicles()->mutable_records()->set_vin(vin);
  Outcome<api::QueryResponse> r = ctx.query(q);
  if (!r) return ctx.fail(r.failure());
  // Every transaction behind the report: each record's submission and its endorsements (the
  // last of which decided it), each once.
  std::set<std::string> hashes;
  auto add = [&](const std::string& hash) {
    if (hash.size() == crypto::kHashSize) hashes.insert(hash);
  };
  for (const vehicles::Record& rec : r->vehicles().records().records()) {
    add(rec.submitted_tx());
    for (const vehicles::Endorsement& e : rec.endorsements()) add(e.tx_hash());
    add(rec.decided_tx());
  }
  if (hashes.empty()) return ctx.fail(Failure::refused("vehicle " + vin + " has no records on this chain"));
  Outcome<ProvenSet> set = prove_all(ctx, *trust, std::vector<std::string>(hashes.begin(), hashes.end()));
  if (!set) return ctx.fail(set.failure());
  // On a chain with a state tree the vehicle's own entry comes too: its record count makes the
  // report complete as of the proof's height (docs/proofs.md, "State proofs"). Fetched after the
  // records, so its height is at or above theirs; a record submitted in between fails the count,
  // and the report is assembled again.
  std::vector<api::StateProof> states;
  std::vector<proofs::ProvenState> proven_states;
  Outcome<api::StateProof> state = fetch_state_proof(ctx, proofs::vehicle_state_key(vin));
  if (state) {
    trust->state_tree = true;  // the node says so by answering; the reader's genesis file decides
    auto proven = proofs::verify_state_proof(*state, *trust);
    if (!proven) {
      return ctx.fail(Failure::refused("the node's state proof does not verify, no bundle written: " +
                                       proven.status().message()));
    }
    proven_states.push_back(std::move(proven).value());
    states.push_back(std::move(state).value());
  } else if (state.failure().message.find("names no state tree") == std::string::npos) {
    return ctx.fail(state.failure());
  }
  auto facts = proofs::derive_facts(proofs::kKindVehicleReport, proofs::Json{{"vin", vin}}, set->proven, proven_states);
  if (!facts) return ctx.fail(Failure::refused(facts.status().message()));
  return write_bundle(ctx, proofs::kKindVehicleReport, *trust, std::move(facts).value(), set->proofs, file, states);
}

int write_state_bundle(Context& ctx, const std::string& key, const std::string& file) {
  Outcome<proofs::Trust> trust = node_trust(ctx);
  if (!trust) return ctx.fail(trust.failure());
  Outcome<api::StateProof> state = fetch_state_proof(ctx, key);
  if (!state) return ctx.fail(state.failure());
  trust->state_tree = true;
  auto proven = proofs::verify_state_proof(*state, *trust);
  if (!proven) {
    return ctx.fail(Failure::refused("the node's state proof does not verify, no bundle written: " +
                                     proven.status().message()));
  }
  return write_bundle(ctx, proofs::kKindState, *trust, proofs::state_facts(*proven), {}, file, {*state});
}

namespace {

// The statement of `asset_hex` over `period`, proven: the asset's agreements and their income
// splits in the period, each transaction's proof checked against the node's validator set. With
// `file`, also written as a bundle.
int revenue_statement(Context& ctx, const std::string& asset_hex, const std::string& period, const std::string& file) {
  auto subject = proofs::revenue_subject(asset_hex, period);
  if (!subject) return ctx.fail(Failure::usage(subject.status().message()));
  Outcome<proofs::Trust> trust = node_trust(ctx);
  if (!trust) return ctx.fail(trust.failure());
  Outcome<client::Node*> c = ctx.client();
  if (!c) return ctx.fail(c.failure());
  Outcome<api::NodeStatus> status = (*c)->status();
  if (!status) return ctx.fail(status.failure());
  const std::uint64_t tip = status->height();
  const std::uint64_t from_ms = (*subject)["from_ms"].get<std::uint64_t>();
  const std::uint64_t to_ms = (*subject)["to_ms"].get<std::uint64_t>();

  // The asset's agreements, then their income splits inside the period.
  api::EventFilter agreements_filter;
  agreements_filter.add_contracts("usage");
  agreements_filter.add_names("AgreementProposed");
  agreements_filter.add_object_ids(*crypto::from_hex(asset_hex));
  Outcome<std::vector<api::EventBatch>> proposed = (*c)->events(agreements_filter, 1, tip);
  if (!proposed) return ctx.fail(proposed.failure());
  std::set<std::string> hashes;
  api::EventFilter income_filter;
  income_filter.add_contracts("revenue");
  income_filter.add_names("IncomeSplit");
  for (const api::EventBatch& b : *proposed) {
    for (const api::EventRecord& r : b.events()) {
      hashes.insert(r.tx_hash());
      for (const Attribute& a : r.event().attributes()) {
        if (a.key() == "agreement" && a.typed_case() == Attribute::kId) income_filter.add_object_ids(a.id());
      }
    }
  }
  if (income_filter.object_ids_size() > 0) {
    Outcome<std::vector<api::EventBatch>> income = (*c)->events(income_filter, 1, tip);
    if (!income) return ctx.fail(income.failure());
    for (const api::EventBatch& b : *income) {
      if (b.timestamp_ms() < from_ms || b.timestamp_ms() >= to_ms) continue;
      for (const api::EventRecord& r : b.events()) hashes.insert(r.tx_hash());
    }
  }
  if (hashes.empty()) return ctx.fail(Failure::refused("asset " + asset_hex + " has no usage agreement on this chain"));

  Outcome<ProvenSet> set = prove_all(ctx, *trust, std::vector<std::string>(hashes.begin(), hashes.end()));
  if (!set) return ctx.fail(set.failure());
  auto facts = proofs::derive_facts(proofs::kKindRevenueStatement, *subject, set->proven);
  if (!facts) return ctx.fail(Failure::refused(facts.status().message()));
  if (!file.empty()) {
    return write_bundle(ctx, proofs::kKindRevenueStatement, *trust, std::move(facts).value(), set->proofs, file);
  }
  ctx.show(*facts);
  return tools::kExitOk;
}

void register_revenue(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand("revenue", "an asset's income and how it was split, proven");
  group->require_subcommand(1);
  auto asset = std::make_shared<std::string>();
  auto period = std::make_shared<std::string>();
  auto bundle = std::make_shared<std::string>();
  CLI::App* cmd = group->add_subcommand(
      "statement", "the asset's income splits in a period, each proven against the validators' certificates");
  cmd->add_option("asset", *asset, "asset id (hex)")->required();
  cmd->add_option("--period", *period, "YYYY-MM (a calendar month, UTC) or YYYY")->required();
  cmd->add_option("--bundle", *bundle,
                  "also write the statement as a proof bundle to this file, checkable offline with `verify-bundle` "
                  "(docs/proofs.md); prints the bundle's summary instead of the statement");
  on_run(cmd, ctx, [&ctx, asset, period, bundle] { return revenue_statement(ctx, *asset, *period, *bundle); });
}

}  // namespace

void register_proof_commands(CLI::App& app, Context& ctx) {
  register_verify(app, ctx);
  register_revenue(app, ctx);
}

}  // namespace sharechain::wallet
