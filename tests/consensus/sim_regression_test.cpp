// Seeds on which the simulator found a bug, replayed in-process. Each fails if its fix is undone
// (checked by reverting the fix and scanning seeds with sharechain-sim's defaults). Seeds
// depend on the scenario generator (tools/sim/scenario.cpp) and on the engine's message
// pattern: after a change to either, find them again the same way.
//  - a replica that lags while the chain is idle catches up through Committed certificates
//  - ... also when it lacks exactly the last committed height
//  - the same help reaches a peer whose VIEW-CHANGE we already hold (a re-sent duplicate)
//  - a checkpoint stable here is still voted for towards a replica that lacks the vote
//  - the view-change timer counts validators already past the view, so a quorum split
//    across two views does not wait for itself for ever
//  - the view-change back-off lasts until a view drains its work, so a timeout shorter than a
//    block's round trip does not commit one block per view change for ever
#include <catch2/catch.hpp>

#include "tools/sim/simulator.hpp"

using namespace sharechain::sim;

namespace {

void replay(uint32_t nodes, uint32_t byzantine, uint64_t seed) {
  Options o;
  o.nodes = nodes;
  o.byzantine = byzantine;
  o.seed = seed;
  const Outcome out = simulate(o);
  INFO(replay_command(o) << "\n" << out.scenario << out.violation);
  CHECK(out.ok);
  CHECK(out.stats.blocks > 0);
}

}  // namespace

TEST_CASE("regression: a lagging replica on an idle chain is sent a commit certificate") {
  replay(4, 1, 326);
  replay(4, 0, 238);
  replay(7, 2, 3);
}

TEST_CASE("regression: a replica lacking only the last committed height is sent its certificate") {
  replay(4, 1, 145);
}

TEST_CASE("regression: checkpoint votes reach a replica after the checkpoint is stable here") {
  replay(4, 1, 373);
}

TEST_CASE("regression: a re-sent VIEW-CHANGE still earns the laggard help") {
  replay(4, 1, 68);
  replay(7, 2, 34);
}

TEST_CASE("regression: the view-change timer counts validators already in later views") {
  replay(4, 1, 4);
  replay(7, 2, 16);
}

TEST_CASE("regression: the back-off ends only when a view has drained its work") {
  replay(4, 0, 15);
  replay(7, 2, 6);
}
