// The set-up of a run: roles where missing, the split models, and for every asset its
// registration, owner verification (parking spaces) and usage agreement, proposed, amended and
// confirmed by every partner.
#include <thread>

#include "contracts/client.hpp"
#include "proto/crypto.hpp"
#include "tools/dataserver/runner_internal.hpp"

namespace sharechain::dataserver {

namespace {

// The attester keys of a `sharechain-net init` keystore and the organisation each stands for
// when the operator has to grant the role.
struct AttesterSeat {
  std::string_view key;
  std::string_view organisation;
};
constexpr AttesterSeat kAttesters[] = {{"attester1", "Acme Motors"},
                                       {"attester2", "Northwind Insurance"},
                                       {"attester3", "City Vehicle Registry"}};

bool has_role(const std::optional<ledger::Account>& a, std::string_view role) {
  if (!a) return false;
  for (const std::string& r : a->roles()) {
    if (r == role) return true;
  }
  return false;
}

}  // namespace

bool Runner::ensure_roles() {
  // Roles belong to the operator committee: the operator proposes, the other committee keys
  // approve until the proposal executes (at once when the threshold is 1).
  auto grant = [&](Signer& who, std::string_view role, std::string_view organisation) {
    auto account = chain_.account(who.address());
    if (!account) {
      log("cannot read account " + who.name() + ": " + account.status().message());
      return false;
    }
    if (has_role(*account, role)) return true;
    log("proposing the " + std::string(role) + " role for " + who.name());
    auto proposed = act(cast(kOperatorKey), "propose grant role", [&](TransactionBody& b) {
      auto* g = b.mutable_governance()->mutable_propose()->mutable_action()->mutable_grant_role();
      g->set_account(who.address());
      g->set_role(std::string(role));
      g->set_organisation(std::string(organisation));
    });
    if (!proposed) return false;
    const std::string id = event_attr(proposed->receipt, "governance", "ProposalCreated", "proposal");
    bool executed = tools::has_event(proposed->receipt, "governance", "ProposalExecuted");
    for (const std::string& member : committee_keys_) {
      if (executed || id.empty()) break;
      auto approved = act(cast(member), "approve grant role", [&](TransactionBody& b) {
        b.mutable_governance()->mutable_approve()->set_proposal_id(std::stoull(id));
      });
      if (!approved) return false;
      executed = tools::has_event(approved->receipt, "governance", "ProposalExecuted");
    }
    if (!executed) {
      log("proposal " + id + " to grant " + std::string(role) + " to " + who.name() +
          " needs approvals from committee keys this keystore does not hold");
    }
    return executed;
  };
  if (!grant(cast(kDataServerKey), "data_server", "")) {
    log("the data server key does not hold the data_server role and the committee could not grant it");
    return false;
  }
  for (const AttesterSeat& a : kAttesters) grant(cast(a.key), "attester", a.organisation);
  // A record needs `attestation_threshold` (3) endorsers besides its submitter: with three
  // attesters a submitted record could never be attested, so a dealer joins them.
  grant(cast(kDealerKey), "attester", kDealerOrganisation);
  return true;
}

bool Runner::set_up() {
  if (!ensure_roles()) return false;

  for (const ModelPlan& m : plan_.models) {
    models_.push_back(std::make_unique<LiveModel>());
    models_.back()->plan = &m;
  }
  for (const AssetPlan& a : plan_.assets) {
    assets_.push_back(std::make_unique<LiveAsset>());
    assets_.back()->plan = &a;
  }
  // Every asset and model is independent of the others: set them up side by side.
  std::vector<std::thread> threads;
  for (auto& m : models_) threads.emplace_back([this, &m] { set_up_model(*m); });
  for (auto& a : assets_) threads.emplace_back([this, &a] { set_up_asset(*a); });
  for (auto& t : threads) t.join();

  std::size_t ready = 0;
  for (const auto& a : assets_) ready += a->agreement_id.empty() ? 0 : 1;
  std::size_t models = 0;
  for (const auto& m : models_) models += m->id.empty() ? 0 : 1;
  log("set-up: " + std::to_string(ready) + " of " + std::to_string(assets_.size()) +
      " assets open for use, " + std::to_string(models) + " of " + std::to_string(models_.size()) +
      " split models active");
  if (ready == 0) log("no asset could be set up; see the failures in the report");
  return ready > 0;
}

void Runner::set_up_model(LiveModel& model) {
  const ModelPlan& p = *model.plan;
  auto terms = [&](const std::vector<PartnerPlan>& parties) {
    revenue::ModelTerms t;
    t.set_name(p.name + " (run " + run_tag_ + ")");
    t.set_settlement_period_ms(p.period_ms);
    for (const PartnerPlan& party : parties) {
      revenue::Party* out = t.add_parties();
      out->set_account(cast(party.key).address());
      out->set_share_bps(party.share_bps);
      out->set_label(party.label);
    }
    return t;
  };

  auto proposed = act(cast(p.proposer), "propose split model", [&](TransactionBody& b) {
    *b.mutable_revenue()->mutable_propose()->mutable_terms() = terms(p.parties);
  });
  if (!proposed) return;
  const std::string id = raw_id(event_attr(proposed->receipt, "revenue", "ModelProposed", "model"));

  // Another party edits the shares; every party sees the edit and must confirm it.
  auto edited = act(cast(p.editor), "edit split model", [&](TransactionBody& b) {
    auto* e = b.mutable_revenue()->mutable_edit();
    e->set_model_id(id);
    e->set_base_version(1);
    *e->mutable_terms() = terms(p.edited_parties);
    e->set_note("shares rebalanced after review");
  });
  if (!edited) return;
  std::optional<Committed> last;
  for (const PartnerPlan& party : p.edited_parties) {
    if (party.key == p.editor) continue;
    last = act(cast(party.key), "confirm split model", [&](TransactionBody& b) {
      auto* c = b.mutable_revenue()->mutable_confirm();
      c->set_model_id(id);
      c->set_version(2);
    });
    if (!last) return;
  }
  if (!last || event_attr(last->receipt, "revenue", "ModelActivated", "model").empty()) {
    std::lock_guard lock(report_mu_);
    report_.on_failure("activate split model", "the last confirmation did not activate the model");
    return;
  }
  api::QueryRequest q;
  q.mutable_revenue()->mutable_model()->set_model_id(id);
  auto answer = chain_.query(q);
  if (!answer) {
    std::lock_guard lock(report_mu_);
    report_.on_failure("read split model", answer.status().message());
    return;
  }
  model.pot = answer->revenue().model().pot();
  model.last_settled_ms = last->block_time_ms;
  model.last_routed_ms = 0;
  model.id = id;
}

void Runner::set_up_asset(LiveAsset& asset) {
  const AssetPlan& p = *asset.plan;
  Signer& ds = cast(kDataServerKey);
  Signer& owner = cast(p.owner);

  assets::AssetSpec spec = p.spec;
  // A name unique to the run: an owner's consent may be used once, and it covers the spec.
  spec.set_name(spec.name() + " (run " + run_tag_ + ")");
  std::optional<Committed> registered;
  if (p.via_consent) {
    // The owner signs the exact spec bytes; the data server registers on its behalf.
    const std::string spec_bytes = spec.SerializeAsString();
    const crypto::Hash digest = contracts::assets::consent_digest(chain_.chain_id(), spec_bytes);
    registered = act(ds, "register asset", [&](TransactionBody& b) {
      auto* consent = b.mutable_assets()->mutable_register_()->mutable_consent();
      consent->set_public_key(owner.key().public_key());
      consent->set_signature(owner.key().sign(digest));
      consent->set_spec(spec_bytes);
    });
  } else {
    registered = act(owner, "register asset", [&](TransactionBody& b) {
      *b.mutable_assets()->mutable_register_()->mutable_spec() = spec;
    });
  }
  if (!registered) return;
  const std::string id = raw_id(event_attr(registered->receipt, "assets", "AssetRegistered", "asset"));
  {
    std::lock_guard lock(report_mu_);
    report_.add_asset(id, spec.kind());
  }

  if (spec.kind() == assets::PARKING_SPACE) {
    auto verified = act(ds, "verify ownership", [&](TransactionBody& b) {
      auto* v = b.mutable_assets()->mutable_verify_ownership();
      v->set_asset_id(id);
      v->set_proof_hash(crypto::hash_bytes(crypto::sha256("land registry extract for " + spec.name())));
      v->set_note("land registry extract checked against the owner's identity");
    });
    if (!verified) return;
  }

  auto address_of = [&](const std::string& key) { return cast(key).address(); };
  const AgreementPlan& g = p.agreement;
  auto proposed = act(cast(g.proposer), "propose agreement", [&](TransactionBody& b) {
    auto* pr = b.mutable_usage()->mutable_propose();
    pr->set_asset_id(id);
    *pr->mutable_terms() = terms_for(g, 1, address_of);
  });
  if (!proposed) return;
  const std::string agreement = raw_id(event_attr(proposed->receipt, "usage", "AgreementProposed", "agreement"));

  const usage::Terms amended = terms_for(g, 2, address_of);
  auto amend = act(cast(g.amender), "amend agreement", [&](TransactionBody& b) {
    auto* a = b.mutable_usage()->mutable_amend();
    a->set_agreement_id(agreement);
    a->set_base_version(1);
    *a->mutable_terms() = amended;
  });
  if (!amend) return;
  std::optional<Committed> last;
  for (const PartnerPlan& partner : g.amended_partners) {
    if (partner.key == g.amender) continue;
    last = act(cast(partner.key), "confirm agreement", [&](TransactionBody& b) {
      auto* c = b.mutable_usage()->mutable_confirm();
      c->set_agreement_id(agreement);
      c->set_version(2);
    });
    if (!last) return;
  }
  if (!last || event_attr(last->receipt, "usage", "AgreementActivated", "agreement").empty()) {
    std::lock_guard lock(report_mu_);
    report_.on_failure("activate agreement", "the last confirmation did not activate the agreement");
    return;
  }
  api::QueryRequest q;
  q.mutable_usage()->mutable_agreement()->set_agreement_id(agreement);
  auto answer = chain_.query(q);
  if (!answer) {
    std::lock_guard lock(report_mu_);
    report_.on_failure("read agreement", answer.status().message());
    return;
  }
  const usage::Agreement& live = answer->usage().agreement();
  asset.id = id;
  asset.pot = live.pot();
  asset.terms = live.terms();
  asset.last_settled_ms = last->block_time_ms;
  std::lock_guard lock(asset.mu);
  asset.agreement_id = agreement;
}

}  // namespace sharechain::dataserver
