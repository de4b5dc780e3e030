// The governance contract: `governance propose KIND ...`, `governance approve ID`, `governance
// list|show|committee`, and `validators` (the current validator set and its epoch).
//
// Proposing and approving always wait for the commit: the proposal's id and whether it executed
// are known only from the receipt. Their `status` is the proposal's (open, executed, expired);
// `tx_status` is the transaction's.
#include "consensus/signing.hpp"
#include "consensus/validator_keys.hpp"
#include "contracts/client.hpp"
#include "sharechain/governance.pb.h"
#include "sharechain/ledger.pb.h"
#include "tools/common/cli.hpp"
#include "tools/common/receipts.hpp"
#include "tools/wallet/args.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

namespace gov = contracts::governance;
namespace gpb = ::sharechain::governance;

Outcome<std::string> parse_public_key(const std::string& text, std::string_view option) {
  auto raw = crypto::from_hex(text);
  if (!raw || !crypto::is_valid_public_key(*raw)) {
    return Failure::usage(std::string(option) + " must be a 64-hex-digit x-only public key (as " +
                          "`sharechain-net init` prints it), got '" + text + "'");
  }
  return *raw;
}

Json proposal_json(const gpb::Proposal& p, std::uint64_t height) {
  Json approvals = Json::array();
  for (const auto& a : p.approvals()) approvals.push_back(crypto::format_address(a));
  Json j;
  j["proposal_id"] = p.id();
  j["kind"] = std::string(gov::kind_name(p.action()));
  j["status"] = std::string(gov::status_name(gov::status_at(p, height)));
  j["proposer"] = crypto::format_address(p.proposer());
  j["approvals"] = approvals;
  j["created_height"] = p.created_height();
  j["expires_at_height"] = p.expires_at_height();
  if (p.executed_height() != 0) j["executed_height"] = p.executed_height();
  j["tx_hash"] = crypto::to_hex(p.tx_hash());
  if (!p.memo().empty()) j["memo"] = p.memo();
  j["action"] = tools::proto_to_json(p.action());
  return j;
}

// The committee's current proposal `id` as JSON, or a refusal carrying the node's message.
Outcome<Json> fetch_proposal(Context& ctx, std::uint64_t id) {
  api::QueryRequest q;
  q.mutable_governance()->mutable_proposal()->set_id(id);
  Outcome<api::QueryResponse> r = ctx.query(q);
  if (!r) return r.failure();
  return proposal_json(r->governance().proposal(), r->height());
}

struct ProposeArgs {
  TxOptions tx;
  std::string memo;
  // add-validator, remove-validator, rotate-key
  std::string public_key, new_public_key, peer_address, name;
  // set-parameter
  std::string parameter;
  std::uint64_t value = 0;
  // set-committee
  std::vector<std::string> members;
  std::uint32_t threshold = 0;
  // grant-role, revoke-role
  std::string account, role, organisation;
};

using BuildAction = std::function<Outcome<gpb::Action>(Context&, const ProposeArgs&)>;

void add_kind(CLI::App* propose, Context& ctx, const std::string& kind, const std::string& help,
              const std::function<void(CLI::App*, ProposeArgs&)>& options, BuildAction build) {
  auto a = std::make_shared<ProposeArgs>();
  CLI::App* cmd = propose->add_subcommand(kind, help);
  add_tx_options(cmd, a->tx);
  cmd->add_option("--memo", a->memo, "why, for the other members (at most 256 bytes)");
  options(cmd, *a);
  on_run(cmd, ctx, [&ctx, a, kind, build] {
    Outcome<gpb::Action> action = build(ctx, *a);
    if (!action) return ctx.fail(action.failure());
    TxOptions tx = a->tx;
    tx.wait = true;
    return ctx.submit(
        tx, [&](TransactionBody& body) {
          gpb::Propose* p = body.mutable_governance()->mutable_propose();
          *p->mutable_action() = *action;
          p->set_memo(a->memo);
        },
        "propose " + kind,
        [](const Receipt& r, Json& out) {
          out["tx_status"] = "committed";
          if (r.status() != RECEIPT_OK) return;
          const std::string id = tools::event_attr(r, gov::kContract, "ProposalCreated", "proposal");
          if (!id.empty()) out["proposal_id"] = std::stoull(id);
          out["status"] = tools::has_event(r, gov::kContract, "ProposalExecuted") ? "executed" : "open";
        });
  });
}

