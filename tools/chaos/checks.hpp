// The end-of-run checks of a chaos run, over what was read from every node (NodeView) and the
// acknowledgement ledger. They are pure functions of their inputs, so each one is tested on
// made-up views, including views corrupted on purpose to prove the check can fail
// (tests/tools/chaos_check_test.cpp). collect.hpp fills the views from running nodes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tools/chaos/record.hpp"
#include "tools/common/render.hpp"

namespace sharechain::chaos {

struct BlockDigest {
  std::string hash;        // 32 raw bytes
  std::string prev_hash;   // from the header
  std::string state_root;  // the node's root after the block; may be empty
};

// What one node says about a transaction the ledger saw acknowledged.
struct TxSighting {
  bool committed = false;  // false: the node knows it only as pending
  std::uint64_t height = 0;
  std::string block_hash;
  std::string from, to, memo;  // of the transfer the node holds under that hash
  std::uint64_t amount = 0, nonce = 0;
};

struct AccountState {
  std::uint64_t balance = 0, nonce = 0, escrow = 0;
  bool operator==(const AccountState&) const = default;
};

struct SupplyState {
  std::uint64_t issued = 0, balances = 0, escrow = 0, accounts = 0;
  bool operator==(const SupplyState&) const = default;
};

struct NodeView {
  std::string name;
  std::optional<std::uint64_t> height;          // nullopt: the node did not answer
  std::string error;                            // why a read failed, when one did
  std::map<std::uint64_t, BlockDigest> blocks;  // the heights 1..height it could serve
  // By tx hash: nullopt when the node does not know the transaction.
  std::map<std::string, std::optional<TxSighting>> txs;
  std::map<std::string, AccountState> accounts;  // by 20-byte address
  std::optional<SupplyState> supply;
  // The NodeStatus history fields, when this build's NodeStatus has them.
  std::optional<bool> history_complete;
  tools::Json history;  // every history/sync field the status carries, for the report
  // For a sample of acked transactions (by tx hash): "" when the node's GetProof answer verified
  // offline against the genesis validators, otherwise why not.
  std::map<std::string, std::string> proofs;
};

struct Violation {
  std::string check;   // "heights", "blocks", "acked", "unique_ack", "supply", "balances",
                       // "history", "provable", "recovery"
  std::string detail;  // one line a person can act on
};

// Every node answered and all report the same height.
std::vector<Violation> check_heights(const std::vector<NodeView>& nodes);

// Every node holds every block 1..its height (no holes), its blocks chain (each prev_hash is the
// hash of the block below), and no two nodes hold different blocks or state roots at a height.
std::vector<Violation> check_blocks(const std::vector<NodeView>& nodes);

// Every acked command: the node's reply named the hash the client signed, and every node
// holds that transaction committed, at the acked height, in the block every node has there,
// with the command's sender, recipient, amount, memo and nonce.
std::vector<Violation> check_acked(const std::vector<LedgerRecord>& ledger,
                                   const std::vector<NodeView>& nodes);

// No transaction hash was acknowledged for two different commands.
std::vector<Violation> check_unique_acks(const std::vector<LedgerRecord>& ledger);

struct SupplyExpectation {
  std::uint64_t genesis_total = 0;       // sum of the genesis balances
  std::uint64_t minted = 0;              // issued since, as the blocks record it
  std::set<std::string> known_accounts;  // every address the genesis and the blocks name
};
// On every node: issued == genesis + minted, balances + escrow == issued, and the known
// accounts' balances (and escrow) add up to the node's totals; and every node reports the same
// supply.
std::vector<Violation> check_supply(const SupplyExpectation& expect,
                                    const std::vector<NodeView>& nodes);

// Every known account has the same balance, nonce and escrow on every node.
std::vector<Violation> check_balances(const std::vector<NodeView>& nodes);

// A node that reports history_complete reports true.
std::vector<Violation> check_history(const std::vector<NodeView>& nodes);

// Every sampled acked transaction is provable from every node that answered: its GetProof
// answer verifies offline (docs/proofs.md).
std::vector<Violation> check_provable(const std::vector<NodeView>& nodes);

struct Percentiles {
  std::size_t count = 0;
  double p50 = 0, p99 = 0, max = 0;
};
// Nearest-rank percentiles; all zero for no samples.
Percentiles percentiles(std::vector<double> samples);

struct RecoveryReport {
  std::map<std::string, std::size_t> by_kind;
  Percentiles cluster, node;
  std::vector<Violation> violations;  // faults after which the cluster or a node never recovered
};
RecoveryReport recovery_report(const std::vector<FaultRecord>& faults);

// "12", "12-15", "12-15, 40 (+3 more)": sorted heights or ids as ranges, at most `limit` ranges.
std::string ranges(const std::vector<std::uint64_t>& sorted, std::size_t limit = 8);

}  // namespace sharechain::chaos
