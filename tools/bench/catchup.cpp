#include "tools/bench/catchup.hpp"
#include "tools/bench/transfer.hpp"

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proto/transaction.hpp"
#include "tools/common/client.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/net/commands.hpp"
#include "tools/net/layout.hpp"
#include "tools/net/process.hpp"

namespace sharechain::bench {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message, int code = 1) {
  std::cerr << "sharechain-bench catchup: " << message << '\n';
  std::exit(code);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}


std::optional<api::NodeStatus> try_status(const std::string& address) {
  client::Node client(address, std::chrono::seconds(1), client::Node::Connection::kPrivate);
  auto st = client.status();
  if (!st) return std::nullopt;
  return *st;
}

api::NodeStatus status_or_die(client::Node& client) {
  auto st = client.status();
  if (!st) die(st.error().message, 3);
  return *st;
}

std::uint64_t nonce_of(client::Node& client, const std::string& address20) {
  auto acct = client.account(address20);
  if (!acct) die("reading account " + crypto::to_hex(address20) + ": " + acct.error().message, 3);
  return *acct ? (*acct)->nonce() : 0;
}

// A height every node in `clients` has committed: once they agree for a second (an idle
// chain), or after five seconds the lowest of them (a chain under other load never stops).
std::uint64_t common_height(std::vector<client::Node*>& clients) {
  std::uint64_t last = 0, lo = 0;
  auto stable_since = Clock::now();
  const auto started = Clock::now();
  for (;;) {
    lo = UINT64_MAX;
    std::uint64_t hi = 0;
    for (auto* c : clients) {
      const std::uint64_t h = status_or_die(*c).height();
      lo = std::min(lo, h);
      hi = std::max(hi, h);
    }
    if (lo != hi || hi != last) {
      last = hi;
      stable_since = Clock::now();
    } else if (seconds_since(stable_since) >= 1.0) {
      return last;
    }
    if (seconds_since(started) >= 5.0) return lo;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

struct DriveOptions {
  std::uint64_t blocks = 0;
  bool sparse = false;
  std::size_t accounts = 64;
  std::size_t inflight = 32;
  std::size_t workers = 4;
};

// Sparse mode: one transfer per block, each submitted once the previous one committed, so the
// chain grows by exactly one block per transfer. The engine proposes no empty blocks (a fresh
// proposal without transactions is refused by consensus/block_rules.cpp), so this is the closest
// a running cluster comes to measuring the per-block cost alone.
void drive_sparse(client::Node& client, const std::string& chain_id, const crypto::PrivateKey& funder,
                  const std::string& to, std::uint64_t target, bool quiet) {
  std::uint64_t nonce = nonce_of(client, funder.address());
  std::uint64_t height = status_or_die(client).height();
  while (height < target) {
    auto r = client.submit(transfer(chain_id, funder, nonce, to, 1), true, std::chrono::seconds(10));
    if (!r) die("sparse transfer with nonce " + std::to_string(nonce) + ": " + r.error().message);
    ++nonce;
    height = status_or_die(client).height();
    if (!quiet && nonce % 200 == 0) {
      std::fprintf(stderr, "  height %llu of %llu\n", static_cast<unsigned long long>(height),
                   static_cast<unsigned long long>(target));
    }
  }
}

// Transfers from `accounts` throw-away accounts, as fast as the nodes accept them with at most
// `inflight` uncommitted per account, until the chain reaches `target`.
void drive_transfers(std::vector<client::Node*>& clients, const std::string& chain_id,
                     const crypto::PrivateKey& funder, const DriveOptions& o, std::uint64_t target,
                     bool quiet) {
  std::vector<crypto::PrivateKey> keys;
  for (std::size_t i = 0; i < o.accounts; ++i) keys.push_back(crypto::PrivateKey::generate());
  // Every transfer moves one unit; 4,000 tx/s for ten minutes is far more than any run needs
  // and still a small part of a funded cluster account.
  const std::uint64_t grant = 200'000;
  client::Node& first = *clients[0];
  std::uint64_t funder_nonce = nonce_of(first, funder.address());
  for (std::size_t i = 0; i < o.accounts; ++i) {
    auto r = first.submit(transfer(chain_id, funder, funder_nonce++, keys[i].address(), grant),
                          i + 1 == o.accounts, std::chrono::seconds(30));
    if (!r) die("funding account " + std::to_string(i) + ": " + r.error().message);
  }
  if (!quiet) std::fprintf(stderr, "funded %zu accounts\n", o.accounts);

  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < keys.size(); ++i) index[keys[i].address()] = i;
  std::vector<std::atomic<std::uint64_t>> committed(o.accounts);
  std::atomic<bool> reached{false};
  std::atomic<std::uint64_t> seen_height{status_or_die(first).height()};

  // Follows the first node's blocks to count each account's commits (the in-flight bound) and
  // to see the target height arrive.
  std::atomic<bool> watch_stop{false};
  std::mutex ctx_mu;
  std::shared_ptr<grpc::ClientContext> watch_ctx;
  std::thread watcher([&] {
    while (!watch_stop.load()) {
      auto ctx = std::make_shared<grpc::ClientContext>();
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      {
        std::lock_guard lock(ctx_mu);
        if (watch_stop.load()) break;
        watch_ctx = ctx;
      }
      api::SubscribeRequest sub;
      sub.set_from_height(seen_height.load() + 1);
      auto reader = first.stub().SubscribeBlocks(ctx.get(), sub);
      api::BlockInfo info;
      while (reader->Read(&info)) {
        if (info.height() <= seen_height.load()) continue;
        seen_height = info.height();
        for (const std::string& raw : info.block().transactions()) {
          SignedTransaction t;
          TransactionBody body;
          if (!t.ParseFromString(raw) || !body.ParseFromString(t.body())) continue;
          auto it = index.find(body.sender());
          if (it != index.end()) committed[it->second]++;
        }
        if (info.height() >= target) reached = true;
      }
      reader->Finish();
    }
  });

  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < o.workers; ++w) {
    pool.emplace_back([&, w] {
      std::vector<std::uint64_t> next(o.accounts, 0);
      while (!reached.load()) {
        bool progressed = false;
        for (std::size_t a = w; a < o.accounts && !reached.load(); a += o.workers) {
          const std::uint64_t done = committed[a].load();
          if (next[a] > done && next[a] - done >= o.inflight) continue;
          api::SubmitRequest req;
          *req.mutable_transaction() = transfer(chain_id, keys[a], next[a], keys[(a + 1) % o.accounts].address(), 1);
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
          api::SubmitResponse resp;
          const grpc::Status s = clients[a % clients.size()]->stub().SubmitTransaction(&ctx, req, &resp);
          if (s.ok()) {
            ++next[a];
            progressed = true;
            continue;
          }
          const std::string& m = s.error_message();
          if (m.find("already used") != std::string::npos || m.find("already committed") != std::string::npos) {
            ++next[a];
          }
          static const std::string kGap = "leaves a gap: the next nonce is ";
          if (const auto at = m.find(kGap); at != std::string::npos) {
            next[a] = std::min<std::uint64_t>(next[a], std::strtoull(m.c_str() + at + kGap.size(), nullptr, 10));
          }
        }
        if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  const auto started = Clock::now();
  while (!reached.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    if (!quiet) {
      std::fprintf(stderr, "  height %llu of %llu (%.0f s)\n", static_cast<unsigned long long>(seen_height.load()),
                   static_cast<unsigned long long>(target), seconds_since(started));
    }
  }
  for (auto& t : pool) t.join();
  {
    std::lock_guard lock(ctx_mu);
    watch_stop = true;
    if (watch_ctx) watch_ctx->TryCancel();
  }
  watcher.join();
}

// Transactions in blocks (from, to], read from a running node.
std::uint64_t transactions_between(client::Node& client, std::uint64_t from, std::uint64_t to) {
  std::uint64_t n = 0;
  for (std::uint64_t h = from + 1; h <= to; ++h) {
    auto b = client.block_at(h);
    if (!b) die("reading block " + std::to_string(h) + ": " + b.error().message, 3);
    n += static_cast<std::uint64_t>(b->block().transactions_size());
  }
  return n;
}

struct TransferLine {
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::uint64_t blocks = 0;
  double seconds = 0;
};

struct LogFindings {
  std::vector<TransferLine> transfers;
  std::uint64_t snapshots_restored = 0;
};

// What the restarted node wrote about state transfer after `offset` in its log.
LogFindings read_log(const std::filesystem::path& log, std::uintmax_t offset) {
  LogFindings out;
  std::ifstream in(log);
  in.seekg(static_cast<std::streamoff>(offset));
  static const std::regex kLine(R"(state transfer: (\d+) -> (\d+): (\d+) blocks executed in ([0-9.]+) s)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kLine)) {
      out.transfers.push_back(TransferLine{std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3]), std::stod(m[4])});
    } else if (line.find("restored the state snapshot at height") != std::string::npos) {
      ++out.snapshots_restored;
    }
  }
  return out;
}

}  // namespace

