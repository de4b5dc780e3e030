#include "tools/bench/proofs.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "proofs/bundle.hpp"
#include "proto/history_chain.hpp"
#include "tools/common/chain_trust.hpp"
#include "tools/bench/timing.hpp"
#include "tools/common/client.hpp"

namespace sharechain::bench {
namespace {


nlohmann::json summary(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return {{"count", v.size()},
          {"mean", v.empty() ? 0 : sum / static_cast<double>(v.size())},
          {"p50", pct(v, 0.50)},
          {"p99", pct(v, 0.99)},
          {"max", pct(v, 1.0)}};
}

}  // namespace

int run_proofs(int argc, char** argv) {
  CLI::App app{"sharechain-bench proofs — the cost of receipt commitments and transaction proofs",
               "sharechain-bench proofs"};
  std::string node = "127.0.0.1:26600";
  std::uint64_t blocks = 200, samples = 200;
  bool json = false;
  app.add_option("--node", node, "client API address of a running node");
  app.add_option("--blocks", blocks, "latest blocks to read (they must hold transactions)")->check(CLI::Range(1, 100000));
  app.add_option("--samples", samples, "transactions to prove, spread over those blocks")->check(CLI::Range(1, 100000));
  app.add_flag("--json", json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);

  client::Node client(node, std::chrono::seconds(10));
  auto status = client.status();
  if (!status) {
    std::cerr << "error: " << status.error().message << "\n";
    return 2;
  }
  tools::Outcome<proofs::Trust> trust_or = tools::chain_trust(client);
  if (!trust_or) {
    std::cerr << "error: " << trust_or.failure().message << "\n";
    return 2;
  }
  const proofs::Trust trust = *trust_or;

  // The per-block commitment: what a node hashes after each block for history_root.
  std::vector<double> block_us, block_us_per_tx;
  std::vector<std::string> candidates;
  std::set<std::string> senders;  // their accounts' entries are proven through the state tree
  std::uint64_t txs_seen = 0;
  // The newest block's receipt is not certified yet; start one below it.
  const std::uint64_t top = status->height() > 1 ? status->height() - 1 : 0;
  for (std::uint64_t h = top; h >= 1 && top - h < blocks; --h) {
    auto info = client.block_at(h);
    if (!info) break;
    std::vector<std::string> receipts;
    for (const Receipt& r : info->receipts()) receipts.push_back(r.SerializeAsString());
    const auto t = Clock::now();
    const crypto::Hash root = history::receipts_root(receipts);
    const crypto::Hash next = history::next(root, h, root, root);
    const double us = us_since(t);
    if (next == crypto::Hash{}) return 1;  // keeps the hashing from being optimised away
    block_us.push_back(us);
    if (!receipts.empty()) block_us_per_tx.push_back(us / static_cast<double>(receipts.size()));
    txs_seen += receipts.size();
    for (const Receipt& r : info->receipts()) candidates.push_back(r.tx_hash());
    for (const std::string& raw : info->block().transactions()) {
      SignedTransaction stx;
      TransactionBody body;
      if (stx.ParseFromString(raw) && body.ParseFromString(stx.body())) senders.insert(body.sender());
    }
  }
  if (candidates.empty()) {
    std::cerr << "error: the latest " << blocks << " blocks hold no transactions; run a load first\n";
    return 2;
  }

  std::vector<double> serve_ms, verify_us, proof_bytes, bundle_bytes, links;
  const std::size_t step = std::max<std::size_t>(1, candidates.size() / samples);
  int failures = 0;
  for (std::size_t i = 0; i < candidates.size() && serve_ms.size() < samples; i += step) {
    const auto t = Clock::now();
    auto proof = client.proof(candidates[i]);
    serve_ms.push_back(us_since(t) / 1000.0);
    if (!proof) {
      std::cerr << "GetProof " << crypto::to_hex(candidates[i]) << ": " << proof.error().message << "\n";
      ++failures;
      continue;
    }
    const auto v = Clock::now();
    auto proven = proofs::verify_transaction_proof(*proof, trust);
    verify_us.push_back(us_since(v));
    if (!proven) {
      std::cerr << "verify " << crypto::to_hex(candidates[i]) << ": " << proven.status().message() << "\n";
      ++failures;
      continue;
    }
    proof_bytes.push_back(static_cast<double>(proof->ByteSizeLong()));
    bundle_bytes.push_back(static_cast<double>(
        proofs::make_bundle(proofs::kKindTransaction, trust, proofs::transaction_facts(*proven), {*proof}).dump(2).size()));
    links.push_back(static_cast<double>(proof->links_size()));
  }

  // State proofs (chains with a state tree): the senders' account entries.
  std::vector<double> state_ms, state_verify_us, state_bytes, state_depth;
  int state_failures = 0;
  proofs::Trust state_trust = trust;
  state_trust.state_tree = true;
  for (const std::string& sender : senders) {
    if (state_ms.size() >= samples) break;
    const auto t = Clock::now();
    auto proof = client.state_proof("ledger/acct/" + sender);
    state_ms.push_back(us_since(t) / 1000.0);
    if (!proof) {
      if (proof.error().message.find("names no state tree") != std::string::npos) {
        state_ms.pop_back();  // a chain without a state tree: nothing to measure
        break;
      }
      std::cerr << "GetStateProof: " << proof.error().message << "\n";
      ++state_failures;
      continue;
    }
    const auto v = Clock::now();
    auto proven = proofs::verify_state_proof(*proof, state_trust);
    state_verify_us.push_back(us_since(v));
    if (!proven) {
      std::cerr << "verify state proof: " << proven.status().message() << "\n";
      ++state_failures;
      continue;
    }
    state_bytes.push_back(static_cast<double>(proof->ByteSizeLong()));
    state_depth.push_back(static_cast<double>(proof->siblings_size()));
  }

  nlohmann::json out = {
      {"node", node},
      {"blocks_read", block_us.size()},
      {"transactions_in_blocks", txs_seen},
      {"history_step_us_per_block", summary(block_us)},
      {"history_step_us_per_tx", summary(block_us_per_tx)},
      {"header_bytes_added", 34},
      {"proofs", serve_ms.size()},
      {"failures", failures},
      {"get_proof_ms", summary(serve_ms)},
      {"verify_us", summary(verify_us)},
      {"proof_bytes", summary(proof_bytes)},
      {"bundle_bytes", summary(bundle_bytes)},
      {"links", summary(links)},
      {"state_proofs", state_ms.size()},
      {"state_failures", state_failures},
      {"get_state_proof_ms", summary(state_ms)},
      {"state_verify_us", summary(state_verify_us)},
      {"state_proof_bytes", summary(state_bytes)},
      {"state_path_depth", summary(state_depth)},
  };
  if (json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "blocks read " << block_us.size() << " (" << txs_seen << " transactions)\n"
              << "history step per block: p50 " << pct(block_us, 0.5) << " us, p99 " << pct(block_us, 0.99)
              << " us\n"
              << "GetProof: p50 " << pct(serve_ms, 0.5) << " ms, p99 " << pct(serve_ms, 0.99) << " ms over "
              << serve_ms.size() << " proofs (" << failures << " failed)\n"
              << "verify offline: p50 " << pct(verify_us, 0.5) << " us, p99 " << pct(verify_us, 0.99) << " us\n"
              << "proof size: p50 " << pct(proof_bytes, 0.5) << " bytes protobuf, " << pct(bundle_bytes, 0.5)
              << " bytes as a bundle; links p50 " << pct(links, 0.5) << ", max " << pct(links, 1.0) << "\n"
              << "GetStateProof: p50 " << pct(state_ms, 0.5) << " ms, p99 " << pct(state_ms, 0.99) << " ms over "
              << state_ms.size() << " account entries (" << state_failures << " failed); verify p50 "
              << pct(state_verify_us, 0.5) << " us; " << pct(state_bytes, 0.5) << " bytes, path depth p50 "
              << pct(state_depth, 0.5) << "\n";
  }
  return failures == 0 && state_failures == 0 ? 0 : 1;
}

}  // namespace sharechain::bench
