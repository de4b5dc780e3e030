// Governance: the operator committee and its proposals.
//  - genesis: the committee section becomes state; members that are not genesis accounts,
//    repeated members and unreachable thresholds are refused; without the section the operators
//    are the committee with threshold 1
//  - life cycle: propose (the proposer's approval counts), approve to the threshold, execute in
//    that transaction; a duplicate approval, an approval by a non-member, approving an executed
//    or an expired proposal, each refused with nothing changed
//  - role actions move under the committee: a member alone may grant only at threshold 1
//  - set-committee: unreachable thresholds, repeated and unknown members refused; approvals of
//    members who left stop counting
//  - set-parameter: a contract parameter changes at once; unknown names, values out of range and
//    consensus parameters refused
//  - validator-set kinds: argument checks (bad key, bad address, duplicate, last validator) and
//    then a clear refusal where the node does not run epochs, with nothing recorded; where it
//    does, each change waits for its switch height (changes meeting at one height fold into
//    one), is checked against the set the waiting changes lead to, and the executor moves the
//    set and the epoch at the end of that block
#include "contracts/governance/governance.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/ledger/validator_set.hpp"

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace sharechain;
using namespace sharechain::contracts;
using namespace sharechain::contracts::testing;
namespace gov = sharechain::contracts::governance;
namespace gpb = ::sharechain::governance;

namespace {

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::vector<Actor> actors() {
  return {{"op1", 0, {"operator"}, ""},     {"op2", 0, {"operator"}, ""},
          {"op3", 0, {"operator"}, ""},     {"dataserver", 0, {"data_server"}, ""},
          {"alice", 10'000, {}, ""},        {"bob", 500, {}, ""}};
}

// op1, op2 and op3 on a committee with threshold 2 (and, optionally, a short expiry).
Genesis committee_genesis(std::uint32_t threshold = 2, std::uint64_t expiry = 0) {
  Genesis g = make_genesis(actors());
  for (const char* m : {"op1", "op2", "op3"}) {
    g.mutable_committee()->add_members(crypto::format_address(address_for(m)));
  }
  g.mutable_committee()->set_threshold(threshold);
  g.mutable_params()->set_proposal_expiry_blocks(expiry);
  return g;
}

gpb::Call propose(const gpb::Action& action, const std::string& memo = "") {
  gpb::Call c;
  *c.mutable_propose()->mutable_action() = action;
  c.mutable_propose()->set_memo(memo);
  return c;
}

gpb::Call approve(std::uint64_t id) {
  gpb::Call c;
  c.mutable_approve()->set_proposal_id(id);
  return c;
}

gpb::Action grant(const std::string& who, const std::string& role, const std::string& org = "") {
  gpb::Action a;
  a.mutable_grant_role()->set_account(address_for(who));
  a.mutable_grant_role()->set_role(role);
  a.mutable_grant_role()->set_organisation(org);
  return a;
}

gpb::Action set_parameter(const std::string& name, std::uint64_t value) {
  gpb::Action a;
  a.mutable_set_parameter()->set_name(name);
  a.mutable_set_parameter()->set_value(value);
  return a;
}

gpb::Action set_committee(const std::vector<std::string>& members, std::uint32_t threshold) {
  gpb::Action a;
  for (const auto& m : members) a.mutable_set_committee()->add_members(address_for(m));
  a.mutable_set_committee()->set_threshold(threshold);
  return a;
}

gpb::Proposal proposal(const Chain& chain, std::uint64_t id) {
  gpb::Query q;
  q.mutable_proposal()->set_id(id);
  auto r = gov::query(chain.state(), q);
  REQUIRE(r.is_ok());
  return r.value().proposal();
}

gpb::Committee committee(const Chain& chain) {
  auto c = gov::committee(chain.state());
  REQUIRE(c.has_value());
  return *c;
}

// Everything but accounts (whose nonces every transaction moves): governance, chain, roles.
std::map<std::string, std::string> governed_state(const Chain& chain) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : chain.state().entries()) {
    if (k.rfind("ledger/acct/", 0) != 0) out.emplace(k, v);
  }
  return out;
}

bool holds_role(const Chain& chain, const std::string& who, const std::string& role) {
  return contracts::ledger::has_role(chain.state(), address_for(who), role);
}

}  // namespace

