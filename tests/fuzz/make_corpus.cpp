// fuzz_make_corpus: writes the seed corpus of every fuzz target from real messages, made by the
// project's own code: signed transactions for every contract action, client requests, consensus
// traffic recorded from running engines, honest blocks with commit certificates, snapshot chunks
// as GetSnapshot streams them, and the config, genesis and key files `sharechain-net init` writes.
//
//   fuzz_make_corpus OUT_DIR       writes OUT_DIR/<target>/<seed>
//
// Everything is deterministic (fixed keys, BIP340 auxiliary randomness derived from the message)
// except the keystore files, whose salt and IV are random by design: an existing keystore seed
// that still decrypts to the same key is left as it is, so regenerating changes nothing.
// Seeds whose name starts with "regress-" are reproducers of fixed bugs; they are not written
// here and never removed. The generator refuses to write a corpus whose seeds do not do what
// they are for (an action that does not succeed, a recorded replica that commits nothing).
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "consensus/messages.hpp"
#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "contracts/executor.hpp"
#include "sharechain/api.pb.h"
#include "tests/consensus/harness.hpp"
#include "tests/contracts/harness.hpp"
#include "tests/fuzz/support/chain_world.hpp"
#include "tests/fuzz/support/contract_world.hpp"
#include "tests/fuzz/support/key_files.hpp"
#include "tests/fuzz/support/node_mirror.hpp"
#include "tests/fuzz/support/records.hpp"
#include "tests/fuzz/support/replica.hpp"
#include "tools/common/keystore.hpp"
#include "tools/net/init.hpp"
#include "tools/net/layout.hpp"

using namespace sharechain;
namespace fs = std::filesystem;
namespace cst = consensus::testing;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_make_corpus: %s\n", what.c_str());
  std::exit(1);
}

class Writer {
 public:
  explicit Writer(fs::path root) : root_(std::move(root)) {}

  void put(const std::string& target, const std::string& name, const std::string& bytes) {
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail("cannot write " + (dir / name).string());
    ++counts_[target];
  }

  void report() const {
    for (const auto& [target, n] : counts_) std::printf("%-16s %3zu seeds\n", target.c_str(), n);
  }

  const fs::path& root() const { return root_; }

 private:
  fs::path root_;
  std::map<std::string, std::size_t> counts_;
};

std::string records(const std::vector<std::pair<std::uint8_t, std::string>>& list) {
  std::string out;
  for (const auto& [tag, bytes] : list) fuzz::append_record(out, tag, bytes);
  return out;
}

// --- contract targets ---------------------------------------------------------------------

TransactionBody with_nonce(const fuzz::ContractWorld& world, const fuzz::WorldAction& a) {
  TransactionBody body = a.body;
  body.set_nonce(contracts::next_nonce(world.state(), body.sender()));
  return body;
}

void contract_seeds(Writer& w) {
  const fuzz::ContractWorld& world = fuzz::contract_world();
  for (const fuzz::WorldAction& a : world.actions()) {
    const TransactionBody body = with_nonce(world, a);
    const auto result = fuzz::execute_on(world.state(), world, a.slot, {fuzz::as_verified(body, body.sender())});
    const Receipt& r = result.receipts.at(0);
    if (r.status() != RECEIPT_OK) {
      fail("action " + a.name + " does not succeed at its slot: " + ReceiptStatus_Name(r.status()) + ": " + r.error());
    }
    const SignedTransaction tx = fuzz::sign_deterministic(body, a.sender);
    if (auto v = tx::verify(tx, world.chain_id()); !v) fail(a.name + " does not verify: " + v.status().message());
    w.put("transaction", a.name, tx.SerializeAsString());
    w.put("contract_call", a.name, std::string(1, static_cast<char>(a.slot)) + records({{0, body.SerializeAsString()}}));
    api::SubmitRequest submit;
    *submit.mutable_transaction() = tx;
    w.put("api_submit", a.name, std::string(1, '\x00') + records({{0, submit.SerializeAsString()}}));
  }

  // Blocks of several actions: one per contract, each in nonce order per sender.
  std::map<std::string, std::vector<const fuzz::WorldAction*>> by_contract;
  for (const fuzz::WorldAction& a : world.actions()) by_contract[a.name.substr(0, a.name.find('.'))].push_back(&a);
  for (const auto& [contract, list] : by_contract) {
    std::string input(1, '\x00');
    for (const fuzz::WorldAction* a : list) fuzz::append_record(input, 0, a->body.SerializeAsString());
    w.put("contract_call", "block-" + contract, input);
  }

  // One sender's consecutive nonces, into a mempool with a nonce gap of 2 and room for 5.
  std::vector<std::pair<std::uint8_t, std::string>> transfers;
  const std::string driver = contracts::testing::address_for("driver");
  const std::uint64_t first = contracts::next_nonce(world.state(), driver);
  for (std::uint64_t i = 0; i < 6; ++i) {
    TransactionBody body;
    body.set_chain_id(world.chain_id());
    body.set_sender(driver);
    body.set_nonce(first + i);
    auto* t = body.mutable_ledger()->mutable_transfer();
    t->set_to(contracts::testing::address_for("tech"));
    t->set_amount(10 + i);
    t->set_memo("instalment " + std::to_string(i + 1));
    api::SubmitRequest submit;
    *submit.mutable_transaction() = fuzz::sign_deterministic(body, "driver");
    submit.set_wait_for_commit(i == 0);
    transfers.emplace_back(0, submit.SerializeAsString());
  }
  w.put("api_submit", "mempool-nonces", std::string(1, static_cast<char>(2 | (1 << 2))) + records(transfers));
  w.put("api_submit", "mempool-resubmit",
        std::string(1, '\x01') + records({transfers[0], transfers[0], transfers[1], transfers[3]}));

  for (const fuzz::WorldQuery& q : world.queries()) w.put("api_query", q.name, q.request.SerializeAsString());
}

