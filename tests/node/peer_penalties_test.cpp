// PeerPenalties: how long a validator that provably misbehaved stays disconnected.
//   the first ban is the policy's first length; offences during a ban do not extend it
//   a repeat soon after a ban doubles it, up to the maximum
//   a quiet spell after a ban starts the back-off over
//   validators are banned independently; the reason of the latest offence is kept
#include <catch2/catch.hpp>

#include "node/peer_penalties.hpp"

using sharechain::node::PeerPenalties;

namespace {
PeerPenalties::Policy policy() {
  PeerPenalties::Policy p;
  p.first_ms = 10;
  p.max_ms = 40;
  p.forgive_ms = 100;
  return p;
}
}  // namespace

TEST_CASE("a first offence bans for the first length, and only that long") {
  PeerPenalties p(policy());
  CHECK_FALSE(p.banned_for(2, 0));
  CHECK(p.penalize(2, 1000, "bad_new_view: forged") == 10);
  CHECK(p.banned_for(2, 1000) == 10u);
  CHECK(p.banned_for(2, 1009) == 1u);
  CHECK_FALSE(p.banned_for(2, 1010));
  CHECK(p.reason(2) == "bad_new_view: forged");
  // Messages already in flight when the ban started do not make it longer.
  CHECK(p.penalize(2, 1005, "equivocation") == 5);
  CHECK_FALSE(p.banned_for(2, 1010));
  CHECK(p.reason(2) == "bad_new_view: forged");
}

TEST_CASE("repeat offences double the ban up to the maximum; a quiet spell forgives") {
  PeerPenalties p(policy());
  std::uint64_t t = 0;
  CHECK(p.penalize(1, t, "a") == 10);
  t += 10;
  CHECK(p.penalize(1, t, "b") == 20);
  t += 20;
  CHECK(p.penalize(1, t, "c") == 40);
  t += 40;
  CHECK(p.penalize(1, t, "d") == 40);  // the maximum
  t += 40 + 99;
  CHECK(p.penalize(1, t, "e") == 40);  // one millisecond short of forgiveness
  t += 40 + 100;
  CHECK(p.penalize(1, t, "f") == 10);
}

TEST_CASE("validators are banned independently") {
  PeerPenalties p(policy());
  p.penalize(1, 0, "x");
  CHECK(p.banned_for(1, 5));
  CHECK_FALSE(p.banned_for(3, 5));
  CHECK(p.reason(3).empty());
  CHECK(p.penalize(3, 5, "y") == 10);
}