TEST_CASE("the genesis committee becomes state, and a bad one is refused", "[contracts][governance]") {
  Chain chain(committee_genesis());
  auto c = committee(chain);
  CHECK(c.members_size() == 3);
  CHECK(c.threshold() == 2);
  CHECK(gov::is_member(c, address_for("op2")));
  CHECK_FALSE(gov::is_member(c, address_for("alice")));

  Genesis g = committee_genesis(4);
  auto r = genesis_state(g);
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.status().message(), "threshold is 4; it must be 1 to 3"));

  g = committee_genesis(0);
  CHECK_FALSE(genesis_state(g).is_ok());

  g = committee_genesis();
  g.mutable_committee()->add_members(crypto::format_address(address_for("stranger")));
  r = genesis_state(g);
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.status().message(), "is not one of the genesis accounts"));

  g = committee_genesis();
  g.mutable_committee()->add_members(crypto::format_address(address_for("op1")));
  r = genesis_state(g);
  REQUIRE_FALSE(r.is_ok());
  CHECK(contains(r.status().message(), "listed twice"));

  g = committee_genesis();
  g.mutable_committee()->clear_members();
  CHECK_FALSE(genesis_state(g).is_ok());
}

TEST_CASE("without a committee section the operators act alone", "[contracts][governance]") {
  Chain chain(actors());
  auto c = committee(chain);
  CHECK(c.members_size() == 3);
  CHECK(c.threshold() == 1);
  // Threshold 1: a proposal executes in the transaction that makes it.
  auto r = chain.governance("op1", propose(grant("bob", "data_server")));
  REQUIRE(r.status() == RECEIPT_OK);
  CHECK(find_event(r, "ProposalExecuted") != nullptr);
  CHECK(find_event(r, "RoleGranted") != nullptr);
  CHECK(proposal(chain, 1).status() == gpb::PROPOSAL_EXECUTED);
  CHECK(holds_role(chain, "bob", "data_server"));
}

TEST_CASE("a proposal executes when current members' approvals reach the threshold",
          "[contracts][governance]") {
  Chain chain(committee_genesis());

  // A member alone may no longer grant directly.
  ::sharechain::ledger::Call direct;
  direct.mutable_grant_role()->set_account(address_for("bob"));
  direct.mutable_grant_role()->set_role("data_server");
  auto r = chain.ledger("op1", direct);
  CHECK(r.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(r.error(), "needs 2 committee approvals"));
  CHECK(contains(r.error(), "sharechain governance propose grant-role"));

  r = chain.governance("op1", propose(grant("bob", "data_server"), "bob runs the backup server"));
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* created = find_event(r, "ProposalCreated");
  REQUIRE(created != nullptr);
  CHECK(attr(*created, "proposal") == "1");
  CHECK(attr(*created, "kind") == "grant-role");
  CHECK(find_event(r, "ProposalExecuted") == nullptr);
  gpb::Proposal p = proposal(chain, 1);
  CHECK(p.status() == gpb::PROPOSAL_OPEN);
  CHECK(p.approvals_size() == 1);
  CHECK(p.memo() == "bob runs the backup server");
  CHECK(p.expires_at_height() == p.created_height() + gov::kDefaultProposalExpiryBlocks);
  CHECK_FALSE(holds_role(chain, "bob", "data_server"));

  // Refusals change nothing.
  auto before = governed_state(chain);
  r = chain.governance("op1", approve(1));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(r.error(), "has already approved proposal 1"));
  r = chain.governance("alice", approve(1));
  CHECK(r.status() == RECEIPT_PERMISSION_DENIED);
  CHECK(contains(r.error(), "is not a member"));
  r = chain.governance("alice", propose(grant("alice", "operator")));
  CHECK(r.status() == RECEIPT_PERMISSION_DENIED);
  r = chain.governance("op2", approve(7));
  CHECK(r.status() == RECEIPT_NOT_FOUND);
  CHECK(contains(r.error(), "no proposal 7"));
  r = chain.governance("op2", propose(grant("bob", "emperor")));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "unknown role"));
  CHECK(governed_state(chain) == before);

  r = chain.governance("op2", approve(1));
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* approved = find_event(r, "ProposalApproved");
  REQUIRE(approved != nullptr);
  CHECK(attr(*approved, "approvals") == "2");
  CHECK(attr(*approved, "threshold") == "2");
  CHECK(find_event(r, "ProposalExecuted") != nullptr);
  CHECK(find_event(r, "RoleGranted") != nullptr);
  CHECK(holds_role(chain, "bob", "data_server"));
  p = proposal(chain, 1);
  CHECK(p.status() == gpb::PROPOSAL_EXECUTED);
  CHECK(p.executed_height() == chain.height());

  r = chain.governance("op3", approve(1));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "already executed"));

  // The next proposal takes the next id; the list shows both, the open list neither.
  REQUIRE(chain.governance("op3", propose(grant("alice", "attester", "Acme Motors"))).status() ==
          RECEIPT_OK);
  gpb::Query q;
  q.mutable_proposals();
  auto all = gov::query(chain.state(), q);
  REQUIRE(all.is_ok());
  REQUIRE(all.value().proposals().proposals_size() == 2);
  CHECK(all.value().proposals().proposals(1).id() == 2);
  q.mutable_proposals()->set_open_only(true);
  auto open = gov::query(chain.state(), q);
  REQUIRE(open.is_ok());
  REQUIRE(open.value().proposals().proposals_size() == 1);
  CHECK(open.value().proposals().proposals(0).id() == 2);
}

