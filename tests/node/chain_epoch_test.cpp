// What the node reads from its state to run epochs (node/chain_epoch.hpp): the set in force,
// where the epoch ends once a change waits, which keys it links with and at which addresses.
#include <catch2/catch.hpp>

#include "consensus/signing.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/ledger/validator_set.hpp"
#include "contracts/memory_state.hpp"
#include "contracts/overlay.hpp"
#include "node/chain_epoch.hpp"

using namespace sharechain;

namespace {

std::string key_of(char c) { return std::string(32, c); }

Validator validator(std::uint32_t index, char key, const std::string& peer_address) {
  Validator v;
  v.set_index(index);
  v.set_name(std::string("node") + std::to_string(index));
  v.set_public_key(key_of(key));
  v.set_peer_address(peer_address);
  return v;
}

// A state holding validators a, b, c (b without a peer address).
contracts::MemoryState genesis_state() {
  contracts::MemoryState state;
  contracts::Overlay o(state);
  const Validator set[] = {validator(0, 'a', "10.0.0.1:1"), validator(1, 'b', ""), validator(2, 'c', "10.0.0.3:1")};
  for (const Validator& v : set) o.put(contracts::ledger::validator_key(v.index()), v.SerializeAsString());
  state.apply(o.take_writes());
  return state;
}

std::vector<consensus::ValidatorInfo> infos(std::initializer_list<char> keys) {
  std::vector<consensus::ValidatorInfo> out;
  for (char k : keys) out.push_back(consensus::ValidatorInfo{key_of(k)});
  return out;
}

}  // namespace

TEST_CASE("the epoch in force, and where it ends once a change waits") {
  contracts::MemoryState state = genesis_state();
  node::ChainEpoch e = node::read_chain_epoch(state);
  CHECK(e.epoch == 0);
  CHECK(e.start == 0);
  REQUIRE(e.validators.size() == 3);
  CHECK(e.index_of(key_of('c')) == 2u);
  CHECK_FALSE(e.index_of(key_of('d')));
  CHECK_FALSE(e.end());
  const node::EpochMarks before = node::read_epoch_marks(state);
  CHECK(before == node::marks_of(e));

  // d joins: executed at 10, the default K = 64 and W = 256 put the switch at 320.
  contracts::Overlay o(state);
  std::vector<Validator> next = contracts::ledger::validators(state);
  next.push_back(validator(3, 'd', "10.0.0.4:1"));
  const std::uint64_t at = contracts::ledger::schedule_validator_change(o, 10, next);
  state.apply(o.take_writes());
  CHECK(at == 320);
  const node::EpochMarks waiting = node::read_epoch_marks(state);
  CHECK_FALSE(waiting == before);  // the node re-reads its epoch after this block
  e = node::read_chain_epoch(state);
  CHECK(e.holds(key_of('d')));
  CHECK_FALSE(e.index_of(key_of('d')));  // not yet in force
  REQUIRE(e.end());
  CHECK(e.end()->last_height == 320);
  CHECK(e.end()->next_set_hash == consensus::validator_set_hash(infos({'a', 'b', 'c', 'd'})));

  // The end of block 320 puts the set in force: the epoch moves and the marks say so.
  contracts::Overlay at_switch(state);
  REQUIRE(contracts::ledger::promote_due_validator_change(at_switch, 320));
  state.apply(at_switch.take_writes());
  const node::EpochMarks after = node::read_epoch_marks(state);
  CHECK(after.epoch == 1);
  e = node::read_chain_epoch(state);
  CHECK(e.start == 320);
  CHECK(e.index_of(key_of('d')) == 3u);
  CHECK_FALSE(e.end());
  CHECK(consensus::validator_set_hash(e.infos()) == consensus::validator_set_hash(infos({'a', 'b', 'c', 'd'})));
}

TEST_CASE("peers: every key of the set in force and of waiting sets, at the configured or recorded address") {
  contracts::MemoryState state = genesis_state();
  contracts::Overlay o(state);
  std::vector<Validator> next = contracts::ledger::validators(state);
  next.erase(next.begin());                           // a leaves
  next.push_back(validator(3, 'd', "10.0.0.4:1"));   // d joins
  contracts::ledger::schedule_validator_change(o, 10, next);
  state.apply(o.take_writes());
  const node::ChainEpoch e = node::read_chain_epoch(state);

  // Genesis validator 2 (c) at another address by index; d by key; b has none anywhere.
  std::vector<node::PeerAddress> configured(2);
  configured[0].validator = 2;
  configured[0].address = "192.168.1.3:7";
  configured[1].public_key = key_of('d');
  configured[1].address = "192.168.1.4:7";
  std::vector<std::string> unreachable;
  const auto entries = node::peer_entries(e, configured, {key_of('a'), key_of('b'), key_of('c')}, &unreachable);
  REQUIRE(entries.size() == 4);
  const auto find = [&](char k) {
    for (const auto& p : entries) {
      if (p.public_key == key_of(k)) return p;
    }
    FAIL("no entry for " << k);
    return node::PeerEntry{};
  };
  CHECK(find('a').address == "10.0.0.1:1");
  CHECK(find('a').validating);       // still in force until the switch
  CHECK(find('b').address.empty());  // may connect, is not dialled
  CHECK(find('c').address == "192.168.1.3:7");
  CHECK(find('d').address == "192.168.1.4:7");
  CHECK_FALSE(find('d').validating);  // joining: linked before it has to vote
  CHECK(unreachable == std::vector<std::string>{key_of('b')});
}
