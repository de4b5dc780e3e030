// What a proof-bundle writer checks its proofs against, as a node reports it: the chain id,
// the genesis hash and the validator set in index order. A bundle's reader trusts none of this;
// it builds its Trust from the genesis file alone (proofs::trust_from).
#pragma once

#include "client/node.hpp"
#include "proofs/verify.hpp"
#include "tools/common/outcome.hpp"

namespace sharechain::tools {

// Refused when the node does not report its genesis hash (a release before proofs) or lists its
// validators out of order; exit 3 when it cannot be reached.
Outcome<proofs::Trust> chain_trust(client::Node& node);

}  // namespace sharechain::tools
