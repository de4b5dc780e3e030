// Byzantine validators for the simulator. A Byzantine validator runs a real engine; what it
// sends is rewritten on the way out by one of these behaviours (the decorator approach: the
// replica's honest logic produces the raw material, the behaviour lies with it). Every rewritten
// message is validly signed with the Byzantine validator's own key unless the behaviour is
// forging signatures: a Byzantine validator cannot sign for anyone else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/types.hpp"
#include "tools/sim/rng.hpp"

namespace sharechain::sim {

enum class Behaviour : uint8_t {
  kSilent,           // sends nothing at all
  kEquivocate,       // as primary, proposes two different blocks to two halves of the peers
  kDoubleVote,       // sends conflicting PREPARE, COMMIT and CHECKPOINT votes
  kStaleFuture,      // adds copies of its messages re-signed for earlier/later views and heights
  kForge,            // adds messages with forged signatures, foreign indices, garbage payloads
  kBogusViewChange,  // lies in VIEW-CHANGE (forged or omitted proofs) and NEW-VIEW messages
  kMixed,            // picks one of the above (or honesty) for every message
};
inline constexpr Behaviour kAllBehaviours[] = {
    Behaviour::kSilent,      Behaviour::kEquivocate,      Behaviour::kDoubleVote,
    Behaviour::kStaleFuture, Behaviour::kForge,           Behaviour::kBogusViewChange,
    Behaviour::kMixed};

const char* behaviour_name(Behaviour b);
std::optional<Behaviour> behaviour_from_name(std::string_view name);

struct Wire {
  uint32_t to = 0;
  consensus::Envelope envelope;
};

// What a behaviour may use: the validator's own key, the set, and the replica's public state.
struct ByzantineContext {
  const consensus::Config& config;
  consensus::Signer& signer;
  Rng& rng;
  uint64_t view = 0;
  uint64_t committed_height = 0;
};

// Rewrites one outgoing message, addressed to `destinations` (one peer for a Send, every peer
// for a Broadcast), into the envelopes that actually go on the wire.
void misbehave(Behaviour behaviour, const ByzantineContext& ctx,
               const std::vector<uint32_t>& destinations, const consensus::Envelope& envelope,
               std::vector<Wire>& wire);

}  // namespace sharechain::sim