// --- chain-world targets ------------------------------------------------------------------

void chain_seeds(Writer& w) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  const auto& blocks = world.blocks();
  auto range = [&](std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t h = from; h <= to; ++h) fuzz::append_record(out, 0, blocks[h - 1].SerializeAsString());
    return out;
  };
  w.put("block_range", "honest-1-8", range(1, 8));
  w.put("block_range", "honest-1-3", range(1, 3));
  w.put("block_range", "honest-1", range(1, 1));

  for (std::uint64_t h : {fuzz::kCheckpointInterval, 2 * fuzz::kCheckpointInterval}) {
    for (std::size_t page : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{700}}) {
      std::string out;
      for (const auto& chunk : world.snapshot_chunks(h, page)) fuzz::append_record(out, 0, chunk.SerializeAsString());
      w.put("snapshot", "checkpoint-" + std::to_string(h) + "-pages-" + std::to_string(page), out);
    }
  }

  // Client lookups: every kind, by height, hash, transaction and account.
  std::string lookups;
  for (std::uint64_t h = 1; h <= blocks.size(); ++h) {
    api::GetBlockRequest r;
    r.set_height(h);
    fuzz::append_record(lookups, 0, r.SerializeAsString());
  }
  w.put("api_lookup", "blocks-by-height", lookups);
  {
    std::string out;
    api::GetBlockRequest by_hash;
    by_hash.set_hash(crypto::hash_bytes(crypto::sha256(blocks[4].header())));
    fuzz::append_record(out, 0, by_hash.SerializeAsString());
    api::GetBlockRequest latest;
    latest.set_latest(true);
    fuzz::append_record(out, 0, latest.SerializeAsString());
    w.put("api_lookup", "block-by-hash-and-latest", out);
  }
  {
    std::string out;
    for (const Block& b : {blocks[0], blocks[6]}) {
      for (const std::string& raw : b.transactions()) {
        SignedTransaction tx;
        tx.ParseFromString(raw);
        api::GetTransactionRequest r;
        r.set_tx_hash(crypto::hash_bytes(tx::hash_of(tx)));
        fuzz::append_record(out, 1, r.SerializeAsString());
      }
    }
    w.put("api_lookup", "transactions", out);
  }
  {
    std::string out;
    for (const char* who : {"investor", "ann", "a1", "nobody"}) {
      api::GetAccountRequest r;
      r.set_address(contracts::testing::address_for(who));
      fuzz::append_record(out, 2, r.SerializeAsString());
    }
    w.put("api_lookup", "accounts", out);
  }
  {
    std::string out;
    for (std::uint64_t from : {0, 1, 6}) {
      api::SubscribeRequest r;
      r.set_from_height(from);
      fuzz::append_record(out, 3, r.SerializeAsString());
    }
    w.put("api_lookup", "subscriptions", out);
  }
}

// --- peer streams and certificates from a real cluster ------------------------------------