TEST_CASE("a proposal expires after its blocks and can no longer be approved",
          "[contracts][governance]") {
  Chain chain(committee_genesis(2, 3));
  REQUIRE(chain.governance("op1", propose(grant("bob", "data_server"))).status() == RECEIPT_OK);
  gpb::Proposal p = proposal(chain, 1);
  CHECK(p.expires_at_height() == p.created_height() + 3);
  while (chain.height() <= p.expires_at_height()) chain.run_block({});
  CHECK(gov::status_at(p, chain.height()) == gpb::PROPOSAL_EXPIRED);
  CHECK(gov::status_at(p, p.expires_at_height()) == gpb::PROPOSAL_OPEN);
  CHECK(gov::status_name(gov::status_at(p, chain.height())) == "expired");

  auto before = governed_state(chain);
  auto r = chain.governance("op2", approve(1));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "expired after height"));
  CHECK(governed_state(chain) == before);
  CHECK_FALSE(holds_role(chain, "bob", "data_server"));
}

TEST_CASE("approval at the last height before expiry still executes", "[contracts][governance]") {
  Chain chain(committee_genesis(2, 2));
  REQUIRE(chain.governance("op1", propose(grant("bob", "data_server"))).status() == RECEIPT_OK);
  const gpb::Proposal p = proposal(chain, 1);
  while (chain.height() + 1 < p.expires_at_height()) chain.run_block({});
  REQUIRE(chain.governance("op3", approve(1)).status() == RECEIPT_OK);  // at expires_at_height
  CHECK(holds_role(chain, "bob", "data_server"));
}

