// sharechain-bench: a load generator. Signs transfers between throw-away accounts, submits them
// at a target rate (or as fast as the nodes accept) spread over the given nodes (each account
// always uses the same one), watches blocks commit (from the next node when one goes away), and
// prints committed tx/s and commit latency percentiles. It also measures this
// machine's BIP340 verification rate on all cores, since every validator verifies every
// transaction once: verifications per second / validators on this machine is the ceiling a
// local cluster could reach, and the achieved fraction of it compares across machines.
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>
#include <cstring>

#include "client/node.hpp"
#include "proto/transaction.hpp"
#include "sharechain/api.grpc.pb.h"
#include "tools/bench/catchup.hpp"
#include "tools/bench/proofs.hpp"
#include "tools/bench/state_tree.hpp"
#include "tools/bench/transfer.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/common/render.hpp"
#include "tools/bench/ordering.hpp"
#include "tools/bench/proc_stats.hpp"

using namespace sharechain;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void die(const std::string& message, int code = 1) {
  std::cerr << "sharechain-bench: " << message << '\n';
  std::exit(code);
}

// Verifications per second with every core busy, over about `seconds`.
double measure_verify_rate(double seconds) {
  const auto key = crypto::PrivateKey::generate();
  std::vector<std::pair<crypto::Hash, std::string>> samples;
  for (int i = 0; i < 64; ++i) {
    const auto msg = crypto::sha256("bench-" + std::to_string(i));
    samples.emplace_back(msg, key.sign(msg));
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::uint64_t> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (const auto& [msg, sig] : samples) {
          if (!crypto::verify(key.public_key(), msg, sig)) die("verification self-test failed");
          ++n;
        }
      }
      total += n;
    });
  }
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  return static_cast<double>(total) / std::chrono::duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const std::size_t i = std::min(sorted.size() - 1, static_cast<std::size_t>(p * (sorted.size() - 1) + 0.5));
  return sorted[i];
}

api::NodeStatus status_of(client::Node& node) {
  client::Reply<api::NodeStatus> st = node.status();
  if (!st) die(st.error().message, 3);
  return *st;
}

std::uint64_t nonce_of(client::Node& node, const std::string& address20) {
  client::Reply<std::optional<ledger::Account>> acct = node.account(address20);
  return acct && *acct ? (*acct)->nonce() : 0;
}

using bench::transfer;

