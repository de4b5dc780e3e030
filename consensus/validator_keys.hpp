// The keys consensus checks signatures with, from any list of validator records in index order
// (the chain's Validator, ledger.ValidatorInfo in queries and waiting changes): one conversion
// for every place that hashes a set or builds a verifier from one.
#pragma once

#include <vector>

#include "consensus/types.hpp"

namespace sharechain::consensus {

template <typename Listed>
std::vector<ValidatorInfo> validator_keys(const Listed& listed) {
  std::vector<ValidatorInfo> out;
  for (const auto& v : listed) out.push_back(ValidatorInfo{v.public_key()});
  return out;
}

}  // namespace sharechain::consensus
