// Shared by the governance contract's own files only.
#pragma once

#include <cstdint>
#include <string>

namespace sharechain::contracts::governance {

std::string proposal_key(std::uint64_t id);
std::string open_key(std::uint64_t id);
std::string parameter_names();  // "attestation_threshold, proposal_expiry_blocks, ..."

}  // namespace sharechain::contracts::governance
