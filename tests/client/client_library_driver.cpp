// Drives the client library against a live 4-node cluster (tests/cluster/client_library.sh):
//   1. reads: status, an untouched account as a zero account
//   2. pipelining: three transfers sent without waiting take consecutive nonces and all commit
//   3. idempotency: a committed transaction sent again answers ALREADY_EXISTS with its height
//   4. batches: submit_many of 20 transfers, every one admitted, all committed
//   5. events: a stream of user1's transfers from height 1; the node it reads from is killed
//      (SIGKILL) mid-stream; the stream resumes on another node and, with transfers sent after
//      the kill through the same client (which fails over too), every transfer to user1 is seen
//      exactly once, in chain order
// Usage: client_library_driver --dir CLUSTER_DIR --base-port PORT
//
// With --replay-from NODE --to-height H (after a node restored a state snapshot and is still
// backfilling the blocks below it): a stream of user1's transfers from height 1 through H, with
// NODE first in the client's list, gives exactly the events a healthy node's history holds, in
// order, and has left NODE (its hole answers UNAVAILABLE "not yet backfilled", and the stream
// resumes from its cursor on the next node).
// Exit 0 when every step holds; 1 with the step and the reason otherwise.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/client.hpp"
#include "proto/crypto.hpp"
#include "proto/transaction.hpp"
#include "tools/common/keystore.hpp"

using namespace sharechain;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void fail(const std::string& step, const std::string& why) {
  std::cerr << "client_library_driver: " << step << ": " << why << "\n";
  std::exit(1);
}

void log(const std::string& what) { std::cout << "client_library_driver: " << what << std::endl; }

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

template <typename T>
T must(client::Reply<T> r, const std::string& step) {
  if (!r) fail(step, r.error().message);
  return std::move(r).value();
}

auto transfer_to(const std::string& to, std::uint64_t amount, std::string memo) {
  return [to, amount, memo](TransactionBody& body) {
    auto* t = body.mutable_ledger()->mutable_transfer();
    t->set_to(to);
    t->set_amount(amount);
    t->set_memo(memo);
  };
}

using Position = std::pair<std::uint64_t, std::uint32_t>;

api::EventFilter transfers_naming(const std::string& address20) {
  api::EventFilter filter;
  filter.add_names("Transferred");
  filter.add_accounts(address20);
  return filter;
}