peer::PeerMessage hello(const fuzz::ChainWorld& world, std::uint32_t from, std::uint64_t nonce) {
  peer::PeerMessage m;
  auto* h = m.mutable_hello();
  h->set_chain_id(world.chain_id());
  h->set_genesis_hash(world.genesis_hash());
  const std::string& key = world.config().validators.at(from).public_key;
  h->set_public_key(key);
  h->set_nonce(nonce);
  h->set_signature(world.keys().signer(from).sign(crypto::tagged_hash(
      crypto::kHelloTag, fuzz::hello_signing_bytes(world.chain_id(), world.genesis_hash(), key, nonce))));
  return m;
}

// Real signed transfers between the chain world's genesis accounts.
peer::PeerMessage gossip(const fuzz::ChainWorld& world) {
  peer::PeerMessage m;
  for (std::uint64_t nonce = 0; nonce < 3; ++nonce) {
    TransactionBody body;
    body.set_chain_id(world.chain_id());
    body.set_sender(contracts::testing::address_for("driver"));
    body.set_nonce(nonce);
    body.mutable_ledger()->mutable_transfer()->set_to(contracts::testing::address_for("ann"));
    body.mutable_ledger()->mutable_transfer()->set_amount(25 + nonce);
    *m.mutable_txs()->add_transactions() = fuzz::sign_deterministic(body, "driver");
  }
  return m;
}

// Runs a real 4-validator cluster (tests/consensus/harness.hpp) and records what validator
// `from` sends validator 0, and every VIEW-CHANGE sent.
struct RealRun {
  std::vector<consensus::Envelope> to_zero;
  std::vector<consensus::ViewChange> view_changes;
};

RealRun real_run(std::uint32_t from, bool view_change) {
  cst::Cluster cluster(4);
  RealRun out;
  std::uint64_t now = cst::kStart;
  auto record = [&](const cst::InFlight& f, const consensus::Message& m) {
    if (f.from == from && f.to == 0) out.to_zero.push_back(f.envelope);
    if (m.has_view_change() && f.to == (f.from + 1) % 4) out.view_changes.push_back(m.view_change());
    return false;
  };
  cluster.start(now);
  cluster.pump(now, record);
  int label = 0;
  for (int block = 0; block < 6; ++block) {
    std::vector<consensus::Tx> txs;
    for (int i = 0; i < 4; ++i) txs.push_back(cst::make_tx("seed-" + std::to_string(label++)));
    now += 20;
    cluster.request(txs, now);
    cluster.pump(now, record);
  }
  if (cluster.node(0).height() < 6) fail("the real cluster did not commit six blocks");
  if (view_change) {
    // A block prepared everywhere but committed nowhere, then the primary goes quiet: every
    // VIEW-CHANGE carries a commit certificate, the stable checkpoint and a prepared certificate.
    std::vector<consensus::Tx> txs;
    for (int i = 0; i < 4; ++i) txs.push_back(cst::make_tx("stuck-" + std::to_string(i)));
    now += 20;
    cluster.request(txs, now);
    cluster.pump(now, [&](const cst::InFlight& f, const consensus::Message& m) {
      record(f, m);
      return m.has_commit();
    });
    now += 5'000;
    for (std::uint32_t i = 0; i < 4; ++i) cluster.fire(i, consensus::TimerId::kRequest, now);
    cluster.pump(now, record);
    if (out.view_changes.empty()) fail("the real cluster sent no VIEW-CHANGE");
  }
  return out;
}

void peer_seeds(Writer& w) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  for (std::uint32_t from : {1u, 2u}) {
    for (bool vc : {false, true}) {
      const RealRun run = real_run(from, vc);
      std::string out;
      fuzz::append_record(out, 0, hello(world, from, 7).SerializeAsString());
      fuzz::append_record(out, 0, gossip(world).SerializeAsString());
      for (const consensus::Envelope& e : run.to_zero) {
        peer::PeerMessage m;
        *m.mutable_consensus() = e;
        fuzz::append_record(out, 0, m.SerializeAsString());
        if (out.size() > 48 * 1024) break;
      }
      fuzz::append_record(out, 0, peer::PeerMessage().SerializeAsString());  // the idle keepalive
      w.put("peer_message", "stream-from-" + std::to_string(from) + (vc ? "-view-change" : ""), out);
      if (vc) {
        std::set<std::string> distinct;
        for (const consensus::ViewChange& v : run.view_changes) distinct.insert(v.SerializeAsString());
        int i = 0;
        for (const std::string& bytes : distinct) {
          w.put("certificates", "view-change-" + std::to_string(from) + "-" + std::to_string(i++), bytes);
        }
      }
    }
  }
  {
    // A hello from a stranger and one for another genesis: refused streams.
    std::string out;
    peer::PeerMessage m = hello(world, 3, 1);
    m.mutable_hello()->set_genesis_hash(std::string(32, '\x01'));
    fuzz::append_record(out, 0, m.SerializeAsString());
    w.put("peer_message", "hello-other-genesis", out);
  }
  // The certificates of the chain world's blocks and checkpoints, as view changes would carry them.
  consensus::ViewChange vc;
  vc.set_new_view(3);
  *vc.mutable_committed() = world.blocks()[7].certificate();
  *vc.mutable_checkpoint() = world.checkpoint_proof(8);
  w.put("certificates", "chain-world-8", vc.SerializeAsString());
}

