#include "consensus/epochs.hpp"

#include <limits>
#include <string>

namespace sharechain::consensus {

uint64_t switch_height(uint64_t executed_at, uint64_t checkpoint_interval, uint64_t window) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (checkpoint_interval == 0) return kMax;
  if (executed_at > kMax - window) return kMax;
  const uint64_t earliest = executed_at + window;
  const uint64_t rest = earliest % checkpoint_interval;
  if (rest == 0) return earliest;
  const uint64_t up = checkpoint_interval - rest;
  return earliest > kMax - up ? kMax : earliest + up;
}

Status check_epoch_fields(const Config& config, const BlockHeader& header) {
  const std::string at = "block at height " + std::to_string(header.height());
  if (header.epoch() != config.epoch) {
    return Status::invalid_argument(at + " names epoch " + std::to_string(header.epoch()) +
                                    ", this validator set is epoch " + std::to_string(config.epoch));
  }
  if (header.height() <= config.epoch_start) {
    return Status::invalid_argument(at + " is not in epoch " + std::to_string(config.epoch) +
                                    ", which starts above height " +
                                    std::to_string(config.epoch_start));
  }
  if (config.epoch_end && header.height() > config.epoch_end->last_height) {
    return Status::invalid_argument(at + " is beyond epoch " + std::to_string(config.epoch) +
                                    ", whose last height is " +
                                    std::to_string(config.epoch_end->last_height));
  }
  if (header.validator_set_hash().empty()) {
    if (config.epoch == 0) return Status::ok();
    return Status::invalid_argument(at + " does not name the validator set that certifies it");
  }
  if (header.validator_set_hash() != crypto::hash_bytes(validator_set_hash(config.validators))) {
    return Status::invalid_argument(at + " names validator set " +
                                    crypto::to_hex(header.validator_set_hash()) +
                                    ", not epoch " + std::to_string(config.epoch) + "'s");
  }
  return Status::ok();
}

}  // namespace sharechain::consensus
