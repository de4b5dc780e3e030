#include "tools/chaos/ledger.hpp"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "proto/transaction.hpp"
#include "sharechain/api.grpc.pb.h"
#include "tools/chaos/record.hpp"
#include "tools/common/client.hpp"
#include "tools/common/files.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/nonce_floor.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/net/layout.hpp"

namespace sharechain::chaos {
namespace {

using Clock = std::chrono::steady_clock;
using client::Node;

std::atomic<bool> g_stop{false};

void on_stop_signal(int) { g_stop.store(true); }

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

struct Sender {
  std::string name;
  crypto::PrivateKey key;
};

// Appends records, one flushed line each, so a run that is cut short leaves whole lines.
class LedgerWriter {
 public:
  explicit LedgerWriter(std::FILE* f) : f_(f) {}
  ~LedgerWriter() { std::fclose(f_); }
  void write(const LedgerRecord& r) {
    const std::string line = to_json(r).dump() + "\n";
    std::lock_guard lock(mu_);
    std::fwrite(line.data(), 1, line.size(), f_);
    std::fflush(f_);
    ++by_outcome_[r.outcome];
  }
  std::map<std::string, std::uint64_t> counts() {
    std::lock_guard lock(mu_);
    return by_outcome_;
  }

 private:
  std::FILE* f_;
  std::mutex mu_;
  std::map<std::string, std::uint64_t> by_outcome_;
};

// The connections of one thread, one per node. A connection that failed is replaced by a fresh
// one: gRPC backs off reconnecting for up to two minutes, far longer than a fault lasts.
class Connections {
 public:
  Connections(const std::vector<net::NodeLayout>& nodes, std::chrono::milliseconds timeout)
      : nodes_(nodes), timeout_(timeout), clients_(nodes.size()) {}
  Node& at(std::size_t i) {
    if (!clients_[i]) {
      clients_[i] = std::make_unique<Node>(nodes_[i].api_address, timeout_,
                                           Node::Connection::kPrivate);
    }
    return *clients_[i];
  }
  void reset(std::size_t i) { clients_[i].reset(); }
  std::size_t size() const { return nodes_.size(); }

 private:
  const std::vector<net::NodeLayout>& nodes_;
  std::chrono::milliseconds timeout_;
  std::vector<std::unique_ptr<Node>> clients_;
};

constexpr std::chrono::milliseconds kCallTimeout{5000};

// Sends one transfer through node `node` and fills in everything `r` records about its fate.
// `r` arrives with the command's identity (cmd, kind, sender, to, amount, memo). `floor` is the
// sender's memory of its last commit, as a wallet keeps it; the call raises it.
void send_command(Connections& conns, std::size_t node, const std::string& chain_id,
                  const crypto::PrivateKey& key, std::chrono::milliseconds wait,
                  std::optional<tools::NonceFloor>& floor, LedgerRecord& r) {
  r.node = static_cast<std::uint32_t>(node);
  r.from = key.address();
  r.sent_ms = wall_ms();
  const auto started = Clock::now();
  auto finish = [&](std::string_view outcome, std::string error) {
    r.outcome = std::string(outcome);
    r.error = std::move(error);
    r.latency_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  };
  Node& client = conns.at(node);
  // The nonce as the wallet gets it: the node's view of the sender's next one, unless the node
  // is behind the sender's last commit.
  tools::Outcome<std::optional<ledger::Account>> account = client.account(key.address());
  if (!account) {
    const bool unreachable = account.failure().exit_code == tools::kExitUnreachable;
    if (unreachable) conns.reset(node);
    finish(unreachable ? kUnreachable : kRefused,
           "reading the nonce: " + account.failure().message);
    return;
  }
  const tools::NonceChoice choice =
      tools::choose_nonce(*account ? (*account)->nonce() : 0, floor, [&] {
        return tools::read_node_view(client, key.address(), tools::NonceCount::kCommitted);
      });
  if (choice.source == tools::NonceSource::kStaleFloor) {
    // Within one run the chain never starts again: a node past the commit without its nonce
    // would contradict the commit; sign on the floor and let the checks find out.
    r.nonce = floor->next_nonce;
    r.nonce_from = "floor";
  } else {
    r.nonce = choice.nonce;
    r.nonce_from = choice.source == tools::NonceSource::kFloor ? "floor" : "node";
  }

  TransactionBody body;
  body.set_chain_id(chain_id);
  body.set_sender(key.address());
  body.set_nonce(r.nonce);
  ledger::Transfer* t = body.mutable_ledger()->mutable_transfer();
  t->set_to(r.to);
  t->set_amount(r.amount);
  t->set_memo(r.memo);
  const SignedTransaction tx = tx::sign(body, key);
  r.tx_hash = crypto::hash_bytes(tx::hash_of(tx));

  api::SubmitRequest request;
  *request.mutable_transaction() = tx;
  request.set_wait_for_commit(true);
  request.set_wait_timeout_ms(static_cast<std::uint32_t>(wait.count()));
  auto ctx = client.context(wait + kCallTimeout);
  api::SubmitResponse response;
  const grpc::Status st = client.stub().SubmitTransaction(ctx.get(), request, &response);
  if (!st.ok()) {
    std::string message = st.error_message();
    switch (st.error_code()) {
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        finish(kTimeout, message);
        return;
      case grpc::StatusCode::UNAVAILABLE:
        conns.reset(node);
        finish(kUnreachable, message);
        return;
      default:
        finish(kRefused,
               "gRPC code " + std::to_string(static_cast<int>(st.error_code())) + ": " + message);
        return;
    }
  }
  r.reply_hash = response.tx_hash();
  if (response.status() != api::TX_COMMITTED) {
    finish(kTimeout, "answered without the commit");
    return;
  }
  r.height = response.height();
  if (!floor || floor->next_nonce <= r.nonce) floor = tools::NonceFloor{r.nonce + 1, r.height};
  if (response.receipt().status() != RECEIPT_OK) {
    finish(kFailed, response.receipt().error());
    return;
  }
  finish(kAcked, "");
}

class Ledger {
 public:
  Ledger(const LedgerOptions& options, std::vector<net::NodeLayout> nodes, std::string chain_id,
         LedgerWriter& writer)
      : options_(options),
        nodes_(std::move(nodes)),
        chain_id_(std::move(chain_id)),
        writer_(writer) {}

