#include "tools/chaos/check.hpp"

#include <cstdio>
#include <iomanip>

namespace sharechain::chaos {
namespace {

using tools::Json;

Json percentiles_json(const Percentiles& p) {
  return {{"count", p.count}, {"p50", p.p50}, {"p99", p.p99}, {"max", p.max}};
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", s);
  return text;
}

}  // namespace

Json build_report(const Collected& c, const LedgerFile& ledger,
                  const std::vector<FaultRecord>& faults) {
  Json checks = Json::object();
  std::vector<Violation> all;
  auto run = [&](const char* name, std::vector<Violation> found, std::string covered) {
    checks[name] = {{"status", found.empty() ? "ok" : "violated"},
                    {"covered", std::move(covered)},
                    {"violations", found.size()}};
    all.insert(all.end(), found.begin(), found.end());
  };

  std::size_t answering = 0;
  for (const NodeView& n : c.nodes) answering += n.height ? 1 : 0;
  run("heights", check_heights(c.nodes),
      std::to_string(answering) + " of " + std::to_string(c.nodes.size()) + " nodes answered" +
          (c.settled ? "; heights settled in " + seconds(c.settle_s) : "; heights never settled"));
  run("blocks", check_blocks(c.nodes),
      "heights 1.." + std::to_string(c.tip) +
          ": presence, parent links, hashes and state roots on every node");

  std::size_t acked = 0;
  std::map<std::string, std::uint64_t> by_outcome, acked_by_kind;
  for (const LedgerRecord& r : ledger.records) {
    ++by_outcome[r.outcome];
    if (r.acked()) {
      ++acked;
      ++acked_by_kind[r.kind];
    }
  }
  run("acked", check_acked(ledger.records, c.nodes),
      std::to_string(acked) + " acked transfers looked up on every node (height, block, contents)");
  run("unique_ack", check_unique_acks(ledger.records),
      "tx hashes of the " + std::to_string(acked) + " acked transfers are distinct");
  run("supply", check_supply(c.supply, c.nodes),
      "the ledger's supply query on every node: issued = genesis " +
          std::to_string(c.supply.genesis_total) + " + minted " + std::to_string(c.supply.minted) +
          ", balances + escrow = issued, and the " +
          std::to_string(c.supply.known_accounts.size()) +
          " accounts named by the genesis and the blocks sum to it");
  run("balances", check_balances(c.nodes),
      std::to_string(c.supply.known_accounts.size()) +
          " accounts: balance, nonce and escrow on every node");

  Json history = Json::object();
  bool any_history = false;
  for (const NodeView& n : c.nodes) {
    if (n.history_complete) {
      any_history = true;
      history[n.name] = *n.history_complete;
    }
  }
  if (any_history) {
    run("history", check_history(c.nodes), "history_complete on every node");
  } else {
    checks["history"] = {{"status", "not available"},
                         {"covered", "this build's NodeStatus has no history_complete field"},
                         {"violations", 0}};
  }

  std::size_t proofs_asked = 0;
  for (const NodeView& n : c.nodes) proofs_asked += n.proofs.size();
  run("provable", check_provable(c.nodes),
      std::to_string(proofs_asked) + " proofs of acked transfers (a sample over the run and the last one acked, "
          "from every node) verified offline against the genesis");

  const RecoveryReport recovery = recovery_report(faults);
  run("recovery", recovery.violations,
      std::to_string(faults.size()) +
          " faults: the cluster committed again and the nodes hit caught up");

  Json nodes = Json::array();
  for (const NodeView& n : c.nodes) {
    Json j = {{"name", n.name},
              {"height", n.height ? Json(*n.height) : Json(nullptr)},
              {"blocks", n.blocks.size()}};
    if (!n.error.empty()) j["error"] = n.error;
    j["history"] = n.history.is_object() && !n.history.empty() ? n.history : Json("not available");
    nodes.push_back(std::move(j));
  }
  Json supply = Json::object();
  for (const NodeView& n : c.nodes) {
    if (!n.supply) continue;
    supply[n.name] = {{"issued", n.supply->issued},
                      {"balances", n.supply->balances},
                      {"escrow", n.supply->escrow},
                      {"accounts", n.supply->accounts}};
  }
  Json violations = Json::array();
  for (const Violation& v : all) violations.push_back({{"check", v.check}, {"detail", v.detail}});

  Json report;
  report["ok"] = all.empty();
  report["violation_count"] = all.size();
  report["violations"] = std::move(violations);
  report["checks"] = std::move(checks);
  report["tip"] = c.tip;
  report["nodes"] = std::move(nodes);
  report["ledger"] = {{"commands", ledger.records.size()},
                      {"acked", acked},
                      {"acked_by_kind", acked_by_kind},
                      {"by_outcome", by_outcome}};
  if (!ledger.note.empty()) report["ledger"]["note"] = ledger.note;
  report["supply"] = {{"source", "ledger supply query, cross-checked against every known account"},
                      {"genesis_total", c.supply.genesis_total},
                      {"minted", c.supply.minted},
                      {"known_accounts", c.supply.known_accounts.size()},
                      {"by_node", std::move(supply)}};
  report["history_complete"] = any_history ? std::move(history) : Json("not available");
  report["faults"] = {{"total", faults.size()},
                      {"by_kind", recovery.by_kind},
                      {"recovery_s",
                       {{"cluster", percentiles_json(recovery.cluster)},
                        {"node", percentiles_json(recovery.node)}}}};
  return report;
}

int run_check(const CheckOptions& options, std::ostream& out, std::ostream& err) {
  Result<LedgerFile> ledger = read_ledger(options.ledger);
  if (!ledger) {
    err << "error: " << ledger.status().message() << "\n";
    return 2;
  }
  std::vector<FaultRecord> faults;
  if (!options.faults.empty()) {
    Result<std::vector<FaultRecord>> read = read_faults(options.faults);
    if (!read) {
      err << "error: " << read.status().message() << "\n";
      return 2;
    }
    faults = std::move(read).value();
  }
  CollectOptions co;
  co.dir = options.dir;
  co.settle = options.settle;
  tools::Outcome<Collected> collected = collect(co, ledger->records, err);
  if (!collected) {
    err << "error: " << collected.failure().message << "\n";
    return collected.failure().exit_code;
  }
  const Json report = build_report(*collected, *ledger, faults);
  if (options.json) {
    out << report.dump() << "\n";
  } else {
    out << "checked " << report["nodes"].size() << " nodes up to height "
        << report["tip"].get<std::uint64_t>()
        << "; ledger: " << report["ledger"]["commands"].get<std::size_t>() << " commands, "
        << report["ledger"]["acked"].get<std::size_t>() << " acked\n";
    for (const auto& item : report["checks"].items()) {
      const Json& c = item.value();
      out << "  " << std::left << std::setw(11) << item.key() << std::setw(14)
          << c["status"].get<std::string>() << c["covered"].get<std::string>() << "\n";
    }
    for (const Json& v : report["violations"]) {
      out << "VIOLATION [" << v["check"].get<std::string>() << "] "
          << v["detail"].get<std::string>() << "\n";
    }
    out << "violations: " << report["violation_count"].get<std::size_t>() << "\n";
  }
  return report["ok"].get<bool>() ? 0 : 1;
}

}  // namespace sharechain::chaos