// Groups refusals by status code and the reason with its addresses, hashes and numbers
// blanked out (they would make every message unique).
std::string refusal_kind(const grpc::Status& s) {
  return std::to_string(static_cast<int>(s.error_code())) + " " + tools::normalise_reason(s.error_message());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "catchup") return sharechain::bench::run_catchup(argc - 1, argv + 1);
  if (argc > 1 && std::string(argv[1]) == "proofs") return sharechain::bench::run_proofs(argc - 1, argv + 1);
  if (argc > 1 && std::string(argv[1]) == "state-tree") return sharechain::bench::run_state_tree(argc - 1, argv + 1);
  if (bench::parse_mode(argc, argv) == "ordering") return bench::ordering_main(argc, argv);
  CLI::App app{"sharechain-bench — submit signed transfers at a target rate and measure commits"};
  std::vector<std::string> nodes{"127.0.0.1:26600"};
  std::string keystore_dir, passphrase_file, funder = "user1";
  std::size_t accounts = 64, batch = 500, inflight = 32;
  double rate = 0, duration = 20, verify_seconds = 2;
  std::uint32_t validators_on_host = 0;
  bool json = false;
  app.add_option("--node,--nodes", nodes, "client API addresses; accounts are spread over them")->delimiter(',');
  app.add_option("--keystore", keystore_dir, "keystore holding the funding key")->required();
  app.add_option("--passphrase-file", passphrase_file, "file with the keystore passphrase");
  app.add_option("--funder", funder, "key that funds the throw-away accounts");
  app.add_option("--accounts", accounts, "throw-away sending accounts")->check(CLI::Range(1, 100000));
  app.add_option("--rate", rate, "target submissions per second (0 = as fast as accepted)");
  app.add_option("--duration", duration, "seconds of load")->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "transactions per SubmitTransactions message at most (one stream per node)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--inflight", inflight, "uncommitted transactions per account at most")->check(CLI::Range(1, 1000));
  app.add_option("--validators-on-host", validators_on_host,
                 "validators sharing this machine's cores (default: the chain's validator count)");
  app.add_option("--verify-seconds", verify_seconds, "length of the verification-rate measurement");
  app.add_flag("--json", json, "print one JSON object");
  std::string mode;
  app.add_option("--mode", mode, "load (this mode, the default) or ordering (docs/benchmarks.md)");
  CLI11_PARSE(app, argc, argv);

  auto source = tools::passphrase_source_from_environment(passphrase_file);
  auto passphrase = tools::read_passphrase(source, "passphrase: ", false, std::cerr);
  if (!passphrase) die("no passphrase: give --passphrase-file or SHARECHAIN_PASSPHRASE", 2);
  tools::Keystore keystore(keystore_dir);
  auto funding = keystore.load(funder, *passphrase);
  if (!funding) die(funding.status().message(), 2);

  // A connection of its own per node (no back-off shared with other channels), through the
  // client library; the load itself goes on each connection's raw SubmitTransactions stream.
  std::vector<std::unique_ptr<client::Node>> conns;
  for (const auto& n : nodes) {
    conns.push_back(std::make_unique<client::Node>(n, std::chrono::seconds(5), client::Node::Connection::kPrivate));
  }
  const api::NodeStatus st = status_of(*conns[0]);
  const std::string chain_id = st.chain_id();
  if (validators_on_host == 0) validators_on_host = st.validators();

  if (!json) std::fprintf(stderr, "measuring BIP340 verification rate on %u cores...\n", std::thread::hardware_concurrency());
  const double verify_rate = measure_verify_rate(verify_seconds);
  const double ceiling = verify_rate / validators_on_host;

  const std::size_t per_account = static_cast<std::size_t>(
      std::max(1.0, (rate > 0 ? rate * duration : 4000.0 * duration) / static_cast<double>(accounts)) + 1);
  // Each transfer moves one unit, so an account needs per_account units.
  const std::uint64_t grant = per_account + 1;
  // Fund the throw-away accounts: one pipelined run of transfers from the funder.
  std::vector<crypto::PrivateKey> keys;
  for (std::size_t i = 0; i < accounts; ++i) keys.push_back(crypto::PrivateKey::generate());
  std::uint64_t funder_nonce = nonce_of(*conns[0], funding->address());
  for (std::size_t i = 0; i < accounts; ++i) {
    api::SubmitRequest req;
    *req.mutable_transaction() = transfer(chain_id, *funding, funder_nonce++, keys[i].address(), grant);
    req.set_wait_for_commit(i + 1 == accounts);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    api::SubmitResponse resp;
    auto s = conns[0]->stub().SubmitTransaction(&ctx, req, &resp);
    if (!s.ok()) die("funding account " + std::to_string(i) + " from '" + funder + "': " + s.error_message());
  }
  if (!json) std::fprintf(stderr, "funded %zu accounts; pre-signing transactions...\n", accounts);

  // Pre-sign so that client-side signing does not compete with the nodes during the run.
  std::vector<std::vector<SignedTransaction>> signed_txs(accounts);
  {
    std::vector<std::thread> signers;
    const unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned t = 0; t < n; ++t) {
      signers.emplace_back([&, t] {
        for (std::size_t a = t; a < accounts; a += n) {
          for (std::size_t k = 0; k < per_account; ++k) {
            signed_txs[a].push_back(transfer(chain_id, keys[a], k, keys[(a + 1) % accounts].address(), 1));
          }
        }
      });
    }
    for (auto& t : signers) t.join();
  }

  // Commit watcher: records when each transaction's block arrives.
  std::mutex mu;
  std::unordered_map<crypto::Hash, Clock::time_point, crypto::HashHasher> submitted_at;
  std::vector<double> latencies_ms;
  // Commit latency split at the block's proposal (its header's timestamp, the primary's wall
  // clock, on this machine): before it a transaction travels and waits for its block to be cut,
  // after it the block is agreed on, executed, stored and announced.
  std::vector<double> to_proposal_ms, after_proposal_ms;
  const auto steady_origin = Clock::now();
  const double wall_origin_ms =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto wall_ms = [&](Clock::time_point t) {
    return wall_origin_ms + std::chrono::duration<double, std::milli>(t - steady_origin).count();
  };
  std::vector<std::atomic<std::uint64_t>> committed_per_account(accounts);
  std::atomic<std::uint64_t> committed{0}, submitted{0}, refused{0};
  std::map<std::string, std::uint64_t> refusals;  // by status code and the message's first words
  Clock::time_point first_commit{}, last_commit{};
  std::uint64_t blocks = 0;
  std::unordered_map<std::string, std::size_t> account_index;
  for (std::size_t i = 0; i < accounts; ++i) account_index[keys[i].address()] = i;

  // The watcher follows one node's block stream and, when that node goes away or goes quiet (a
  // node killed, stopped or cut off under load), resumes from the next height on the next node,
  // so no commit goes uncounted and the in-flight limit never waits on a silent node. Each
  // stream ends after a few seconds and is resumed where it ended: that is how silence is seen.
  std::mutex watch_mu;
  std::shared_ptr<grpc::ClientContext> watch_ctx;
  std::atomic<bool> watch_stop{false};
  std::uint64_t next_height = status_of(*conns[0]).height() + 1;
  std::thread watcher([&] {
    std::size_t node = 0;
    while (!watch_stop.load()) {
      auto ctx = std::make_shared<grpc::ClientContext>();
      ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
      {
        std::lock_guard lock(watch_mu);
        if (watch_stop.load()) break;
        watch_ctx = ctx;
      }
      api::SubscribeRequest sub;
      sub.set_from_height(next_height);
      auto reader = conns[node]->stub().SubscribeBlocks(ctx.get(), sub);
      api::BlockInfo info;
      bool heard = false;
      while (reader->Read(&info)) {
        heard = true;
        if (info.height() < next_height) continue;
        next_height = info.height() + 1;
        const auto now = Clock::now();
        BlockHeader header;
        const bool timed = header.ParseFromString(info.block().header()) && header.timestamp_ms() != 0;
        const double proposed_ms = static_cast<double>(header.timestamp_ms());
        std::lock_guard lock(mu);
        ++blocks;
        for (int i = 0; i < info.receipts_size(); ++i) {
          auto h = crypto::hash_from_bytes(info.receipts(i).tx_hash());
          if (!h) continue;
          auto it = submitted_at.find(*h);
          if (it == submitted_at.end()) continue;
          latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
          if (timed) {
            to_proposal_ms.push_back(proposed_ms - wall_ms(it->second));
            after_proposal_ms.push_back(wall_ms(now) - proposed_ms);
          }
          submitted_at.erase(it);
          if (committed++ == 0) first_commit = now;
          last_commit = now;
          SignedTransaction t;
          if (t.ParseFromString(info.block().transactions(i))) {
            auto ai = account_index.find(crypto::address_of(t.public_key()));
            if (ai != account_index.end()) committed_per_account[ai->second]++;
          }
        }
      }
      reader->Finish();
      if (!heard) {
        node = (node + 1) % nodes.size();
        if (!watch_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  });

  if (!json) std::fprintf(stderr, "submitting for %.0f s at %s to %zu node(s)...\n", duration,
                          rate > 0 ? (std::to_string(static_cast<int>(rate)) + " tx/s").c_str() : "max rate",
                          nodes.size());
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  const std::vector<pid_t> daemons = bench::processes_named("sharechaind");
  const bench::ProcSample before = bench::sample(daemons);
  // Rate limiting: by `elapsed` seconds, rate × elapsed submissions may have been made in all.
  std::atomic<std::uint64_t> issued{0};
  auto claim = [&](std::uint64_t want) -> std::uint64_t {
    if (rate <= 0) return want;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto allowed = static_cast<std::uint64_t>(rate * elapsed);
    std::uint64_t had = issued.load();
    for (;;) {
      if (had >= allowed) return 0;
      const std::uint64_t take = std::min(want, allowed - had);
      if (issued.compare_exchange_weak(had, had + take)) return take;
    }
  };
  // Each account talks to one node, as a real client does (consecutive nonces sent to
  // different nodes would race the gossip between them and be refused as gaps), and moves to
  // the next node when its node cannot take transactions (down, or not synced). The thread of
  // the account's node owns its `next`; a move hands it over (release/acquire on node_of).
  std::vector<std::atomic<std::size_t>> node_of(accounts), next(accounts);
  for (std::size_t a = 0; a < accounts; ++a) node_of[a] = a % conns.size();
  // A refused transaction: count it and decide what the account sends next.
  auto on_refused = [&](std::size_t a, std::size_t k, grpc::StatusCode code, const std::string& message) {
    ++refused;
    {
      std::lock_guard lock(mu);
      submitted_at.erase(tx::hash_of(signed_txs[a][k]));
      ++refusals[refusal_kind(grpc::Status(code, message))];
    }
    if ((code == grpc::StatusCode::FAILED_PRECONDITION && message.find("already used") != std::string::npos) ||
        (code == grpc::StatusCode::ALREADY_EXISTS && message.find("already committed") != std::string::npos)) {
      return true;  // a retry of one that did get in
    }
    // Transactions pending on a node that was killed are gone: the node now wants an earlier
    // nonce, and resending from there (account k's nonces are 0, 1, ...) is the only way
    // forward; resending the same one would be refused for ever.
    static const std::string kGap = "leaves a gap: the next nonce is ";
    if (const auto at = message.find(kGap); code == grpc::StatusCode::FAILED_PRECONDITION && at != std::string::npos) {
      const std::size_t wanted = std::strtoull(message.c_str() + at + kGap.size(), nullptr, 10);
      if (wanted < next[a].load()) next[a] = wanted;
    }
    return false;
  };
  // One thread and one SubmitTransactions stream per node: each round sends every eligible
  // transaction of the node's accounts (at most --batch) in one message and reads the answer.
  std::vector<std::thread> pool;
  for (std::size_t node = 0; node < conns.size(); ++node) {
    pool.emplace_back([&, node] {
      std::unique_ptr<grpc::ClientContext> ctx;
      std::unique_ptr<grpc::ClientReaderWriter<api::SubmitBatchRequest, api::SubmitBatchResponse>> stream;
      std::size_t offset = 0;
      while (Clock::now() < end) {
        if (!stream) {
          ctx = std::make_unique<grpc::ClientContext>();
          stream = conns[node]->stub().SubmitTransactions(ctx.get());
        }
        api::SubmitBatchRequest req;
        std::vector<std::pair<std::size_t, std::size_t>> sent;  // (account, nonce index)
        for (std::size_t i = 0; i < accounts && sent.size() < batch; ++i) {
          const std::size_t a = (offset + i) % accounts;
          if (node_of[a].load(std::memory_order_acquire) != node) continue;
          const std::size_t done = committed_per_account[a].load();
          std::size_t k = next[a].load();
          while (k < signed_txs[a].size() && sent.size() < batch && (k <= done || k - done < inflight)) {
            if (claim(1) == 0) break;
            *req.add_transactions() = signed_txs[a][k];
            sent.emplace_back(a, k);
            ++k;
          }
        }
        offset = (offset + 1) % accounts;
        if (sent.empty()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        {
          std::lock_guard lock(mu);
          const auto now = Clock::now();
          for (const auto& [a, k] : sent) submitted_at[tx::hash_of(signed_txs[a][k])] = now;
        }
        api::SubmitBatchResponse resp;
        if (!stream->Write(req) || !stream->Read(&resp) || resp.results_size() != req.transactions_size()) {
          stream->WritesDone();
          grpc::Status s = stream->Finish();
          if (s.ok()) s = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the stream ended");
          stream.reset();
          for (const auto& [a, k] : sent) {
            on_refused(a, k, s.error_code(), s.error_message());
            node_of[a].store((node + 1) % conns.size(), std::memory_order_release);
          }
          continue;
        }
        // Answers come in order; an account's run of nonces stops at its first refusal.
        std::map<std::size_t, std::size_t> resume;  // account -> next nonce index to send
        std::set<std::size_t> moved;
        for (std::size_t i = 0; i < sent.size(); ++i) {
          const auto [a, k] = sent[i];
          if (resume.contains(a) && resume[a] <= k) {
            // A later nonce of an account whose earlier one was refused: it will be resent.
            std::lock_guard lock(mu);
            if (resp.results(static_cast<int>(i)).code() != 0) submitted_at.erase(tx::hash_of(signed_txs[a][k]));
            continue;
          }
          const api::SubmitResult& r = resp.results(static_cast<int>(i));
          if (r.code() == 0) {
            ++submitted;
            next[a] = k + 1;
            continue;
          }
          const auto code = static_cast<grpc::StatusCode>(r.code());
          next[a] = on_refused(a, k, code, r.message()) ? k + 1 : std::min(next[a].load(), k);
          resume[a] = next[a];
          if (code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED) moved.insert(a);
        }
        for (std::size_t a : moved) node_of[a].store((node + 1) % conns.size(), std::memory_order_release);
      }
      if (stream) {
        stream->WritesDone();
        stream->Finish();
      }
    });
  }
  for (auto& t : pool) t.join();
  // Let the tail commit.
  const auto drain_deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < drain_deadline) {
    {
      std::lock_guard lock(mu);
      if (submitted_at.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  {
    std::lock_guard lock(watch_mu);
    watch_stop = true;
    if (watch_ctx) watch_ctx->TryCancel();
  }
  watcher.join();

  const bench::ProcSample after = bench::sample(daemons);
  const double per_tx = committed.load() > 0 ? 1.0 / static_cast<double>(committed.load()) : 0.0;
  const double cpu_us_per_tx = (after.cpu_s - before.cpu_s) * 1e6 * per_tx;
  const double switches_per_tx =
      static_cast<double>(after.context_switches > before.context_switches
                              ? after.context_switches - before.context_switches
                              : 0) * per_tx;

  std::lock_guard lock(mu);
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::sort(to_proposal_ms.begin(), to_proposal_ms.end());
  std::sort(after_proposal_ms.begin(), after_proposal_ms.end());
  const double window = std::max(1e-3, std::chrono::duration<double>(last_commit - start).count());
  const double tps = static_cast<double>(committed) / window;
  nlohmann::json out = {
      {"nodes", nodes},
      {"validators_on_host", validators_on_host},
      {"accounts", accounts},
      {"target_rate", rate},
      {"duration_s", duration},
      {"submitted", submitted.load()},
      {"refused", refused.load()},
      {"refusals", refusals},
      {"committed", committed.load()},
      {"uncommitted", submitted_at.size()},
      {"blocks", blocks},
      {"committed_tps", tps},
      {"latency_ms",
       {{"p50", percentile(latencies_ms, 0.50)},
        {"p90", percentile(latencies_ms, 0.90)},
        {"p99", percentile(latencies_ms, 0.99)},
        {"max", latencies_ms.empty() ? 0.0 : latencies_ms.back()}}},
      {"latency_split_ms",
       {{"to_proposal", {{"p50", percentile(to_proposal_ms, 0.50)}, {"p99", percentile(to_proposal_ms, 0.99)}}},
        {"after_proposal", {{"p50", percentile(after_proposal_ms, 0.50)}, {"p99", percentile(after_proposal_ms, 0.99)}}}}},
      {"verify_per_s_all_cores", verify_rate},
      {"ceiling_tps", ceiling},
      {"fraction_of_ceiling", ceiling > 0 ? tps / ceiling : 0.0},
      {"node_processes", after.processes},
      {"node_cpu_us_per_tx", cpu_us_per_tx},
      {"node_context_switches_per_tx", switches_per_tx},
      {"node_peak_rss_mib", static_cast<double>(after.peak_rss_kib) / 1024.0},
      {"batch", batch},
  };
  if (json) {
    std::cout << out.dump() << '\n';
  } else {
    std::printf("submitted %llu (refused %llu), committed %llu in %llu blocks\n",
                static_cast<unsigned long long>(submitted.load()), static_cast<unsigned long long>(refused.load()),
                static_cast<unsigned long long>(committed.load()), static_cast<unsigned long long>(blocks));
    for (const auto& [kind, count] : refusals) {
      std::printf("  refused %llu x %s\n", static_cast<unsigned long long>(count), kind.c_str());
    }
    std::printf("committed throughput: %.0f tx/s\n", tps);
    std::printf("commit latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", percentile(latencies_ms, 0.5),
                percentile(latencies_ms, 0.9), percentile(latencies_ms, 0.99),
                latencies_ms.empty() ? 0.0 : latencies_ms.back());
    std::printf("  submission -> proposal ms: p50 %.1f  p99 %.1f; proposal -> seen ms: p50 %.1f  p99 %.1f\n",
                percentile(to_proposal_ms, 0.5), percentile(to_proposal_ms, 0.99),
                percentile(after_proposal_ms, 0.5), percentile(after_proposal_ms, 0.99));
    std::printf("BIP340 verifications/s on %u cores: %.0f; ceiling for %u validators: %.0f tx/s; achieved %.1f%%\n",
                std::thread::hardware_concurrency(), verify_rate, validators_on_host, ceiling, 100.0 * tps / ceiling);
    std::printf("node processes on this machine (%zu): %.0f CPU us and %.1f context switches per committed "
                "transaction; peak RSS of the largest %.0f MiB\n",
                after.processes, cpu_us_per_tx, switches_per_tx, static_cast<double>(after.peak_rss_kib) / 1024.0);
  }
  return committed.load() > 0 ? 0 : 1;
}
