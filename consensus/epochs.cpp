#include "consensus/epochs.hpp"

#include <string>

namespace sharechain::consensus {

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
