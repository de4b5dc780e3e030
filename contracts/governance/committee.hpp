// The operator committee as other contracts see it: who is on it and whether one member may act
// alone. Kept apart from governance.hpp so the ledger can ask without depending on proposals.
#pragma once

#include <optional>
#include <string_view>

#include "contracts/outcome.hpp"
#include "contracts/state.hpp"
#include "sharechain/governance.pb.h"

namespace sharechain::contracts::governance {

namespace pb = ::sharechain::governance;

inline constexpr std::string_view kCommitteeKey = "governance/committee";

// The committee. A chain whose genesis file had no committee section, and where no committee
// change has executed since, has the operator-role holders as its committee with threshold 1
// (how administration worked before committees); nullopt when it has no operator either.
std::optional<pb::Committee> committee(const StateReader& state);
bool is_member(const pb::Committee& c, std::string_view address);

// Ok when `sender` is on the committee and its threshold is 1. Otherwise PERMISSION_DENIED
// naming what to do instead: `sharechain governance propose <kind>` when more approvals are
// needed, or that the sender is not a member.
Outcome require_sole_authority(const StateReader& state, std::string_view sender,
                               std::string_view action, std::string_view kind);

}  // namespace sharechain::contracts::governance
