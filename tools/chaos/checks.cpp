#include "tools/chaos/checks.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "proto/crypto.hpp"

namespace sharechain::chaos {
namespace {

// Enough of a hash to tell two apart in a message.
std::string short_hex(const std::string& raw) {
  if (raw.empty()) return "(none)";
  return crypto::to_hex(raw).substr(0, 12);
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

// One violation per item up to `cap`, then one that says how many more there were: a node that
// lost a thousand transactions must not bury the rest of the report.
void add_capped(std::vector<Violation>& out, const std::string& check,
                const std::vector<std::string>& details, std::size_t cap = 20) {
  for (std::size_t i = 0; i < details.size() && i < cap; ++i) out.push_back({check, details[i]});
  if (details.size() > cap) {
    out.push_back({check, "... and " + std::to_string(details.size() - cap) + " more like these"});
  }
}

std::string fault_label(const FaultRecord& f) {
  std::string targets;
  for (std::uint32_t t : f.targets)
    targets += (targets.empty() ? "node" : ",node") + std::to_string(t);
  std::ostringstream s;
  s << "fault #" << f.n << " (" << f.kind << " " << targets << " at " << f.at_s << " s)";
  return s.str();
}

}  // namespace

std::string ranges(const std::vector<std::uint64_t>& sorted, std::size_t limit) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
  for (std::uint64_t v : sorted) {
    if (!runs.empty() && (v == runs.back().second || v == runs.back().second + 1)) {
      runs.back().second = v;
    } else {
      runs.emplace_back(v, v);
    }
  }
  std::string out;
  for (std::size_t i = 0; i < runs.size() && i < limit; ++i) {
    if (!out.empty()) out += ", ";
    out += std::to_string(runs[i].first);
    if (runs[i].second != runs[i].first) out += "-" + std::to_string(runs[i].second);
  }
  if (runs.size() > limit) out += " (+" + std::to_string(runs.size() - limit) + " more ranges)";
  return out;
}

std::vector<Violation> check_heights(const std::vector<NodeView>& nodes) {
  std::vector<Violation> out;
  std::map<std::uint64_t, std::vector<std::string>> by_height;
  for (const NodeView& n : nodes) {
    if (!n.height) {
      out.push_back({"heights", n.name + " did not answer: " + n.error});
    } else {
      by_height[*n.height].push_back(n.name);
    }
  }
  if (by_height.size() > 1) {
    std::string detail = "nodes stopped at different heights:";
    for (const auto& [h, names] : by_height)
      detail += " " + join_names(names) + " at " + std::to_string(h) + ";";
    detail.pop_back();
    out.push_back({"heights", detail});
  }
  return out;
}

std::vector<Violation> check_blocks(const std::vector<NodeView>& nodes) {
  std::vector<Violation> out;
  const std::string genesis_parent(32, '\0');
  for (const NodeView& n : nodes) {
    if (!n.height) continue;
    std::vector<std::uint64_t> missing, unlinked;
    for (std::uint64_t h = 1; h <= *n.height; ++h) {
      const auto it = n.blocks.find(h);
      if (it == n.blocks.end()) {
        missing.push_back(h);
        continue;
      }
      if (h == 1) {
        if (it->second.prev_hash != genesis_parent) unlinked.push_back(h);
      } else if (const auto below = n.blocks.find(h - 1);
                 below != n.blocks.end() && it->second.prev_hash != below->second.hash) {
        unlinked.push_back(h);
      }
    }
    if (!missing.empty()) {
      out.push_back({"blocks", n.name + " has no block at heights " + ranges(missing) + " (" +
                                   std::to_string(missing.size()) + " of the " +
                                   std::to_string(*n.height) + " it reports)"});
    }
    if (!unlinked.empty()) {
      out.push_back({"blocks", n.name + "'s blocks at heights " + ranges(unlinked) +
                                   " do not name the block below them as their parent"});
    }
  }

  // Different blocks, or different states after the same block, at one height.
  std::map<std::uint64_t, std::map<std::string, std::vector<std::string>>> hashes, roots;
  for (const NodeView& n : nodes) {
    for (const auto& [h, b] : n.blocks) {
      hashes[h][b.hash].push_back(n.name);
      if (!b.state_root.empty()) roots[h][b.state_root].push_back(n.name);
    }
  }
  auto report = [&](const auto& table, const std::string& what) {
    std::vector<std::uint64_t> heights;
    std::string example;
    for (const auto& [h, groups] : table) {
      if (groups.size() < 2) continue;
      heights.push_back(h);
      if (example.empty()) {
        example = "at height " + std::to_string(h) + ":";
        for (const auto& [value, names] : groups)
          example += " " + join_names(names) + " " + short_hex(value) + ";";
        example.pop_back();
      }
    }
    if (!heights.empty()) {
      out.push_back({"blocks", "nodes hold different " + what + " at heights " + ranges(heights) +
                                   " (" + std::to_string(heights.size()) + " heights); first " +
                                   example});
    }
  };
  report(hashes, "blocks");
  report(roots, "state roots");
  return out;
}

std::vector<Violation> check_acked(const std::vector<LedgerRecord>& ledger,
                                   const std::vector<NodeView>& nodes) {
  std::vector<Violation> out;
  std::vector<std::string> replies;
  // Per node and per kind of problem: the commands and the heights they were acked at.
  struct Problem {
    std::vector<std::uint64_t> cmds, heights;
    std::string example;
  };
  std::map<std::pair<std::string, std::string>, Problem> problems;
  auto note = [&](const std::string& node, const std::string& what, const LedgerRecord& r,
                  std::string example) {
    Problem& p = problems[{node, what}];
    p.cmds.push_back(r.cmd);
    p.heights.push_back(r.height);
    if (p.example.empty()) p.example = std::move(example);
  };
  for (const LedgerRecord& r : ledger) {
    if (!r.acked()) continue;
    const std::string tx = crypto::to_hex(r.tx_hash);
    if (!r.reply_hash.empty() && r.reply_hash != r.tx_hash) {
      replies.push_back("cmd " + std::to_string(r.cmd) + " via node" + std::to_string(r.node) +
                        ": the node acknowledged transaction " + crypto::to_hex(r.reply_hash) +
                        " but the client signed " + tx);
    }
    for (const NodeView& n : nodes) {
      if (!n.height) continue;
      const auto it = n.txs.find(r.tx_hash);
      if (it == n.txs.end() || !it->second || !it->second->committed) {
        note(n.name, "cannot read", r, "cmd " + std::to_string(r.cmd) + " tx " + tx);
        continue;
      }
      const TxSighting& s = *it->second;
      if (s.height != r.height) {
        note(n.name, "holds at another height", r,
             "cmd " + std::to_string(r.cmd) + " acked at " + std::to_string(r.height) +
                 ", here at " + std::to_string(s.height));
        continue;
      }
      if (const auto b = n.blocks.find(s.height);
          b != n.blocks.end() && b->second.hash != s.block_hash) {
        note(n.name, "places in a block it does not hold at that height", r,
             "cmd " + std::to_string(r.cmd) + " in block " + short_hex(s.block_hash) +
                 ", its block " + std::to_string(s.height) + " is " + short_hex(b->second.hash));
      }
      if (s.from != r.from || s.to != r.to || s.amount != r.amount || s.memo != r.memo ||
          s.nonce != r.nonce) {
        note(n.name, "holds with other contents", r,
             "cmd " + std::to_string(r.cmd) + ": amount " + std::to_string(s.amount) + " nonce " +
                 std::to_string(s.nonce) + " instead of " + std::to_string(r.amount) + " nonce " +
                 std::to_string(r.nonce));
      }
    }
  }
  add_capped(out, "acked", replies);
  for (auto& [key, p] : problems) {
    std::sort(p.cmds.begin(), p.cmds.end());
    std::sort(p.heights.begin(), p.heights.end());
    p.heights.erase(std::unique(p.heights.begin(), p.heights.end()), p.heights.end());
    out.push_back({"acked", key.first + " " + key.second + " " + std::to_string(p.cmds.size()) +
                                " acked transfer" + (p.cmds.size() == 1 ? "" : "s") + " (cmds " +
                                ranges(p.cmds) + "; acked at heights " + ranges(p.heights) +
                                "); e.g. " + p.example});
  }
  return out;
}

std::vector<Violation> check_unique_acks(const std::vector<LedgerRecord>& ledger) {
  std::map<std::string, std::vector<const LedgerRecord*>> by_hash;
  for (const LedgerRecord& r : ledger) {
    if (r.acked()) by_hash[r.tx_hash].push_back(&r);
  }
  std::vector<std::string> details;
  for (const auto& [hash, records] : by_hash) {
    if (records.size() < 2) continue;
    std::string d = "transaction " + crypto::to_hex(hash) + " was acknowledged for " +
                    std::to_string(records.size()) + " commands:";
    for (const LedgerRecord* r : records) {
      d += " cmd " + std::to_string(r->cmd) + " (" + r->kind + " by " + r->sender + " nonce " +
           std::to_string(r->nonce) + " via node" + std::to_string(r->node) + ", height " +
           std::to_string(r->height) + ");";
    }
    d.pop_back();
    d += ": the chain holds one transfer where the client was promised " +
         std::to_string(records.size());
    details.push_back(std::move(d));
  }
  std::vector<Violation> out;
  add_capped(out, "unique_ack", details, 50);
  return out;
}

std::vector<Violation> check_supply(const SupplyExpectation& expect,
                                    const std::vector<NodeView>& nodes) {
  std::vector<Violation> out;
  const std::uint64_t issued = expect.genesis_total + expect.minted;
  std::map<std::string, std::vector<std::string>> distinct;  // supply as text -> nodes
  for (const NodeView& n : nodes) {
    if (!n.height) continue;
    if (!n.supply) {
      out.push_back({"supply", n.name + " did not answer the supply query: " + n.error});
      continue;
    }
    const SupplyState& s = *n.supply;
    if (s.issued != issued) {
      out.push_back(
          {"supply", n.name + " reports " + std::to_string(s.issued) +
                         " units issued; the genesis (" + std::to_string(expect.genesis_total) +
                         ") and the issuances in the blocks (" + std::to_string(expect.minted) +
                         ") make " + std::to_string(issued)});
    }
    if (s.balances + s.escrow != s.issued) {
      out.push_back({"supply", n.name + ": balances " + std::to_string(s.balances) + " + escrow " +
                                   std::to_string(s.escrow) + " != issued " +
                                   std::to_string(s.issued)});
    }
    std::uint64_t balances = 0, escrow = 0;
    std::size_t read = 0;
    for (const std::string& a : expect.known_accounts) {
      const auto it = n.accounts.find(a);
      if (it == n.accounts.end()) continue;
      ++read;
      balances += it->second.balance;
      escrow += it->second.escrow;
    }
    if (read == expect.known_accounts.size() && (balances != s.balances || escrow != s.escrow)) {
      out.push_back({"supply", n.name + ": the " + std::to_string(read) +
                                   " accounts the genesis and the blocks name hold " +
                                   std::to_string(balances) + " (escrow " + std::to_string(escrow) +
                                   ") but the node's totals are " + std::to_string(s.balances) +
                                   " (escrow " + std::to_string(s.escrow) + ")"});
    }
    distinct["issued " + std::to_string(s.issued) + ", balances " + std::to_string(s.balances) +
             ", escrow " + std::to_string(s.escrow) + ", accounts " + std::to_string(s.accounts)]
        .push_back(n.name);
  }
  if (distinct.size() > 1) {
    std::string d = "nodes report different supplies:";
    for (const auto& [text, names] : distinct) d += " " + join_names(names) + ": " + text + ";";
    d.pop_back();
    out.push_back({"supply", d});
  }
  return out;
}

std::vector<Violation> check_balances(const std::vector<NodeView>& nodes) {
  std::set<std::string> addresses;
  for (const NodeView& n : nodes) {
    for (const auto& [a, _] : n.accounts) addresses.insert(a);
  }
  std::vector<std::string> details;
  for (const std::string& a : addresses) {
    std::map<std::string, std::vector<std::string>> groups;
    for (const NodeView& n : nodes) {
      if (!n.height) continue;
      const auto it = n.accounts.find(a);
      const std::string value = it == n.accounts.end()
                                    ? std::string("not read")
                                    : "balance " + std::to_string(it->second.balance) + " nonce " +
                                          std::to_string(it->second.nonce) + " escrow " +
                                          std::to_string(it->second.escrow);
      groups[value].push_back(n.name);
    }
    if (groups.size() < 2) continue;
    std::string d = "account " + crypto::format_address(a) + " differs:";
    for (const auto& [value, names] : groups) d += " " + join_names(names) + " " + value + ";";
    d.pop_back();
    details.push_back(std::move(d));
  }
  std::vector<Violation> out;
  add_capped(out, "balances", details);
  return out;
}

std::vector<Violation> check_history(const std::vector<NodeView>& nodes) {
  std::vector<Violation> out;
  for (const NodeView& n : nodes) {
    if (n.history_complete && !*n.history_complete) {
      out.push_back({"history", n.name + " reports history_complete=false: " + n.history.dump()});
    }
  }
  return out;
}

std::vector<Violation> check_provable(const std::vector<NodeView>& nodes) {
  std::vector<Violation> out;
  std::vector<std::string> details;
  for (const NodeView& n : nodes) {
    if (!n.height) continue;
    for (const auto& [hash, reason] : n.proofs) {
      if (!reason.empty()) {
        details.push_back(n.name + ": acked transaction " + crypto::to_hex(hash) + " is not provable: " + reason);
      }
    }
  }
  add_capped(out, "provable", details, 50);
  return out;
}

Percentiles percentiles(std::vector<double> samples) {
  Percentiles p;
  p.count = samples.size();
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto rank = [&](double q) {
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::min(samples.size(), std::max<std::size_t>(k, 1)) - 1];
  };
  p.p50 = rank(0.50);
  p.p99 = rank(0.99);
  p.max = samples.back();
  return p;
}

RecoveryReport recovery_report(const std::vector<FaultRecord>& faults) {
  RecoveryReport r;
  std::vector<double> cluster, node;
  for (const FaultRecord& f : faults) {
    ++r.by_kind[f.kind];
    if (f.cluster_s) {
      cluster.push_back(*f.cluster_s);
    } else {
      r.violations.push_back(
          {"recovery", fault_label(f) + ": the cluster committed no new block within the limit"});
    }
    if (f.node_s) {
      node.push_back(*f.node_s);
    } else {
      r.violations.push_back(
          {"recovery", fault_label(f) + ": the nodes hit did not catch up within the limit"});
    }
  }
  r.cluster = percentiles(std::move(cluster));
  r.node = percentiles(std::move(node));
  return r;
}

}  // namespace sharechain::chaos