TEST_CASE("the committee changes itself; approvals of members who left stop counting",
          "[contracts][governance]") {
  Chain chain(committee_genesis());
  auto before = governed_state(chain);
  auto r = chain.governance("op1", propose(set_committee({"op1", "op2", "op3"}, 4)));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "no proposal could ever pass"));
  r = chain.governance("op1", propose(set_committee({"op1", "op2"}, 0)));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  r = chain.governance("op1", propose(set_committee({}, 1)));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  r = chain.governance("op1", propose(set_committee({"op1", "op1"}, 1)));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "listed twice"));
  r = chain.governance("op1", propose(set_committee({"op1", "nobody"}, 1)));
  CHECK(r.status() == RECEIPT_NOT_FOUND);
  CHECK(contains(r.error(), "no account"));
  CHECK(governed_state(chain) == before);

  // op3 approves a grant, then leaves the committee; its approval no longer counts.
  REQUIRE(chain.governance("op3", propose(grant("bob", "data_server"))).status() == RECEIPT_OK);
  REQUIRE(chain.governance("op1", propose(set_committee({"op1", "op2", "alice"}, 2))).status() ==
          RECEIPT_OK);
  r = chain.governance("op2", approve(2));
  REQUIRE(r.status() == RECEIPT_OK);
  CHECK(find_event(r, "CommitteeChanged") != nullptr);
  auto c = committee(chain);
  CHECK(c.threshold() == 2);
  CHECK(gov::is_member(c, address_for("alice")));
  CHECK_FALSE(gov::is_member(c, address_for("op3")));
  CHECK(c.since_height() == chain.height());

  r = chain.governance("op3", approve(1));
  CHECK(r.status() == RECEIPT_PERMISSION_DENIED);
  r = chain.governance("alice", approve(1));
  REQUIRE(r.status() == RECEIPT_OK);
  // op3's approval is recorded but not counted: alice's makes one of two.
  CHECK(attr(*find_event(r, "ProposalApproved"), "approvals") == "1");
  CHECK(proposal(chain, 1).status() == gpb::PROPOSAL_OPEN);
  REQUIRE(chain.governance("op1", approve(1)).status() == RECEIPT_OK);
  CHECK(holds_role(chain, "bob", "data_server"));
}

TEST_CASE("an approved proposal whose action can no longer run is refused and stays open",
          "[contracts][governance]") {
  Chain chain(committee_genesis());
  REQUIRE(chain.governance("op1", propose(grant("bob", "data_server"))).status() == RECEIPT_OK);
  REQUIRE(chain.governance("op2", propose(grant("bob", "data_server"))).status() == RECEIPT_OK);
  REQUIRE(chain.governance("op3", approve(2)).status() == RECEIPT_OK);
  REQUIRE(holds_role(chain, "bob", "data_server"));
  auto before = governed_state(chain);
  auto r = chain.governance("op3", approve(1));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(r.error(), "proposal 1 has its approvals but cannot execute"));
  CHECK(governed_state(chain) == before);
  CHECK(proposal(chain, 1).status() == gpb::PROPOSAL_OPEN);
}

TEST_CASE("contract parameters change at once; consensus parameters wait for epochs",
          "[contracts][governance]") {
  Chain chain(committee_genesis());
  REQUIRE(chain.governance("op1", propose(set_parameter("attestation_threshold", 2))).status() ==
          RECEIPT_OK);
  auto r = chain.governance("op2", approve(1));
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* changed = find_event(r, "ParameterChanged");
  REQUIRE(changed != nullptr);
  CHECK(attr(*changed, "name") == "attestation_threshold");
  CHECK(chain_params(chain.state()).attestation_threshold() == 2);

  REQUIRE(chain.governance("op1", propose(set_parameter("proposal_expiry_blocks", 5))).status() ==
          RECEIPT_OK);
  REQUIRE(chain.governance("op3", approve(2)).status() == RECEIPT_OK);
  CHECK(gov::proposal_expiry_blocks(chain.state()) == 5);
  REQUIRE(chain.governance("op1", propose(grant("bob", "data_server"))).status() == RECEIPT_OK);
  const gpb::Proposal p = proposal(chain, 3);
  CHECK(p.expires_at_height() == p.created_height() + 5);

  auto before = governed_state(chain);
  r = chain.governance("op1", propose(set_parameter("block_reward", 5)));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "unknown parameter \"block_reward\""));
  CHECK(contains(r.error(), "attestation_threshold"));
  r = chain.governance("op1", propose(set_parameter("attestation_threshold", 0)));
  CHECK(r.status() == RECEIPT_OUT_OF_RANGE);
  CHECK(contains(r.error(), "must be 1 to 100"));
  r = chain.governance("op1", propose(set_parameter("proposal_expiry_blocks", 2'000'000)));
  CHECK(r.status() == RECEIPT_OUT_OF_RANGE);
  // A consensus parameter switches at an epoch boundary: refused where the host runs no epochs.
  r = chain.governance("op1", propose(set_parameter("max_block_txs", 500)));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "epoch boundary"));
  CHECK(governed_state(chain) == before);
}