int run_catchup(int argc, char** argv) {
  CLI::App app{"sharechain-bench catchup — stop a backup validator, commit N blocks without it, restart it and "
               "time its catch-up",
               "sharechain-bench catchup"};
  std::filesystem::path dir;
  std::string bin, funder_name = "user1";
  DriveOptions drive;
  int lag_index = -1;
  unsigned timeout_s = 600;
  bool json = false;
  app.add_option("--dir", dir, "cluster folder made by `sharechain-net init` and running")->required();
  app.add_option("--blocks", drive.blocks, "blocks to commit while the node is down")
      ->required()
      ->check(CLI::Range(1, 10'000'000));
  app.add_flag("--sparse", drive.sparse,
               "one transfer per block (the engine proposes no empty blocks; this measures the per-block cost)");
  app.add_option("--node", lag_index, "index of the node to stop (default: the highest-numbered backup)");
  app.add_option("--funder", funder_name, "keystore key that pays for the transfers");
  app.add_option("--accounts", drive.accounts, "throw-away sending accounts")->check(CLI::Range(1, 10000));
  app.add_option("--inflight", drive.inflight, "uncommitted transfers per account at most")->check(CLI::Range(1, 1000));
  app.add_option("--timeout", timeout_s, "seconds to wait for the catch-up")->check(CLI::Range(1, 86400));
  app.add_option("--bin", bin, "sharechaind to restart the node with (default: as `sharechain-net start`)");
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);
  const bool quiet = json;

  const net::ClusterPaths paths(dir);
  auto layouts = net::discover_nodes(paths);
  if (!layouts) die(layouts.status().message(), 2);
  if (layouts->size() < 4) die("a catch-up run needs at least 4 validators (3 keep committing while one is down)", 2);
  auto source = tools::passphrase_source_from_environment(paths.passphrase().string());
  auto passphrase = tools::read_passphrase(source, "passphrase: ", false, std::cerr);
  if (!passphrase) die("no passphrase: " + passphrase.failure().message, 2);
  auto funder = tools::Keystore(paths.keystore()).load(funder_name, *passphrase);
  if (!funder) die(funder.status().message(), 2);

  std::vector<std::unique_ptr<client::Node>> owned;
  for (const auto& n : *layouts) owned.push_back(std::make_unique<client::Node>(n.api_address, std::chrono::seconds(5)));
  const api::NodeStatus first = status_or_die(*owned[0]);
  const std::string chain_id = first.chain_id();
  if (lag_index < 0) {
    for (int i = static_cast<int>(layouts->size()) - 1; i >= 0; --i) {
      if (static_cast<std::uint32_t>(i) != first.primary()) {
        lag_index = i;
        break;
      }
    }
  }
  if (lag_index < 0 || static_cast<std::size_t>(lag_index) >= layouts->size()) die("--node is not a node of the cluster", 2);
  if (static_cast<std::uint32_t>(lag_index) == first.primary()) die("node " + std::to_string(lag_index) + " is the primary; pick a backup", 2);
  const net::NodeLayout& lag = (*layouts)[static_cast<std::size_t>(lag_index)];
  std::vector<client::Node*> others;
  for (std::size_t i = 0; i < owned.size(); ++i) {
    if (static_cast<int>(i) != lag_index) others.push_back(owned[i].get());
  }

  // Stop the node as `sharechain-net stop` would.
  const auto pid = net::running_pid(lag);
  if (!pid) die(lag.name + " is not running (no live pid in " + lag.pid_file().string() + ")", 2);
  const std::uint64_t lag_height = status_or_die(*owned[static_cast<std::size_t>(lag_index)]).height();
  auto stopped = net::stop_process(*pid, std::chrono::seconds(10));
  if (!stopped) die("stopping " + lag.name + ": " + stopped.status().message());
  std::error_code ec;
  std::filesystem::remove(lag.pid_file(), ec);
  const std::uint64_t down_at = std::max(lag_height, common_height(others));
  if (!quiet) {
    std::fprintf(stderr, "stopped %s at height %llu; committing %llu %s blocks without it...\n", lag.name.c_str(),
                 static_cast<unsigned long long>(down_at), static_cast<unsigned long long>(drive.blocks),
                 drive.sparse ? "one-transfer" : "transfer");
  }

  const auto drive_started = Clock::now();
  const std::uint64_t want = status_or_die(*others[0]).height() + drive.blocks;
  if (drive.sparse) {
    drive_sparse(*others[0], chain_id, *funder, crypto::PrivateKey::generate().address(), want, quiet);
  } else {
    drive_transfers(others, chain_id, *funder, drive, want, quiet);
  }
  const std::uint64_t target = common_height(others);
  const double drive_s = seconds_since(drive_started);
  const std::uint64_t txs = transactions_between(*others[0], lag_height, target);
  if (!quiet) {
    std::fprintf(stderr, "the others are at height %llu (%.1f s); %llu transactions since %s stopped; restarting it...\n",
                 static_cast<unsigned long long>(target), drive_s, static_cast<unsigned long long>(txs), lag.name.c_str());
  }

  // Restart exactly as `sharechain-net start` does: it starts the nodes that are not running.
  std::uintmax_t log_offset = std::filesystem::exists(lag.log_file()) ? std::filesystem::file_size(lag.log_file()) : 0;
  std::ostringstream start_out, start_err;
  const std::string load_before = loadavg();
  const auto restarted = Clock::now();
  net::StartOptions start;
  start.dir = dir;
  start.bin = bin;
  if (int rc = net::run_start(net::CommandContext{start_out, start_err, false}, start); rc != 0) {
    die("restarting " + lag.name + ": " + start_err.str());
  }
  std::uint64_t reached = 0;
  std::optional<api::NodeStatus> last;
  while (seconds_since(restarted) < timeout_s) {
    last = try_status(lag.api_address);
    if (last && last->height() >= target) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double wall_s = seconds_since(restarted);
  reached = last ? last->height() : 0;
  if (reached < target) {
    die(lag.name + " reached height " + std::to_string(reached) + " of " + std::to_string(target) + " within " +
        std::to_string(timeout_s) + " s");
  }
  // The rate line is written once the fetch thread finishes; give it a moment.
  LogFindings found;
  for (int i = 0; i < 50; ++i) {
    found = read_log(lag.log_file(), log_offset);
    std::uint64_t top = 0;
    for (const auto& t : found.transfers) top = std::max(top, t.to);
    if (top >= target) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // The restarted node must hold the very block and state the others hold at the target.
  client::Node lag_client(lag.api_address, std::chrono::seconds(5));
  auto ours = lag_client.block_at(target);
  auto theirs = others[0]->block_at(target);
  const bool same = ours && theirs && ours->hash() == theirs->hash() && ours->state_root() == theirs->state_root();

  std::uint64_t st_blocks = 0, st_txs = 0;
  double st_seconds = 0;
  for (const auto& t : found.transfers) {
    st_blocks += t.blocks;
    st_seconds += t.seconds;
    if (t.blocks > 0) st_txs += transactions_between(*others[0], t.to - t.blocks, t.to);
  }
  const bool from_log = st_blocks > 0 && st_seconds > 0;
  const double bps = from_log ? st_blocks / st_seconds : (target - lag_height) / wall_s;
  const double tps = from_log ? st_txs / st_seconds : txs / wall_s;

  nlohmann::json transfers = nlohmann::json::array();
  for (const auto& t : found.transfers) {
    transfers.push_back({{"from", t.from}, {"to", t.to}, {"blocks", t.blocks}, {"seconds", t.seconds}});
  }
  nlohmann::json out = {
      {"node", lag.name},
      {"mode", drive.sparse ? "sparse" : "transfers"},
      {"start_height", lag_height},
      {"target_height", target},
      {"blocks", target - lag_height},
      {"transactions", txs},
      {"drive_seconds", drive_s},
      {"wall_seconds", wall_s},
      {"wall_blocks_per_s", (target - lag_height) / wall_s},
      {"wall_tx_per_s", txs / wall_s},
      {"state_transfer", {{"blocks", st_blocks}, {"transactions", st_txs}, {"seconds", st_seconds}, {"runs", transfers}}},
      {"snapshots_restored", found.snapshots_restored},
      {"rate_source", from_log ? "state transfer log lines" : "restart to target height"},
      {"catchup_blocks_per_s", bps},
      {"catchup_tx_per_s", tps},
      {"same_block_and_state_root", same},
      {"loadavg_before_restart", load_before},
  };
  if (json) {
    std::cout << out.dump() << '\n';
  } else {
    std::printf("%s: %llu -> %llu (%llu blocks, %llu transactions)\n", lag.name.c_str(),
                static_cast<unsigned long long>(lag_height), static_cast<unsigned long long>(target),
                static_cast<unsigned long long>(target - lag_height), static_cast<unsigned long long>(txs));
    std::printf("state transfer: %llu blocks, %llu transactions in %.3f s; snapshots restored: %llu\n",
                static_cast<unsigned long long>(st_blocks), static_cast<unsigned long long>(st_txs), st_seconds,
                static_cast<unsigned long long>(found.snapshots_restored));
    std::printf("catch-up: %.0f blocks/s, %.0f tx/s (%s)\n", bps, tps, out["rate_source"].get<std::string>().c_str());
    std::printf("restart to target height: %.2f s (%.0f blocks/s)\n", wall_s, (target - lag_height) / wall_s);
    std::printf("same block and state root at %llu: %s; load average before restart: %s\n",
                static_cast<unsigned long long>(target), same ? "yes" : "NO", load_before.c_str());
  }
  return same ? 0 : 1;
}

}  // namespace sharechain::bench
