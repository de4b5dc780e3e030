// What a proof-bundle writer checks its proofs against, as a node reports it: the chain id, the
// genesis hash and the chain of validator sets, each later set with the switch block that
// certified it (checked here as a reader will check it). A bundle's reader trusts none of this;
// it builds its Trust from the genesis file alone (proofs::trust_from) and extends it with the
// sets the bundle carries.
#pragma once

#include "client/node.hpp"
#include "proofs/verify.hpp"
#include "tools/common/outcome.hpp"

namespace sharechain::tools {

// Refused when the node does not report its genesis hash (a release before proofs), lists its
// validators out of order, or serves a switch block that does not certify the next set; exit 3
// when it cannot be reached.
Outcome<proofs::Trust> chain_trust(client::Node& node);

}  // namespace sharechain::tools