CLI::Validator role_check() {
  return CLI::IsMember({"operator", "data_server", "attester", "validator"});
}

void register_propose(CLI::App* group, Context& ctx) {
  CLI::App* propose = group->add_subcommand(
      "propose", "propose a committee action (a committee member; counts as its first approval)");
  propose->require_subcommand(1);

  add_kind(propose, ctx, "add-validator", "admit a validator at the next epoch",
           [](CLI::App* c, ProposeArgs& a) {
             c->add_option("--public-key", a.public_key, "the new validator's key (64 hex)")->required();
             c->add_option("--peer-address", a.peer_address, "HOST:PORT its peers dial")->required();
             c->add_option("--name", a.name, "a name for people (node4)");
           },
           [](Context&, const ProposeArgs& a) -> Outcome<gpb::Action> {
             Outcome<std::string> key = parse_public_key(a.public_key, "--public-key");
             if (!key) return key.failure();
             gpb::Action action;
             action.mutable_add_validator()->set_public_key(*key);
             action.mutable_add_validator()->set_peer_address(a.peer_address);
             action.mutable_add_validator()->set_name(a.name);
             return action;
           });
  add_kind(propose, ctx, "remove-validator", "remove a validator at the next epoch",
           [](CLI::App* c, ProposeArgs& a) {
             c->add_option("--public-key", a.public_key, "the validator's key (64 hex)")->required();
           },
           [](Context&, const ProposeArgs& a) -> Outcome<gpb::Action> {
             Outcome<std::string> key = parse_public_key(a.public_key, "--public-key");
             if (!key) return key.failure();
             gpb::Action action;
             action.mutable_remove_validator()->set_public_key(*key);
             return action;
           });
  add_kind(propose, ctx, "rotate-key", "replace a validator's key at the next epoch",
           [](CLI::App* c, ProposeArgs& a) {
             c->add_option("--public-key", a.public_key, "the current key (64 hex)")->required();
             c->add_option("--new-public-key", a.new_public_key, "the replacement (64 hex)")->required();
           },
           [](Context&, const ProposeArgs& a) -> Outcome<gpb::Action> {
             Outcome<std::string> old_key = parse_public_key(a.public_key, "--public-key");
             if (!old_key) return old_key.failure();
             Outcome<std::string> new_key = parse_public_key(a.new_public_key, "--new-public-key");
             if (!new_key) return new_key.failure();
             gpb::Action action;
             action.mutable_rotate_key()->set_public_key(*old_key);
             action.mutable_rotate_key()->set_new_public_key(*new_key);
             return action;
           });
  add_kind(propose, ctx, "set-parameter", "change a chain parameter (docs/governance.md lists them)",
           [](CLI::App* c, ProposeArgs& a) {
             c->add_option("--name", a.parameter, "attestation_threshold, proposal_expiry_blocks, ...")
                 ->required();
             c->add_option("--value", a.value, "the new value")->required()->check(tools::decimal(0));
           },
           [](Context&, const ProposeArgs& a) -> Outcome<gpb::Action> {
             if (!gov::find_parameter(a.parameter)) {
               return Failure::usage("unknown parameter '" + a.parameter +
                                     "'; docs/governance.md lists the parameters");
             }
             gpb::Action action;
             action.mutable_set_parameter()->set_name(a.parameter);
             action.mutable_set_parameter()->set_value(a.value);
             return action;
           });
  add_kind(propose, ctx, "set-committee", "replace the committee: its members and threshold",
           [](CLI::App* c, ProposeArgs& a) {
             c->add_option("--member", a.members, "a member: an address or a key name (repeat)")
                 ->required();
             c->add_option("--threshold", a.threshold, "approvals a proposal needs")->required();
           },
           [](Context& c, const ProposeArgs& a) -> Outcome<gpb::Action> {
             gpb::Action action;
             for (const std::string& m : a.members) {
               Outcome<std::string> address = c.resolve_address(m);
               if (!address) return address.failure();
               action.mutable_set_committee()->add_members(*address);
             }
             action.mutable_set_committee()->set_threshold(a.threshold);
             return action;
           });
  for (const bool grant : {true, false}) {
    add_kind(propose, ctx, grant ? "grant-role" : "revoke-role",
             grant ? "give an account a role" : "take a role away",
             [grant](CLI::App* c, ProposeArgs& a) {
               c->add_option("--account", a.account, "an address or a key name")->required();
               c->add_option("--role", a.role, "operator, data_server, attester or validator")
                   ->required()
                   ->check(role_check());
               if (grant) c->add_option("--organisation", a.organisation, "for the attester role");
             },
             [grant](Context& c, const ProposeArgs& a) -> Outcome<gpb::Action> {
               Outcome<std::string> account = c.resolve_address(a.account);
               if (!account) return account.failure();
               gpb::Action action;
               if (grant) {
                 if (a.role == "attester" && a.organisation.empty()) {
                   return Failure::usage("the attester role needs --organisation");
                 }
                 action.mutable_grant_role()->set_account(*account);
                 action.mutable_grant_role()->set_role(a.role);
                 action.mutable_grant_role()->set_organisation(a.organisation);
               } else {
                 action.mutable_revoke_role()->set_account(*account);
                 action.mutable_revoke_role()->set_role(a.role);
               }
               return action;
             });
  }
}

