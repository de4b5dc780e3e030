// How long a validator that provably misbehaved stays disconnected.
//
// A penalty rests only on what consensus::is_provable_misbehaviour() accepts: bytes the
// validator signed that contradict themselves or the protocol. Such a validator is faulty (or its
// key is), so nothing is lost by not listening to it for a while, and a flood of forged
// certificates or bad NEW-VIEWs then costs this node one verification per back-off period
// instead of one per message. The back-off doubles with each offence committed soon after the
// previous ban ended and starts over after a quiet spell, so a validator whose operator fixed
// the fault is heard again without anyone's intervention.
//
// Pure: the caller passes the time, so tests need no clock.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace sharechain::node {

class PeerPenalties {
 public:
  struct Policy {
    std::uint64_t first_ms = 10'000;     // the first ban
    std::uint64_t max_ms = 600'000;      // no ban is longer
    std::uint64_t forgive_ms = 600'000;  // quiet time after a ban that resets the back-off
  };

  PeerPenalties() = default;
  explicit PeerPenalties(Policy policy) : policy_(policy) {}

  // Records an offence at `now_ms` and returns how long the validator is now banned from
  // `now_ms`. An offence during a ban (messages already in flight) does not extend it.
  std::uint64_t penalize(std::uint32_t validator, std::uint64_t now_ms, std::string reason);

  // The remaining ban in milliseconds, or nullopt when the validator may be heard.
  std::optional<std::uint64_t> banned_for(std::uint32_t validator, std::uint64_t now_ms) const;

  // The reason of the validator's latest offence ("" if none).
  const std::string& reason(std::uint32_t validator) const;

 private:
  struct Record {
    std::uint64_t banned_until_ms = 0;
    std::uint64_t last_ban_ms = 0;  // length of the latest ban
    std::string reason;
  };
  Policy policy_;
  std::map<std::uint32_t, Record> records_;
};

}  // namespace sharechain::node