// --- a single replica's inputs, recorded from a cluster on fake signatures -----------------

class FakeCluster {
 public:
  FakeCluster(std::uint32_t watched) : watched_(watched) {
    input_.push_back(static_cast<char>(watched));
    for (std::uint32_t i = 0; i < fuzz::kValidators; ++i) nodes_.push_back(std::make_unique<fuzz::Replica>(i));
    for (std::uint32_t i = 0; i < fuzz::kValidators; ++i) route(i, nodes_[i]->start());
  }

  std::function<bool(std::uint32_t from, std::uint32_t to, const consensus::Message&)> drop;
  std::set<std::uint32_t> down;

  void request(int count) {
    for (int i = 0; i < count; ++i) {
      const std::string body = "fake-tx-" + std::to_string(next_tx_++);
      for (std::uint32_t n = 0; n < fuzz::kValidators; ++n) {
        if (down.count(n) != 0) continue;
        if (n == watched_) step(fuzz::StepKind::kRequest, 0, body);
        route(n, nodes_[n]->request({fuzz::request_tx(body)}));
      }
    }
  }

  void wait(std::uint16_t ms) {
    for (auto& n : nodes_) n->advance(ms);
    step(fuzz::StepKind::kWait, 0, std::string{static_cast<char>(ms & 0xff), static_cast<char>(ms >> 8)});
  }

  void fire(std::uint32_t n, consensus::TimerId id) {
    if (down.count(n) != 0) return;
    if (n == watched_) step(fuzz::StepKind::kTimer, 0, std::string(1, static_cast<char>(id)));
    if (auto acts = nodes_[n]->timer(id)) route(n, *acts);
  }

  void crash_watched(std::uint8_t after) {
    step(fuzz::StepKind::kCrash, 0, std::string(1, static_cast<char>(after)));
    nodes_[watched_]->crash_after(after);
  }

  // Delivers until the network is empty, firing the primaries' batch timers as they come due.
  void settle() {
    for (int round = 0; round < 50; ++round) {
      pump();
      bool fired = false;
      for (std::uint32_t n = 0; n < fuzz::kValidators; ++n) {
        if (nodes_[n]->timers().count(consensus::TimerId::kBatch) != 0) {
          wait(10);
          fire(n, consensus::TimerId::kBatch);
          fired = true;
        }
      }
      if (!fired && network_.empty()) return;
    }
  }

  fuzz::Replica& node(std::uint32_t n) { return *nodes_[n]; }
  const std::string& input() const { return input_; }

 private:
  struct InFlight {
    std::uint32_t from, to;
    consensus::Envelope envelope;
  };

  void step(fuzz::StepKind kind, std::uint32_t from, const std::string& bytes) {
    fuzz::append_record(input_, fuzz::step_tag(kind, from), bytes);
  }

  void route(std::uint32_t from, const consensus::Actions& actions) {
    for (const auto& a : actions) {
      if (const auto* s = std::get_if<consensus::Send>(&a)) network_.push_back({from, s->to, s->envelope});
      if (const auto* b = std::get_if<consensus::Broadcast>(&a)) {
        for (std::uint32_t to = 0; to < fuzz::kValidators; ++to) {
          if (to != from) network_.push_back({from, to, b->envelope});
        }
      }
    }
  }

  void pump() {
    for (int steps = 0; !network_.empty() && steps < 20000; ++steps) {
      InFlight f = std::move(network_.front());
      network_.pop_front();
      if (down.count(f.to) != 0 || down.count(f.from) != 0) continue;
      const auto m = consensus::decode(f.envelope);
      if (!m || (drop && drop(f.from, f.to, *m))) continue;
      if (f.to == watched_) step(fuzz::StepKind::kMessage, f.from, f.envelope.payload());
      route(f.to, nodes_[f.to]->message(f.envelope));
    }
  }

