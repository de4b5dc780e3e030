// Fuzz target peer_message: one inbound Peer.Connect stream (peer.proto PeerMessage), as
// validator 0 of the chain world receives it: real BIP340 keys (tests/consensus/harness.hpp),
// the real consensus::Engine with the node's part played in memory (consensus::testing::Node),
// and the real node::Mempool for gossiped transactions. The input is records
// (support/records.hpp) of serialized PeerMessage, at most 32. The stream is handled as
// PeerNetwork's Connect handler does (support/node_mirror.hpp): the first message must be a
// Hello for this chain and genesis, from another validator, validly signed; every consensus
// envelope after it must name that validator; idle keepalives are skipped; transactions go to
// the mempool and, admitted, to the engine as the node's drain does.
//  - decode -> encode -> decode is stable for every message
//  - every refusal (of the stream, an envelope, a transaction) has a reason
//  - one validator alone (at most f = 1 of 4) can never make this replica halt or commit:
//    no Halt and no Deliver, whatever it sends
#include <cstdint>
#include <memory>
#include <vector>

#include "contracts/executor.hpp"
#include "contracts/memory_state.hpp"
#include "node/mempool.hpp"
#include "tests/consensus/harness.hpp"
#include "tests/fuzz/support/chain_world.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/node_mirror.hpp"
#include "tests/fuzz/support/records.hpp"

using namespace sharechain;
namespace cst = consensus::testing;

namespace {

struct Fixed {
  fuzz::PeerIdentity identity;
  contracts::MemoryState genesis_state;
  explicit Fixed(const fuzz::ChainWorld& world) {
    identity.chain_id = world.chain_id();
    identity.genesis_hash = world.genesis_hash();
    for (const auto& v : world.config().validators) identity.validator_keys.push_back(v.public_key);
    identity.self = 0;
    genesis_state.apply(world.genesis_state());
  }
};

void check_actions(const consensus::Actions& actions) {
  for (const consensus::Action& a : actions) {
    FUZZ_CHECK(!std::holds_alternative<consensus::Halt>(a),
               "one validator made the replica halt: " + std::get<consensus::Halt>(a).reason);
    FUZZ_CHECK(!std::holds_alternative<consensus::Deliver>(a), "one validator made the replica commit");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  static const Fixed* fixed = new Fixed(world);
  cst::Node replica(world.keys(), 0, world.config());
  std::uint64_t now = cst::kStart;
  check_actions(replica.start(now));
  node::Mempool mempool(node::Mempool::Limits{64, 1 << 20, 0}, world.chain_id(),
                        [](std::string_view a) { return contracts::next_nonce(fixed->genesis_state, a); });

  const auto records = fuzz::split_records(std::string_view(reinterpret_cast<const char*>(data), size), 32);
  std::optional<std::uint32_t> from;
  for (const fuzz::Record& record : records) {
    const auto msg = fuzz::decode_stable<peer::PeerMessage>(record.bytes);
    if (!msg) return 0;  // gRPC ends a stream whose message does not decode
    now += 10;
    if (!from) {
      auto hello = fuzz::accept_hello(fixed->identity, *msg);
      if (!hello) {
        FUZZ_CHECK(!hello.status().message().empty(), "a stream refused without a reason");
        return 0;
      }
      from = *hello;
      continue;
    }
    switch (msg->kind_case()) {
      case peer::PeerMessage::kConsensus: {
        if (msg->consensus().validator() != *from) return 0;  // the stream is refused
        const auto before = replica.engine().rejections_total();
        check_actions(replica.run(replica.engine().on_message(msg->consensus(), now), now));
        if (replica.engine().rejections_total() > before) {
          FUZZ_CHECK(replica.engine().last_rejection() && !replica.engine().last_rejection()->detail.empty(), "an envelope dropped without a reason");
        }
        break;
      }
      case peer::PeerMessage::kTxs: {
        std::vector<consensus::Tx> admitted;
        for (const SignedTransaction& tx : msg->txs().transactions()) {
          auto added = mempool.add(tx);
          if (!added) {
            FUZZ_CHECK(!added.status().message().empty(), "a gossiped transaction refused without a reason");
            continue;
          }
          FUZZ_CHECK(mempool.contains(*added) && *added == tx::hash_of(tx), "an admitted transaction is not pending");
        }
        for (const node::PendingTx& p : mempool.take_ready()) admitted.push_back(consensus::Tx{p.hash, p.bytes});
        if (!admitted.empty()) check_actions(replica.run(replica.engine().on_request(std::move(admitted), now), now));
        break;
      }
      default:
        break;  // a second Hello or an idle keepalive: ignored
    }
  }
  return 0;
}