void register_approve(CLI::App* group, Context& ctx) {
  struct Args {
    TxOptions tx;
    std::uint64_t id = 0;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand("approve", "approve a proposal (a committee member)");
  add_tx_options(cmd, a->tx);
  cmd->add_option("id", a->id, "the proposal id")->required()->check(tools::decimal(1));
  on_run(cmd, ctx, [&ctx, a] {
    // A proposal that can no longer be approved is answered from its record, without spending
    // a nonce on a transaction the node would refuse (the chain still decides any race).
    Outcome<Json> current = fetch_proposal(ctx, a->id);
    if (!current) return ctx.fail(current.failure());
    const std::string status = (*current)["status"].get<std::string>();
    if (status != "open") {
      if (ctx.json()) ctx.print_json({{"proposal_id", a->id}, {"status", status}});
      const std::string name = "proposal " + std::to_string(a->id);
      return ctx.fail(Failure::refused(
          status == "executed"
              ? name + " was already executed at height " + (*current)["executed_height"].dump()
              : name + " expired after height " + (*current)["expires_at_height"].dump() + "; propose it again"));
    }
    TxOptions tx = a->tx;
    tx.wait = true;
    return ctx.submit(
        tx, [&](TransactionBody& body) { body.mutable_governance()->mutable_approve()->set_proposal_id(a->id); },
        "approve proposal " + std::to_string(a->id),
        [&ctx, a](const Receipt& r, Json& out) {
          out["proposal_id"] = a->id;
          out["tx_status"] = "committed";
          if (r.status() == RECEIPT_OK) {
            out["status"] = tools::has_event(r, gov::kContract, "ProposalExecuted") ? "executed" : "open";
            out["approvals"] = std::stoull(tools::event_attr(r, gov::kContract, "ProposalApproved", "approvals"));
            out["threshold"] = std::stoull(tools::event_attr(r, gov::kContract, "ProposalApproved", "threshold"));
            return;
          }
          // Refused: say where the proposal stands (executed, expired, or still open).
          if (Outcome<Json> p = fetch_proposal(ctx, a->id)) out["status"] = (*p)["status"];
        });
  });
}

void register_queries(CLI::App* group, Context& ctx) {
  {
    auto open = std::make_shared<bool>(false);
    CLI::App* cmd = group->add_subcommand("list", "proposals, oldest first");
    cmd->add_flag("--open", *open, "only those not executed (including expired ones)");
    on_run(cmd, ctx, [&ctx, open] {
      Json list = Json::array();
      std::uint64_t after = 0;
      std::uint64_t height = 0;
      for (;;) {  // pages of 1,000 until the node returns a short one
        api::QueryRequest q;
        auto* l = q.mutable_governance()->mutable_proposals();
        l->set_after_id(after);
        l->set_limit(1000);
        l->set_open_only(*open);
        Outcome<api::QueryResponse> r = ctx.query(q);
        if (!r) return ctx.fail(r.failure());
        if (height == 0) height = r->height();
        const auto& page = r->governance().proposals().proposals();
        for (const auto& p : page) list.push_back(proposal_json(p, height));
        if (page.size() < 1000) break;
        after = page.rbegin()->id();
      }
      Json j;
      j["proposals"] = list;
      j["read_at_height"] = height;
      ctx.show(j);
      return tools::kExitOk;
    });
  }
  {
    auto id = std::make_shared<std::uint64_t>(0);
    CLI::App* cmd = group->add_subcommand("show", "one proposal: its action, approvals and status");
    cmd->add_option("id", *id, "the proposal id")->required()->check(tools::decimal(1));
    on_run(cmd, ctx, [&ctx, id] {
      Outcome<Json> p = fetch_proposal(ctx, *id);
      if (!p) return ctx.fail(p.failure());
      ctx.show(*p);
      return tools::kExitOk;
    });
  }
  {
    CLI::App* cmd = group->add_subcommand("committee", "the committee's members and threshold");
    on_run(cmd, ctx, [&ctx] {
      api::QueryRequest q;
      q.mutable_governance()->mutable_committee();
      Outcome<api::QueryResponse> r = ctx.query(q);
      if (!r) return ctx.fail(r.failure());
      const gpb::Committee& c = r->governance().committee();
      Json members = Json::array();
      for (const auto& m : c.members()) members.push_back(crypto::format_address(m));
      Json j;
      j["members"] = members;
      j["threshold"] = c.threshold();
      j["since_height"] = c.since_height();
      j["read_at_height"] = r->height();
      ctx.show(j);
      return tools::kExitOk;
    });
  }
}

Json validators_json(const google::protobuf::RepeatedPtrField<ledger::ValidatorInfo>& listed) {
  Json list = Json::array();
  for (const auto& v : listed) list.push_back(tools::validator_json(v));
  return list;
}

// The hash headers name a set by (validator_set_hash, next_validator_set_hash).
std::string set_hash_hex(const google::protobuf::RepeatedPtrField<ledger::ValidatorInfo>& listed) {
  return crypto::to_hex(crypto::hash_bytes(consensus::validator_set_hash(consensus::validator_keys(listed))));
}

}  // namespace