  std::uint32_t watched_;
  std::string input_;
  std::vector<std::unique_ptr<fuzz::Replica>> nodes_;
  std::deque<InFlight> network_;
  int next_tx_ = 0;
};

void replica_seeds(Writer& w) {
  auto save = [&](const std::string& name, FakeCluster& c, std::uint32_t watched, std::uint64_t min_height) {
    if (c.node(watched).height() < min_height) {
      fail("recorded replica " + name + " executed " + std::to_string(c.node(watched).height()) +
           " blocks, fewer than " + std::to_string(min_height));
    }
    if (c.input().size() > 0xffff * 2) fail("recorded replica " + name + " is too large");
    w.put("consensus", name, c.input());
  };
  for (std::uint32_t watched : {0u, 1u}) {
    // Eight blocks in view 0: pipelined proposals, two stable checkpoints, the window moving.
    FakeCluster c(watched);
    for (int i = 0; i < 8; ++i) {
      c.request(4);
      c.settle();
    }
    save("normal-as-" + std::to_string(watched), c, watched, 8);
  }
  {
    // The primary falls silent: view change to view 1, NEW-VIEW, blocks in the new view.
    FakeCluster c(2);
    for (int i = 0; i < 3; ++i) {
      c.request(4);
      c.settle();
    }
    c.down.insert(0);
    c.request(3);
    c.wait(2'000);
    for (std::uint32_t n = 1; n < fuzz::kValidators; ++n) c.fire(n, consensus::TimerId::kRequest);
    c.settle();
    for (int i = 0; i < 3; ++i) {
      c.request(4);
      c.settle();
    }
    if (c.node(2).engine().view() == 0) fail("the view-change recording stayed in view 0");
    save("view-change-as-2", c, 2, 5);
  }
  {
    // A block prepared but not committed when the view changes: the NEW-VIEW re-proposes it.
    FakeCluster c(3);
    c.request(4);
    c.settle();
    c.drop = [](std::uint32_t, std::uint32_t, const consensus::Message& m) { return m.has_commit(); };
    c.request(4);
    c.settle();
    c.drop = nullptr;
    c.wait(2'000);
    for (std::uint32_t n = 0; n < fuzz::kValidators; ++n) c.fire(n, consensus::TimerId::kRequest);
    c.settle();
    c.request(4);
    c.settle();
    save("reproposal-as-3", c, 3, 2);
  }
  {
    // Validator 3 misses six blocks, then hears the others again: checkpoints and the COMMITTED
    // certificate tell it how far behind it is.
    FakeCluster c(3);
    c.drop = [](std::uint32_t, std::uint32_t to, const consensus::Message&) { return to == 3; };
    for (int i = 0; i < 6; ++i) {
      c.request(4);
      c.settle();
    }
    c.drop = nullptr;
    c.request(4);
    c.settle();
    c.wait(200);
    for (std::uint32_t n = 0; n < fuzz::kValidators; ++n) c.fire(n, consensus::TimerId::kResend);
    c.settle();
    save("lagging-as-3", c, 3, 0);
  }
  {
    // The replica crashes in the middle of its reaction to a message, and restarts from what it
    // had persisted.
    FakeCluster c(1);
    c.request(4);
    c.settle();
    c.request(4);
    c.crash_watched(2);
    c.settle();
    for (int i = 0; i < 3; ++i) {
      c.request(4);
      c.settle();
    }
    if (c.node(1).restarts() == 0) fail("the crash recording never crashed");
    save("crash-as-1", c, 1, 3);
  }
}

// --- files ----------------------------------------------------------------------------------

crypto::PrivateKey fixed_key(const std::string& label) {
  auto k = crypto::PrivateKey::from_bytes(crypto::hash_bytes(crypto::sha256("fuzz-corpus/" + label)));
  if (!k) fail("key derivation failed for " + label);
  return *k;
}

void file_seeds(Writer& w) {
  const net::ClusterPaths paths("/srv/sharechain/localnet");
  std::vector<net::NodeLayout> nodes;
  for (std::uint32_t i = 0; i < 4; ++i) nodes.push_back(net::planned_node(paths, i, net::kDefaultBasePort));
  for (std::uint32_t i = 0; i < 4; ++i) {
    w.put("config_file", "node" + std::to_string(i), net::render_config(nodes[i], nodes, false));
  }
  w.put("config_file", "node1-tls", net::render_config(nodes[1], nodes, true));
  w.put("config_file", "all-keys",
        "[node]\nname = \"edge\"\nkey_file = \"/etc/sharechain/key.json\"\ngenesis_file = \"g.json\"\n"
        "data_dir = \"/var/lib/sharechain\"\n[api]\nlisten = \"0.0.0.0:26600\"\nwait_timeout_ms = 5000\n"
        "[p2p]\nlisten = \"[::1]:26601\"\npeers = [\"0@10.0.0.1:26601\", \"2@node2.example:26621\"]\n"
        "max_message_bytes = 8388608\nsend_queue_messages = 2000\n[metrics]\nlisten = \"127.0.0.1:9100\"\n"
        "[consensus]\nmax_block_txs = 500\nmax_block_bytes = 1048576\nbatch_delay_ms = 5\n"
        "checkpoint_interval = 16\nwindow = 64\nview_timeout_ms = 1500\n"
        "[mempool]\nmax_txs = 1000\nmax_bytes = 1048576\nmax_nonce_gap = 4\n[log]\nlevel = \"debug\"\n");

  std::vector<crypto::PrivateKey> validators;
  for (int i = 0; i < 4; ++i) validators.push_back(fixed_key("validator-" + std::to_string(i)));
  const std::vector<net::ClusterAccount> accounts = net::cluster_accounts();
  std::vector<tools::KeyInfo> infos;
  for (const auto& a : accounts) {
    const crypto::PrivateKey k = fixed_key("account-" + a.name);
    tools::KeyInfo info;
    info.name = a.name;
    info.address = k.address();
    info.public_key = k.public_key();
    infos.push_back(info);
  }
  const Genesis genesis = net::build_genesis(net::kDefaultChainId, 1'700'000'000'000, validators, accounts, infos);
  w.put("genesis_file", "sharechain-net-init", net::genesis_to_json(genesis));
  Genesis one = net::build_genesis("solo-chain", 1'700'000'000'000, {validators[0]}, {}, {});
  one.mutable_params()->set_attestation_threshold(1);
  w.put("genesis_file", "one-validator", net::genesis_to_json(one));
  w.put("genesis_file", "chain-world", fuzz::chain_world().genesis_json());

  for (int i = 0; i < 4; ++i) {
    w.put("key_file", "node_key-" + std::to_string(i),
          net::render_node_key("node" + std::to_string(i), validators[static_cast<std::size_t>(i)]));
  }
  // Keystore files as the wallet writes them, at the lightest cost the format allows, so the
  // fuzzer decrypts thousands a second; and one at the cost `sharechain-net init` uses.
  const fs::path staging = w.root() / ".keystore-staging";
  fs::remove_all(staging);
  for (const auto& [name, cost] : {std::pair{std::string("user1"), std::uint64_t{1} << 10},
                                   std::pair{std::string("operator"), std::uint64_t{1} << 10},
                                   std::pair{std::string("attester1"), tools::kLightScryptN}}) {
    const crypto::PrivateKey key = fixed_key("account-" + name);
    const fs::path seed = w.root() / "key_file" / ("keystore-" + name);
    if (fs::exists(seed)) {
      // Keep an existing seed that still decrypts to this key: its salt and IV were random.
      fs::create_directories(staging);
      fs::copy_file(seed, staging / (name + ".json"), fs::copy_options::overwrite_existing);
      auto loaded = tools::Keystore(staging).load(name, fuzz::kKeystorePassphrase);
      if (loaded && loaded->public_key() == key.public_key()) continue;
    }
    fs::remove_all(staging);
    tools::Keystore keystore(staging);
    tools::KeyOptions options;
    options.scrypt_n = cost;
    auto info = keystore.import_key(name, key, fuzz::kKeystorePassphrase, options);
    if (!info) fail("keystore: " + info.status().message());
    std::ifstream in(keystore.path_of(name), std::ios::binary);
    w.put("key_file", "keystore-" + name, std::string(std::istreambuf_iterator<char>(in), {}));
  }
  fs::remove_all(staging);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  Writer w{fs::path(argv[1])};
  contract_seeds(w);
  chain_seeds(w);
  peer_seeds(w);
  replica_seeds(w);
  file_seeds(w);
  w.report();
  return 0;
}
