// Epochs: the stretches of heights certified by one validator set.
//
// Epoch 0 is the genesis set. A validator-set change executed at height h takes effect after the
// switch height c = switch_height(h, K, W): the first multiple of the checkpoint interval K that
// is at least h + W, W being the watermark window. Heights up to c are certified by the old
// set, heights above c by the new one. A replica votes on a height x only inside its window, so
// only once it has executed x - W; a replica voting on c or any height above has therefore
// executed h and knows where its epoch ends. consensus/README.md gives the whole argument.
#pragma once

#include <cstdint>

#include "consensus/signing.hpp"  // validator_set_hash, the epoch envelope digest
#include "consensus/types.hpp"
#include "proto/epoch_spacing.hpp"

namespace sharechain::consensus {

// The last height certified by the set that executed a change at `executed_at`
// (proto/epoch_spacing.hpp: the contracts record a change's switch height with the same function).
using ::sharechain::switch_height;

// INVALID_ARGUMENT unless `header` belongs to `config`'s epoch: its epoch field, its height
// above config.epoch_start (and at most the epoch's last height when that is known), and its
// validator_set_hash equal to the set's. A header without validator_set_hash is accepted only
// in epoch 0 (blocks certified before the field existed).
Status check_epoch_fields(const Config& config, const BlockHeader& header);

}  // namespace sharechain::consensus