TEST_CASE("validator-set proposals are checked, then refused until epochs run",
          "[contracts][governance]") {
  Chain chain(committee_genesis());
  auto before = governed_state(chain);
  const std::string node0 = key_for("node0").public_key();
  const std::string fresh = key_for("node9").public_key();

  gpb::Action add;
  add.mutable_add_validator()->set_public_key(fresh);
  add.mutable_add_validator()->set_peer_address("10.0.0.9:26656");
  auto r = chain.governance("op1", propose(add));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "adding a validator takes effect at an epoch boundary"));
  CHECK(contains(r.error(), "nothing was recorded"));

  add.mutable_add_validator()->set_peer_address("no-port");
  r = chain.governance("op1", propose(add));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "is not HOST:PORT"));
  add.mutable_add_validator()->set_peer_address("host:70000");
  CHECK(chain.governance("op1", propose(add)).status() == RECEIPT_INVALID_ARGUMENT);
  add.mutable_add_validator()->set_peer_address("10.0.0.9:26656");
  add.mutable_add_validator()->set_public_key(std::string(32, '\xff'));  // not on the curve
  r = chain.governance("op1", propose(add));
  CHECK(r.status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(contains(r.error(), "x-only public key"));
  add.mutable_add_validator()->set_public_key(node0);
  CHECK(chain.governance("op1", propose(add)).status() == RECEIPT_ALREADY_EXISTS);

  gpb::Action remove;
  remove.mutable_remove_validator()->set_public_key(node0);
  r = chain.governance("op1", propose(remove));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "without a validator"));
  remove.mutable_remove_validator()->set_public_key(fresh);
  CHECK(chain.governance("op1", propose(remove)).status() == RECEIPT_NOT_FOUND);

  gpb::Action rotate;
  rotate.mutable_rotate_key()->set_public_key(node0);
  rotate.mutable_rotate_key()->set_new_public_key(node0);
  CHECK(chain.governance("op1", propose(rotate)).status() == RECEIPT_ALREADY_EXISTS);
  rotate.mutable_rotate_key()->set_new_public_key(fresh);
  r = chain.governance("op1", propose(rotate));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "epoch boundary"));

  CHECK(chain.governance("op1", propose(gpb::Action{})).status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(chain.governance("op1", gpb::Call{}).status() == RECEIPT_INVALID_ARGUMENT);
  CHECK(governed_state(chain) == before);
}

namespace {

gpb::Action add_validator(const std::string& key_name, const std::string& peer) {
  gpb::Action a;
  a.mutable_add_validator()->set_public_key(key_for(key_name).public_key());
  a.mutable_add_validator()->set_peer_address(peer);
  a.mutable_add_validator()->set_name(key_name);
  return a;
}

gpb::Action remove_validator(const std::string& key_name) {
  gpb::Action a;
  a.mutable_remove_validator()->set_public_key(key_for(key_name).public_key());
  return a;
}

gpb::Action rotate_key(const std::string& from, const std::string& to) {
  gpb::Action a;
  a.mutable_rotate_key()->set_public_key(key_for(from).public_key());
  a.mutable_rotate_key()->set_new_public_key(key_for(to).public_key());
  return a;
}

::sharechain::ledger::Validators validators_of(const Chain& chain, bool history = false) {
  api::QueryRequest q;
  q.mutable_ledger()->mutable_validators()->set_history(history);
  auto r = chain.query(q);
  REQUIRE(r.is_ok());
  return r.value().ledger().validators();
}

// "name@since" per validator, in index order.
std::vector<std::string> members(const google::protobuf::RepeatedPtrField<
                                 ::sharechain::ledger::ValidatorInfo>& set) {
  std::vector<std::string> out;
  for (int i = 0; i < set.size(); ++i) {
    CHECK(set[i].index() == static_cast<std::uint32_t>(i));
    CHECK(set[i].address() == crypto::address_of(set[i].public_key()));
    std::string name = set[i].name();
    for (const char* k : {"node0", "node7", "node8", "node9"}) {
      if (set[i].public_key() == key_for(k).public_key()) name += std::string("/") + k;
    }
    out.push_back(name + "@" + std::to_string(set[i].since_height()));
  }
  return out;
}

// The committee genesis with K = 4 and W = 8: a change executed at height h takes effect after
// the first multiple of 4 at or above h + 8.
Genesis spaced_genesis() {
  Genesis g = committee_genesis();
  g.mutable_params()->set_checkpoint_interval(4);
  g.mutable_params()->set_window(8);
  return g;
}

}  // namespace

