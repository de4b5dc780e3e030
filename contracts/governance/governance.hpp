// The governance contract: the operator committee's proposals, approvals and their execution.
//
// Key space:
//   governance/committee               -> governance.Committee
//   governance/next_id                 -> be64, the id the next proposal takes (absent: 1)
//   governance/proposal/<be64 id>      -> governance.Proposal
//   governance/open/<be64 id>          -> "" (proposals not executed; expired ones stay listed
//                                         until queried, their status is computed from height)
//
// A proposal executes inside the transaction whose approval brings the approvals of *current*
// members to the threshold (the proposer's own proposal when the threshold is 1). If its action
// cannot run at that moment (the role was granted meanwhile, ...), that approval is refused
// with the action's reason and nothing changes; the proposal stays open until it expires.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "contracts/context.hpp"
#include "contracts/governance/committee.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/governance.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::contracts::governance {

inline constexpr std::string_view kContract = "governance";
inline constexpr std::uint64_t kDefaultProposalExpiryBlocks = 1000;
inline constexpr std::uint64_t kMaxProposalExpiryBlocks = 1'000'000;
inline constexpr int kMaxCommitteeMembers = 64;

// The chain parameters a proposal may change, with their ranges (docs/governance.md).
struct ParameterRule {
  std::string_view name;
  std::uint64_t min;
  std::uint64_t max;
  // False for parameters the consensus engine reads: those change only at an epoch boundary,
  // which this release does not run yet, so proposing them is refused.
  bool contract_parameter;
};
const ParameterRule* find_parameter(std::string_view name);

// What the genesis file's committee section becomes in state. Refuses an empty or oversized
// committee, a member that is not a genesis account, a repeated member, and a threshold
// outside 1..members.
Result<pb::Committee> genesis_committee(const Genesis& genesis);

// The status a proposal has at `height`: an open proposal past its expiry reads as EXPIRED.
pb::ProposalStatus status_at(const pb::Proposal& p, std::uint64_t height);
// "open", "executed", "expired".
std::string_view status_name(pb::ProposalStatus s);
// The kind as the command line names it: "add-validator", "grant-role", ...
std::string_view kind_name(const pb::Action& a);

std::uint64_t proposal_expiry_blocks(const StateReader& state);

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::governance