  // Funding: the funder pays each sender, through node 0 first and the others after, until
  // each transfer is acknowledged or `limit` passes.
  bool fund(const Sender& funder, const std::vector<Sender>& senders, std::chrono::seconds limit,
            std::ostream& err) {
    Connections conns(nodes_, kCallTimeout);
    const auto deadline = Clock::now() + limit;
    std::size_t node = 0;
    std::optional<tools::NonceFloor> floor;
    for (const Sender& s : senders) {
      for (;;) {
        LedgerRecord r = command("fund", funder.name, s.key.address(), options_.fund,
                                 "chaos seed " + std::to_string(options_.seed) + " fund " + s.name);
        send_command(conns, node, chain_id_, funder.key, options_.wait_timeout, floor, r);
        writer_.write(r);
        if (r.acked()) break;
        if (Clock::now() >= deadline || g_stop.load()) {
          err << "ledger: could not fund " << s.name << " from " << funder.name << ": " << r.error
              << "\n";
          return false;
        }
        node = (node + 1) % nodes_.size();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
    }
    return true;
  }

  void run_sender(std::size_t index, const std::vector<Sender>& senders, Clock::time_point end) {
    const Sender& me = senders[index];
    const std::string& to = senders[(index + 1) % senders.size()].key.address();
    std::mt19937_64 rng(options_.seed * 1000 + index);
    Connections conns(nodes_, kCallTimeout);
    std::optional<LedgerRecord> previous;
    std::optional<tools::NonceFloor> floor;
    while (!g_stop.load() && Clock::now() < end) {
      const bool repeat = previous && rng() % 100 < options_.repeat_percent;
      LedgerRecord r;
      if (repeat) {
        r = command("repeat", me.name, previous->to, previous->amount, previous->memo);
        r.repeat_of = previous->repeat_of != 0 ? previous->repeat_of : previous->cmd;
      } else {
        r = command("pay", me.name, to, 1 + rng() % 999, "");
        r.memo = "chaos seed " + std::to_string(options_.seed) + " cmd " + std::to_string(r.cmd);
      }
      send_command(conns, rng() % nodes_.size(), chain_id_, me.key, options_.wait_timeout, floor,
                   r);
      writer_.write(r);
      previous = r;
      // Nothing answers while every node is down; do not spin through commands meanwhile.
      const bool answered = r.outcome != kUnreachable;
      std::this_thread::sleep_for(
          answered ? options_.pause : std::max(options_.pause, std::chrono::milliseconds(500)));
    }
  }

 private:
  LedgerRecord command(std::string kind, std::string sender, std::string to, std::uint64_t amount,
                       std::string memo) {
    LedgerRecord r;
    r.cmd = next_cmd_++;
    r.kind = std::move(kind);
    r.sender = std::move(sender);
    r.to = std::move(to);
    r.amount = amount;
    r.memo = std::move(memo);
    return r;
  }

  const LedgerOptions& options_;
  std::vector<net::NodeLayout> nodes_;
  std::string chain_id_;
  LedgerWriter& writer_;
  std::atomic<std::uint64_t> next_cmd_{1};
};

tools::Outcome<crypto::PrivateKey> sender_key(tools::Keystore& keystore, const std::string& name,
                                              const std::string& passphrase) {
  Result<tools::KeyInfo> info = keystore.info(name);
  if (!info && info.status().code() == Code::kNotFound) {
    tools::KeyOptions light;
    light.scrypt_n = tools::kLightScryptN;  // the cluster keystore's own cost
    Result<tools::KeyInfo> made = keystore.create(name, passphrase, light);
    if (!made) return tools::Failure::from_local(made.status());
  } else if (!info) {
    return tools::Failure::from_local(info.status());
  }
  return tools::from_local(keystore.load(name, passphrase));
}

}  // namespace

int run_ledger(const LedgerOptions& options, std::ostream& err) {
  if (options.senders < 2) {
    err << "ledger: --senders must be at least 2 (each pays the next)\n";
    return tools::kExitUsage;
  }
  const net::ClusterPaths paths(options.dir);
  Result<std::vector<net::NodeLayout>> nodes = net::discover_nodes(paths);
  if (!nodes) {
    err << "ledger: " << nodes.status().message() << "\n";
    return tools::kExitUsage;
  }
  Result<std::string> passphrase = tools::read_file(paths.passphrase());
  if (!passphrase) {
    err << "ledger: " << passphrase.status().message() << "\n";
    return tools::kExitUsage;
  }
  const std::string secret = tools::strip_line_break(*passphrase);
  tools::Keystore keystore(paths.keystore());
  std::vector<Sender> senders;
  for (std::uint32_t i = 1; i <= options.senders; ++i) {
    const std::string name = "chaos" + std::to_string(i);
    tools::Outcome<crypto::PrivateKey> key = sender_key(keystore, name, secret);
    if (!key) {
      err << "ledger: key " << name << ": " << key.failure().message << "\n";
      return tools::kExitUsage;
    }
    senders.push_back({name, *key});
  }
  Result<crypto::PrivateKey> funder_key = keystore.load(options.funder, secret);
  if (!funder_key) {
    err << "ledger: funder " << options.funder << ": " << funder_key.status().message() << "\n";
    return tools::kExitUsage;
  }

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  // The chain id from whichever node answers first.
  std::string chain_id;
  const auto id_deadline = Clock::now() + std::chrono::seconds(60);
  while (chain_id.empty()) {
    for (const net::NodeLayout& n : *nodes) {
      Node c(n.api_address, std::chrono::seconds(2), Node::Connection::kPrivate);
      if (auto s = c.status()) {
        chain_id = s->chain_id();
        break;
      }
    }
    if (chain_id.empty()) {
      if (Clock::now() >= id_deadline || g_stop.load()) {
        err << "ledger: no node of " << paths.dir.string() << " answers\n";
        return tools::kExitRefused;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  }

  std::FILE* file = std::fopen(options.out.c_str(), "w");
  if (file == nullptr) {
    err << "ledger: cannot write " << options.out.string() << "\n";
    return tools::kExitUsage;
  }
  LedgerWriter writer(file);
  Ledger ledger(options, *nodes, chain_id, writer);
  if (!ledger.fund({options.funder, *funder_key}, senders, std::chrono::seconds(120), err))
    return tools::kExitRefused;
  err << "ledger: funded " << senders.size() << " senders; sending through " << nodes->size()
      << " nodes\n";

  const auto end = options.duration_s > 0
                       ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(options.duration_s))
                       : Clock::time_point::max();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < senders.size(); ++i) {
    threads.emplace_back([&, i] { ledger.run_sender(i, senders, end); });
  }
  for (auto& t : threads) t.join();

  std::uint64_t total = 0;
  std::string detail;
  for (const auto& [outcome, count] : writer.counts()) {
    total += count;
    detail += (detail.empty() ? "" : ", ") + std::to_string(count) + " " + outcome;
  }
  err << "ledger: " << total << " commands (" << detail << ") in " << options.out.string() << "\n";
  return tools::kExitOk;
}

}  // namespace sharechain::chaos