TEST_CASE("validator-set changes wait for their switch height, then the set and the epoch move",
          "[contracts][governance]") {
  Chain chain(spaced_genesis());
  chain.set_validator_changes(true);

  // Height 1 proposes, height 2 approves: executed at 2, switch height 12.
  REQUIRE(chain.governance("op1", propose(add_validator("node9", "10.0.0.9:26656"))).status() ==
          RECEIPT_OK);
  auto r = chain.governance("op2", approve(1));
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* scheduled = find_event(r, "ValidatorSetChangeScheduled");
  REQUIRE(scheduled != nullptr);
  CHECK(attr(*scheduled, "change") == "added");
  CHECK(attr(*scheduled, "switch_height") == "12");
  CHECK(attr(*scheduled, "validators") == "2");
  auto vs = validators_of(chain);
  CHECK(vs.epoch() == 0);
  CHECK(members(vs.validators()) == std::vector<std::string>{"node0/node0@0"});
  REQUIRE(vs.pending_size() == 1);
  CHECK(vs.pending(0).switch_height() == 12);
  CHECK(vs.pending(0).executed_height() == 2);
  CHECK(members(vs.pending(0).validators()) ==
        std::vector<std::string>{"node0/node0@0", "node9/node9@13"});

  // Executed at 4, the same switch height: folded into the waiting change. The rotated validator
  // keeps its name and address; its new key certifies from 13.
  REQUIRE(chain.governance("op1", propose(rotate_key("node0", "node8"))).status() == RECEIPT_OK);
  REQUIRE(chain.governance("op3", approve(2)).status() == RECEIPT_OK);
  vs = validators_of(chain);
  REQUIRE(vs.pending_size() == 1);
  CHECK(members(vs.pending(0).validators()) ==
        std::vector<std::string>{"node0/node8@13", "node9/node9@13"});

  // Checked against the set the waiting changes lead to, each refused with nothing recorded.
  const auto before = governed_state(chain);
  r = chain.governance("op1", propose(add_validator("node9", "10.0.0.10:26656")));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  r = chain.governance("op1", propose(add_validator("node7", "10.0.0.9:26656")));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(r.error(), "two validators cannot listen on one address"));
  gpb::Action same_name = add_validator("node7", "10.0.0.7:26656");
  same_name.mutable_add_validator()->set_name("node9");
  r = chain.governance("op1", propose(same_name));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(contains(r.error(), "the name \"node9\""));
  r = chain.governance("op1", propose(remove_validator("node0")));  // rotated away
  CHECK(r.status() == RECEIPT_NOT_FOUND);
  r = chain.governance("op1", propose(rotate_key("node8", "node9")));
  CHECK(r.status() == RECEIPT_ALREADY_EXISTS);
  CHECK(governed_state(chain) == before);

  // Executed at 12 (heights 9-11 pass first): switch height 20, a second waiting change.
  while (chain.height() < 9) chain.run_block({});
  REQUIRE(chain.governance("op1", propose(remove_validator("node9"))).status() == RECEIPT_OK);
  CHECK(validators_of(chain).epoch() == 0);  // height 10: nothing switched yet
  chain.run_block({});
  REQUIRE(chain.governance("op2", approve(3)).status() == RECEIPT_OK);  // height 12
  vs = validators_of(chain);
  // Block 12 was the first change's switch height: the state after it names epoch 1's set.
  CHECK(vs.epoch() == 1);
  CHECK(vs.epoch_start() == 12);
  CHECK(members(vs.validators()) == std::vector<std::string>{"node0/node8@13", "node9/node9@13"});
  REQUIRE(vs.pending_size() == 1);
  CHECK(vs.pending(0).switch_height() == 20);
  CHECK(members(vs.pending(0).validators()) == std::vector<std::string>{"node0/node8@13"});

  // The last validator of the set to come cannot be removed.
  r = chain.governance("op1", propose(remove_validator("node8")));
  CHECK(r.status() == RECEIPT_FAILED_PRECONDITION);
  CHECK(contains(r.error(), "without a validator"));

  while (chain.height() < 19) chain.run_block({});
  CHECK(validators_of(chain).epoch() == 1);
  chain.run_block({});  // height 20, a block with no transactions: the switch still happens
  vs = validators_of(chain);
  CHECK(vs.epoch() == 2);
  CHECK(vs.epoch_start() == 20);
  CHECK(members(vs.validators()) == std::vector<std::string>{"node0/node8@13"});
  CHECK(vs.pending_size() == 0);
  CHECK(vs.history_size() == 0);  // only when asked for
  CHECK(contracts::ledger::validators(chain.state()).size() == 1);

  // The ended epochs' sets stay, for proofs of their blocks: epoch 0 certified 1..12, epoch 1
  // 13..20.
  vs = validators_of(chain, /*history=*/true);
  REQUIRE(vs.history_size() == 2);
  CHECK(vs.history(0).epoch() == 0);
  CHECK(vs.history(0).start_height() == 0);
  CHECK(vs.history(0).end_height() == 12);
  CHECK(members(vs.history(0).validators()) == std::vector<std::string>{"node0/node0@0"});
  CHECK(vs.history(1).epoch() == 1);
  CHECK(vs.history(1).start_height() == 12);
  CHECK(vs.history(1).end_height() == 20);
  CHECK(members(vs.history(1).validators()) == std::vector<std::string>{"node0/node8@13", "node9/node9@13"});
}

