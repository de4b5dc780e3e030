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

#include "contracts/client.hpp"
#include "contracts/context.hpp"
#include "contracts/governance/committee.hpp"
#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/governance.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::contracts::governance {

inline constexpr std::uint64_t kDefaultProposalExpiryBlocks = 1000;
inline constexpr std::uint64_t kMaxProposalExpiryBlocks = 1'000'000;
inline constexpr int kMaxCommitteeMembers = 64;

// kContract, ParameterRule, find_parameter, status_at, status_name and kind_name are in
// contracts/client.hpp: the wallet applies them as the chain does.

// What the genesis file's committee section becomes in state. Refuses an empty or oversized
// committee, a member that is not a genesis account, a repeated member, and a threshold
// outside 1..members.
Result<pb::Committee> genesis_committee(const Genesis& genesis);

std::uint64_t proposal_expiry_blocks(const StateReader& state);

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

}  // namespace sharechain::contracts::governance