int replay(const std::vector<std::string>& nodes, const tools::Keystore& keystore, int first, std::uint64_t to) {
  const std::string step = "replay through a restored node";
  Result<tools::KeyInfo> user1 = keystore.info("user1");
  if (!user1) fail(step, user1.status().message());
  const api::EventFilter filter = transfers_naming(user1->address);

  // What a node with its whole history holds: the reference.
  const int healthy = (first + 1) % static_cast<int>(nodes.size());
  client::Node reference(nodes[static_cast<std::size_t>(healthy)], 10s);
  std::vector<std::pair<Position, std::string>> want;
  for (const api::EventBatch& b : must(reference.events(filter, 1, to), step + ": reference")) {
    for (const auto& e : b.events()) want.push_back({{e.position().height(), e.position().index()}, e.tx_hash()});
  }
  if (want.empty()) fail(step, "the reference history has no transfer to user1");

  std::vector<std::string> order = {nodes[static_cast<std::size_t>(first)]};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (static_cast<int>(i) != first) order.push_back(nodes[i]);
  }
  client::Client c(client::Options(order, 5s, 30s));
  api::EventCursor from;
  from.set_height(1);
  client::EventStream events = c.events(filter, from);
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 900 && !finished; ++i) std::this_thread::sleep_for(100ms);
    if (!finished) events.close();
  });
  std::vector<std::pair<Position, std::string>> got;
  while (events.cursor().height() <= to) {
    api::EventBatch b = must(events.next(), step);
    for (const auto& e : b.events()) {
      if (e.position().height() <= to) got.push_back({{e.position().height(), e.position().index()}, e.tx_hash()});
    }
  }
  finished = true;
  watchdog.join();
  if (got != want) {
    fail(step, "the stream gave " + std::to_string(got.size()) + " events, the history holds " +
                   std::to_string(want.size()) + " (or in another order)");
  }
  if (c.current_address() == nodes[static_cast<std::size_t>(first)]) {
    fail(step, "the stream never left " + nodes[static_cast<std::size_t>(first)] + ", whose history has a hole");
  }
  log("replay: " + std::to_string(got.size()) + " events from height 1 to " + std::to_string(to) +
      ", each once, in order; started on " + nodes[static_cast<std::size_t>(first)] + " (restored, backfilling), ended on " +
      c.current_address());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  int base_port = 0;
  int replay_from = -1;
  std::uint64_t to_height = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--base-port") base_port = std::atoi(argv[i + 1]);
    if (a == "--replay-from") replay_from = std::atoi(argv[i + 1]);
    if (a == "--to-height") to_height = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (dir.empty() || base_port == 0) fail("usage", "--dir CLUSTER_DIR --base-port PORT");

  std::vector<std::string> nodes;
  for (int i = 0; i < 4; ++i) nodes.push_back("127.0.0.1:" + std::to_string(base_port + 10 * i));

  const tools::Keystore keystore(dir + "/keystore");
  if (replay_from >= 0) return replay(nodes, keystore, replay_from, to_height);
  client::Client c(client::Options(nodes, 5s, 20s));

  const std::string passphrase = read_file(dir + "/passphrase");
  const crypto::PrivateKey user2 = [&] {
    Result<crypto::PrivateKey> k = keystore.load("user2", passphrase);
    if (!k) fail("keystore", k.status().message());
    return *k;
  }();
  const std::string user1 = [&] {
    Result<tools::KeyInfo> k = keystore.info("user1");
    if (!k) fail("keystore", k.status().message());
    return k->address;
  }();

  // 1. Reads.
  const api::NodeStatus status = must(c.status(), "status");
  if (status.chain_id().empty()) fail("status", "no chain id");
  const std::string nobody = crypto::PrivateKey::generate().address();
  const ledger::Account zero = must(c.account(nobody), "untouched account");
  if (zero.balance() != 0 || zero.nonce() != 0) fail("untouched account", "not a zero account");
  log("status at height " + std::to_string(status.height()) + " from " + c.current_address());

  std::set<std::string> expected;  // hashes of the transfers to user1 that committed
  auto remember = [&](const api::SubmitResponse& r) { expected.insert(r.tx_hash()); };

  // 2. Pipelined nonces: three sends without waiting, then the last one's commit.
  const std::uint64_t first_nonce = must(c.next_nonce(user2.address()), "next nonce");
  std::vector<api::SubmitResponse> pipelined;
  for (int i = 0; i < 3; ++i) {
    pipelined.push_back(must(c.send(user2, transfer_to(user1, 10 + i, "pipelined " + std::to_string(i)), false),
                             "pipelined send " + std::to_string(i)));
  }
  for (const auto& r : pipelined) {
    const api::TransactionInfo info = must(c.wait_for_commit(r.tx_hash(), 30s), "pipelined commit");
    if (info.receipt().status() != RECEIPT_OK) fail("pipelined commit", "receipt " + info.receipt().error());
    if (info.body().nonce() < first_nonce || info.body().nonce() > first_nonce + 2) fail("pipelined", "nonce out of order");
    remember(r);
  }
  if (must(c.next_nonce(user2.address()), "next nonce") != first_nonce + 3) fail("pipelined", "next nonce did not move by 3");
  log("3 pipelined transfers committed with nonces " + std::to_string(first_nonce) + ".." +
      std::to_string(first_nonce + 2));

  // 3. Idempotency: the same signed bytes again.
  const SignedTransaction once = must(c.build(user2, transfer_to(user1, 77, "once")), "build");
  const api::SubmitResponse committed = must(c.submit(once, true, 30s), "submit and wait");
  if (committed.status() != api::TX_COMMITTED) fail("submit and wait", "not committed");
  remember(committed);
  client::Reply<api::SubmitResponse> again = c.submit(once, false);
  if (again || again.error().code != grpc::StatusCode::ALREADY_EXISTS || !again.error().committed ||
      again.error().committed->height() != committed.height()) {
    fail("resubmission", again ? "accepted a second time" : again.error().message);
  }
  log("resubmitted transaction answered ALREADY_EXISTS at height " + std::to_string(committed.height()));

  // 4. A batch of 20.
  std::vector<SignedTransaction> batch;
  std::uint64_t nonce = must(c.next_nonce(user2.address()), "next nonce");
  const std::string chain_id = must(c.chain_id(), "chain id");
  for (int i = 0; i < 20; ++i) {
    TransactionBody body;
    body.set_chain_id(chain_id);
    body.set_sender(user2.address());
    body.set_nonce(nonce++);
    transfer_to(user1, 100 + i, "batch " + std::to_string(i))(body);
    batch.push_back(tx::sign(body, user2));
  }
  const std::vector<api::SubmitResult> results = must(c.submit_many(batch, 8), "submit_many");
  if (results.size() != batch.size()) fail("submit_many", "answers for " + std::to_string(results.size()));
  for (const auto& r : results) {
    if (r.code() != 0) fail("submit_many", "refused: " + r.message());
    expected.insert(r.tx_hash());
  }
  must(c.wait_for_commit(results.back().tx_hash(), 30s), "batch commit");
  log("20 transfers in batches of 8 admitted and committed");

  // 5. Events across a killed node.
  const api::EventFilter filter = transfers_naming(user1);
  api::EventCursor from;
  from.set_height(1);
  client::Client reader(client::Options(nodes, 5s, 30s));
  client::EventStream events = reader.events(filter, from);
  std::atomic<bool> finished{false};
  std::thread watchdog([&] {
    for (int i = 0; i < 900 && !finished; ++i) std::this_thread::sleep_for(100ms);
    if (!finished) events.close();  // next() then answers CANCELLED and the step fails
  });

  std::map<std::string, int> seen;
  Position last{0, 0};
  bool killed = false;
  auto read_until_all_seen = [&](const std::string& step) {
    while (true) {
      bool all = true;
      for (const auto& h : expected) all = all && seen.count(h);
      if (all) return;
      api::EventBatch b = must(events.next(), step);
      for (const api::EventRecord& e : b.events()) {
        const Position at{e.position().height(), e.position().index()};
        if (at <= last) fail(step, "event at " + std::to_string(at.first) + "/" + std::to_string(at.second) + " out of order");
        last = at;
        if (expected.count(e.tx_hash())) ++seen[e.tx_hash()];
      }
      if (!killed && !seen.empty()) {
        // Kill the node the stream reads from, as soon as it has served something.
        const std::string addr = reader.current_address();
        const int index = (std::stoi(addr.substr(addr.rfind(':') + 1)) - base_port) / 10;
        const std::string pid_text = read_file(dir + "/node" + std::to_string(index) + "/sharechaind.pid");
        if (pid_text.empty() || ::kill(std::stoi(pid_text), SIGKILL) != 0) fail(step, "cannot kill node" + std::to_string(index));
        killed = true;
        log("killed node" + std::to_string(index) + " (" + addr + ") mid-stream at cursor " +
            std::to_string(events.cursor().height()) + "/" + std::to_string(events.cursor().index()));
        // Transfers sent after the kill, through a client that may still be pointed at it.
        for (int i = 0; i < 5; ++i) {
          remember(must(c.send(user2, transfer_to(user1, 500 + i, "after the kill " + std::to_string(i)), true, 30s),
                        "send after the kill"));
        }
        log("5 transfers committed after the kill through " + c.current_address());
      }
    }
  };
  read_until_all_seen("event stream");
  finished = true;
  watchdog.join();
  if (!killed) fail("event stream", "no node was killed");
  for (const auto& [hash, n] : seen) {
    if (n != 1) fail("event stream", "transfer " + crypto::to_hex(hash) + " seen " + std::to_string(n) + " times");
  }
  log("event stream: " + std::to_string(expected.size()) + " transfers, each once, in order, across the kill");
  log("ok");
  return 0;
}