void register_governance_commands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand(
      "governance", "the operator committee: propose, approve, list, show, committee");
  group->require_subcommand(1);
  register_propose(group, ctx);
  register_approve(group, ctx);
  register_queries(group, ctx);

  CLI::App* cmd = app.add_subcommand("validators", "the validator set: epoch, keys, peer addresses");
  auto history = std::make_shared<bool>(false);
  cmd->add_flag("--history", *history, "also every ended epoch's set, with the heights it certified");
  on_run(cmd, ctx, [&ctx, history] {
    api::QueryRequest q;
    q.mutable_ledger()->mutable_validators()->set_history(*history);
    Outcome<api::QueryResponse> r = ctx.query(q);
    if (!r) return ctx.fail(r.failure());
    const auto& vs = r->ledger().validators();
    // Changes that have executed and wait for their switch height: the set each one leads to
    // certifies the blocks above its switch height.
    Json pending = Json::array();
    for (const auto& change : vs.pending()) {
      pending.push_back(Json{{"switch_height", change.switch_height()},
                             {"executed_height", change.executed_height()},
                             {"set_hash", set_hash_hex(change.validators())},
                             {"validators", validators_json(change.validators())}});
    }
    Json j;
    j["epoch"] = vs.epoch();
    j["epoch_start"] = vs.epoch_start();
    j["set_hash"] = set_hash_hex(vs.validators());
    j["validators"] = validators_json(vs.validators());
    j["pending"] = pending;
    if (*history) {
      // The sets a proof bundle chains from genesis: each certified heights start+1..end, and
      // its last block (end) names the next set's hash.
      Json ended = Json::array();
      for (const auto& e : vs.history()) {
        ended.push_back(Json{{"epoch", e.epoch()},
                             {"start_height", e.start_height()},
                             {"end_height", e.end_height()},
                             {"set_hash", set_hash_hex(e.validators())},
                             {"validators", validators_json(e.validators())}});
      }
      j["history"] = ended;
    }
    j["read_at_height"] = r->height();
    ctx.show(j);
    return tools::kExitOk;
  });
}

}  // namespace sharechain::wallet