// A consensus parameter is the engine's for a whole epoch: changed at height h, it is in force
// from the block after the switch height, with an epoch of the same set ending there.
TEST_CASE("a consensus parameter waits for its switch height and ends the epoch there",
          "[contracts][governance]") {
  Chain chain(spaced_genesis());
  chain.set_validator_changes(true);

  auto r = chain.governance("op1", propose(set_parameter("max_block_txs", 0)));
  CHECK(r.status() == RECEIPT_OUT_OF_RANGE);
  REQUIRE(chain.governance("op1", propose(set_parameter("max_block_txs", 250))).status() == RECEIPT_OK);
  r = chain.governance("op2", approve(1));  // executed at height 3: switch height 12
  REQUIRE(r.status() == RECEIPT_OK);
  const Event* scheduled = find_event(r, "ParameterChangeScheduled");
  REQUIRE(scheduled != nullptr);
  CHECK(attr(*scheduled, "name") == "max_block_txs");
  CHECK(attr(*scheduled, "switch_height") == "12");
  CHECK(chain_params(chain.state()).max_block_txs() == 0);
  const auto waiting = contracts::ledger::pending_parameter_changes(chain.state());
  REQUIRE(waiting.size() == 1);
  CHECK(waiting[0].switch_height == 12);
  CHECK(waiting[0].value == 250);
  auto vs = validators_of(chain);
  REQUIRE(vs.pending_size() == 1);  // an epoch of the same set ends at 12
  CHECK(vs.pending(0).switch_height() == 12);
  CHECK(members(vs.pending(0).validators()) == members(vs.validators()));

  while (chain.height() < 11) chain.run_block({});
  CHECK(chain_params(chain.state()).max_block_txs() == 0);
  chain.run_block({});  // height 12
  CHECK(chain_params(chain.state()).max_block_txs() == 250);
  CHECK(contracts::ledger::pending_parameter_changes(chain.state()).empty());
  vs = validators_of(chain);
  CHECK(vs.epoch() == 1);
  CHECK(vs.epoch_start() == 12);
  CHECK(vs.pending_size() == 0);
}
