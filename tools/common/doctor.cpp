#include "tools/common/doctor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "consensus/quorum.hpp"

namespace sharechain::tools::doctor {
namespace {

std::string fmt(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "42 s", "3 min 5 s", "2 h 1 min".
std::string duration_text(double seconds) {
  const auto s = static_cast<std::uint64_t>(seconds < 0 ? 0 : seconds);
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  return std::to_string(s / 3600) + " h " + std::to_string(s % 3600 / 60) + " min";
}

std::string bytes_text(std::uint64_t b) {
  if (b >= (1ull << 30)) return fmt(static_cast<double>(b) / (1ull << 30)) + " GiB";
  if (b >= (1ull << 20)) return fmt(static_cast<double>(b) / (1ull << 20)) + " MiB";
  if (b >= (1ull << 10)) return fmt(static_cast<double>(b) / (1ull << 10)) + " KiB";
  return std::to_string(b) + " B";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// "node2", "node2 and node3", "node1, node2 and node3".
std::string name_list(const std::vector<std::string>& names) {
  if (names.size() <= 1) return join(names, "");
  std::vector<std::string> head(names.begin(), names.end() - 1);
  return join(head, ", ") + " and " + names.back();
}

std::string short_hex(const std::string& hex) {
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

// The latest status a node answered, when its latest attempt succeeded.
const StatusSample* latest(const NodeFacts& n) {
  if (n.reach != Reach::kAnswered) return nullptr;
  if (n.second) return &*n.second;
  if (n.first) return &*n.first;
  return nullptr;
}

bool two_samples(const NodeFacts& n) {
  return n.reach == Reach::kAnswered && n.first && n.second && n.sample_seconds > 0;
}

// The "reason" of a /readyz or /healthz JSON body, else the body itself.
std::string reason_of(const HttpAnswer& answer) {
  try {
    const Json j = Json::parse(answer.body);
    if (j.is_object() && j.contains("reason") && j["reason"].is_string())
      return j["reason"].get<std::string>();
  } catch (const std::exception&) {
  }
  std::string body = answer.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

bool halted(const NodeFacts& n) { return n.healthz && n.healthz->code == 503; }

class Doctor {
 public:
  Doctor(const ClusterFacts& facts, const Thresholds& t) : facts_(facts), t_(t) {}

  Report run() {
    count_validators();
    check_genesis_file();
    for (const NodeFacts& n : facts_.nodes) check_identity(n);
    for (const NodeFacts& n : facts_.nodes) check_reachable(n);
    compute_heights();
    for (const NodeFacts& n : facts_.nodes) check_progress(n);
    check_quorum();
    for (const NodeFacts& n : facts_.nodes) check_synced(n);
    for (const NodeFacts& n : facts_.nodes) check_voting(n);
    check_links();
    check_primary_and_views();
    check_clocks();
    check_commits_stalled();
    for (const NodeFacts& n : facts_.nodes) check_mempool(n);
    for (const NodeFacts& n : facts_.nodes) check_disk(n);
    for (const NodeFacts& n : facts_.nodes) node_summary(n);
    return finish();
  }

 private:
  // ---- helpers -------------------------------------------------------------------------------

  void add(Severity s, std::string check, std::vector<std::string> nodes, std::string message,
           std::string fix) {
    for (const std::string& n : nodes) {
      if (s != Severity::kOk) flagged_.insert(n);
    }
    findings_.push_back(
        {s, std::move(check), std::move(nodes), std::move(message), std::move(fix)});
  }

  // A follower (StatusSample::follower) votes on nothing: the checks of validators skip it.
  bool follower(const NodeFacts& n) const {
    const StatusSample* s = latest(n);
    return s && s->follower;
  }

  std::optional<std::uint32_t> validator_of(const NodeFacts& n) const {
    if (follower(n)) return std::nullopt;
    if (n.validator) return n.validator;
    if (const StatusSample* s = latest(n)) return s->node_id;
    if (n.first) return n.first->node_id;
    return std::nullopt;
  }

  std::string name_of_validator(std::uint32_t v) const {
    for (const NodeFacts& n : facts_.nodes) {
      if (validator_of(n) == v) return n.name;
    }
    if (facts_.expected && v < facts_.expected->validator_names.size())
      return facts_.expected->validator_names[v];
    return "validator " + std::to_string(v);
  }

  const NodeFacts* node_of_validator(std::uint32_t v) const {
    for (const NodeFacts& n : facts_.nodes) {
      if (validator_of(n) == v) return &n;
    }
    return nullptr;
  }

  std::string log_tail(const NodeFacts& n) const {
    return n.log_file.empty() ? "" : "tail -n 50 " + n.log_file;
  }

  std::string status_cmd(const NodeFacts& n) const {
    return "sharechain status --node " + n.client_address;
  }

  std::string ops_url(const NodeFacts& n, std::string_view path) const {
    if (!n.ops_tls_ca.empty()) {
      return "curl -s --cacert " + n.ops_tls_ca + " https://" + n.ops_address + std::string(path);
    }
    return "curl -s http://" + n.ops_address + std::string(path);
  }

  // The command that brings an unreachable node back, or the one to investigate it with.
  std::string revive_fix(const NodeFacts& n) const {
    if (n.process_known && !n.pid && !facts_.cluster_dir.empty())
      return "sharechain-net start --dir " + facts_.cluster_dir;
    if (n.pid && n.process_stopped) return "kill -CONT " + std::to_string(*n.pid);
    if (n.pid) {
      std::string fix = log_tail(n);
      if (!n.ops_address.empty()) fix += (fix.empty() ? "" : "; ") + ops_url(n, "/healthz");
      return fix.empty() ? status_cmd(n) : fix;
    }
    if (n.reach == Reach::kTimedOut) {
      return "on its host: ps -o pid,stat,cmd -C sharechaind (stat T: kill -CONT PID); " +
             status_cmd(n);
    }
    return "start the node (systemctl start sharechaind@NAME, or sharechain-net start --dir "
           "DIR); " +
           status_cmd(n);
  }

  // ---- checks ----------------------------------------------------------------------------------

  void count_validators() {
    if (facts_.expected && !facts_.expected->validator_keys.empty()) {
      n_ = static_cast<std::uint32_t>(facts_.expected->validator_keys.size());
    } else {
      for (const NodeFacts& n : facts_.nodes) {
        for (const auto* s : {latest(n), n.first ? &*n.first : nullptr}) {
          if (s) n_ = std::max(n_, s->validators);
        }
      }
      n_known_ = n_ > 0;
      const auto voters = std::count_if(facts_.nodes.begin(), facts_.nodes.end(),
                                        [this](const NodeFacts& n) { return !follower(n); });
      n_ = std::max<std::uint32_t>(n_, static_cast<std::uint32_t>(voters));
    }
    quorum_ = consensus::quorum_size(n_);
  }

  // When every node that says agrees on a chain id or genesis hash and the cluster folder's
  // genesis.json does not, the file is the odd one out (changed after the chain started), not
  // the nodes.
  void check_genesis_file() {
    if (!facts_.expected) return;
    std::set<std::string> chains;
    std::set<std::string> hashes;
    for (const NodeFacts& n : facts_.nodes) {
      if (const StatusSample* s = latest(n)) chains.insert(s->chain_id);
      if (n.version && !n.version->genesis_hash.empty()) hashes.insert(n.version->genesis_hash);
    }
    const Expectation& e = *facts_.expected;
    const std::string file =
        facts_.cluster_dir.empty() ? "genesis.json" : facts_.cluster_dir + "/genesis.json";
    stale_chain_ = chains.size() == 1 && facts_.nodes.size() > 1 && *chains.begin() != e.chain_id;
    stale_hash_ = hashes.size() == 1 && facts_.nodes.size() > 1 && !e.genesis_hash.empty() &&
                  *hashes.begin() != e.genesis_hash;
    if (stale_chain_ || stale_hash_) {
      add(Severity::kCritical, "identity", {},
          "every node runs with " +
              (stale_chain_ ? "chain '" + *chains.begin() + "'"
                            : "genesis " + short_hex(*hashes.begin())) +
              " but " + file + " says " +
              (stale_chain_ ? "chain '" + e.chain_id + "'"
                            : "genesis " + short_hex(e.genesis_hash)) +
              ": the file was changed after the chain started; the nodes' checks against it are "
              "skipped",
          "restore " + file +
              " from a node's host or backup (the nodes refuse peers of another genesis)");
    }
  }

  void check_identity(const NodeFacts& n) {
    const StatusSample* s = latest(n) ? latest(n) : (n.first ? &*n.first : nullptr);
    bool wrong = false;
    if (facts_.expected) {
      const Expectation& e = *facts_.expected;
      const std::string cfg = facts_.cluster_dir.empty()
                                  ? "its config"
                                  : facts_.cluster_dir + "/" + n.name + "/config.toml";
      if (s && s->chain_id != e.chain_id && !stale_chain_) {
        wrong = true;
        add(Severity::kCritical, "identity", {n.name},
            n.name + " serves chain '" + s->chain_id + "' but the cluster's genesis is of chain '" +
                e.chain_id + "': another chain's node answers on " + n.client_address,
            "check [node] genesis_file and [api] listen in " + cfg + "; " + status_cmd(n));
      }
      if (n.version && !n.version->genesis_hash.empty() && !e.genesis_hash.empty() &&
          n.version->genesis_hash != e.genesis_hash && !stale_hash_) {
        wrong = true;
        add(Severity::kCritical, "identity", {n.name},
            n.name + " runs with genesis " + short_hex(n.version->genesis_hash) +
                " but the cluster's genesis.json is " + short_hex(e.genesis_hash) +
                ": its peers refuse it",
            "point [node] genesis_file in " + cfg +
                " at the cluster's genesis.json (a new genesis needs a fresh data folder)");
      }
      if (n.validator && s && !s->follower && s->node_id != *n.validator) {
        wrong = true;
        add(Severity::kCritical, "identity", {n.name},
            n.name + " answers as validator " + std::to_string(s->node_id) +
                ", but genesis gives it validator " + std::to_string(*n.validator) +
                ": it runs with another validator's key (two nodes with one key)",
            "check [node] key_file in " + cfg + "; " + status_cmd(n));
      }
      if (n.validator && !n.key_file_public_key.empty() && *n.validator < e.validator_keys.size() &&
          n.key_file_public_key != e.validator_keys[*n.validator]) {
        wrong = true;
        add(Severity::kCritical, "identity", {n.name},
            n.name + "'s key file holds public key " + short_hex(n.key_file_public_key) +
                ", but genesis gives validator " + std::to_string(*n.validator) + " the key " +
                short_hex(e.validator_keys[*n.validator]) +
                ": the node cannot sign as that validator",
            "restore " + n.name + "/node_key.json from the backup made with the genesis");
      }
      if (s && !s->node_name.empty() && s->node_name != n.name && n.validator) {
        add(Severity::kWarning, "identity", {n.name},
            n.client_address + " is answered by a node calling itself '" + s->node_name +
                "', not " + n.name,
            "check [api] listen in " + cfg);
      }
    } else if (s) {
      // Without a genesis to compare with, the majority of the nodes that answer sets the chain.
      std::map<std::string, int> chains;
      for (const NodeFacts& m : facts_.nodes) {
        if (const StatusSample* ms = latest(m)) chains[ms->chain_id]++;
      }
      std::string majority;
      int best = 0;
      for (const auto& [c, k] : chains) {
        if (k > best) best = k, majority = c;
      }
      if (chains.size() > 1 && s->chain_id != majority) {
        wrong = true;
        add(Severity::kCritical, "identity", {n.name},
            n.name + " serves chain '" + s->chain_id + "' while the other nodes serve '" +
                majority + "'",
            status_cmd(n));
      }
    }
    if (wrong) foreign_.insert(n.name);
  }

  void check_reachable(const NodeFacts& n) {
    const std::string at = n.name == n.client_address ? "" : " at " + n.client_address;
    const std::string guessed =
        n.address_guessed ? " (an address guessed from its peer address)" : "";
    switch (n.reach) {
      case Reach::kAnswered:
        break;
      case Reach::kNotRunning:
        add(Severity::kCritical, "reachable", {n.name},
            n.name + " is not running (no live process in its pid file)", revive_fix(n));
        break;
      case Reach::kTimedOut:
        if (n.pid && n.process_stopped) {
          add(Severity::kCritical, "reachable", {n.name},
              n.name + " (pid " + std::to_string(*n.pid) +
                  ") is stopped (SIGSTOP): it holds its ports but answers nothing and does not "
                  "vote",
              revive_fix(n));
        } else {
          add(Severity::kCritical, "reachable", {n.name},
              n.name + (n.pid ? " (pid " + std::to_string(*n.pid) + ")" : "") + " did not answer" +
                  at + guessed + " before the deadline: paused, stuck or overloaded" +
                  (n.error.empty() ? "" : " (" + n.error + ")"),
              revive_fix(n));
        }
        break;
      case Reach::kRefused:
        add(Severity::kCritical, "reachable", {n.name},
            n.name + (n.pid ? " (pid " + std::to_string(*n.pid) + ") runs but" : "") +
                " refuses connections" + at + guessed +
                (n.pid ? ": still starting, or listening elsewhere"
                       : ": the process is down or not listening there"),
            revive_fix(n));
        break;
      case Reach::kError:
        add(Severity::kCritical, "reachable", {n.name},
            n.name + " answered GetStatus" + at + " with an error: " + n.error, revive_fix(n));
        break;
    }
    if (halted(n)) {
      halted_.insert(n.name);
      add(Severity::kCritical, "halted", {n.name},
          n.name + " has halted: " + reason_of(*n.healthz) +
              " (it stays up to be inspected but takes no part in consensus)",
          (log_tail(n).empty() ? ops_url(n, "/healthz") : log_tail(n)) +
              "; fix the cause the log names, then restart it");
    }
    if (n.reach == Reach::kAnswered && !n.ops_address.empty() && !n.metrics_first && !n.healthz) {
      add(Severity::kWarning, "ops", {n.name},
          n.name + "'s operations port " + n.ops_address + " gave nothing" +
              (n.ops_error.empty() ? "" : " (" + n.ops_error + ")") +
              ": no metrics or health from it",
          ops_url(n, "/readyz"));
    }
  }

  bool counts(const NodeFacts& n) const { return latest(n) && !foreign_.count(n.name); }

  void compute_heights() {
    for (const NodeFacts& n : facts_.nodes) {
      if (!counts(n)) continue;
      const StatusSample* s = latest(n);
      max_height_ = std::max(max_height_, s->height);
      if (two_samples(n)) {
        max_first_ = std::max(max_first_, n.first->height);
        max_second_ = std::max(max_second_, n.second->height);
        sample_seconds_ = std::max(sample_seconds_, n.sample_seconds);
        sampled_ = true;
      }
    }
    leader_rate_ =
        sampled_ && sample_seconds_ > 0
            ? static_cast<double>(max_second_ - std::min(max_first_, max_second_)) / sample_seconds_
            : 0;
  }

  void check_progress(const NodeFacts& n) {
    if (!counts(n)) return;
    const StatusSample* s = latest(n);
    const std::uint64_t lag = max_height_ - s->height;
    if (lag <= t_.lag_blocks) return;
    const std::string behind = n.name + " is " + std::to_string(lag) + " blocks behind (height " +
                               std::to_string(s->height) + " of " + std::to_string(max_height_) +
                               ")";
    std::string fix = status_cmd(n);
    if (!log_tail(n).empty()) fix += "; " + log_tail(n);
    if (!two_samples(n)) {
      add(Severity::kWarning, "lag", {n.name},
          behind + "; sample twice (sharechain doctor) to see whether it catches up", fix);
      return;
    }
    const double rate =
        static_cast<double>(n.second->height - std::min(n.first->height, n.second->height)) /
        n.sample_seconds;
    if (rate <= 0) {
      stalled_.insert(n.name);
      add(Severity::kCritical, "lag", {n.name},
          behind + " and did not advance in " + fmt(n.sample_seconds) + " s while the others " +
              (leader_rate_ > 0 ? "committed " + fmt(leader_rate_) + " blocks/s" : "stood still"),
          fix);
    } else if (rate > leader_rate_) {
      const double eta = static_cast<double>(lag) / (rate - leader_rate_);
      add(Severity::kWarning, "lag", {n.name},
          behind + ", catching up at " + fmt(rate) + " blocks/s (about " + fmt(eta, 0) +
              " s to go)",
          fix);
    } else {
      add(Severity::kCritical, "lag", {n.name},
          behind + " and falling further behind: " + fmt(rate) + " blocks/s against the chain's " +
              fmt(leader_rate_),
          fix);
    }
  }

  bool responsive(const NodeFacts& n) const {
    return counts(n) && !halted_.count(n.name) && !stalled_.count(n.name);
  }

  void check_quorum() {
    std::vector<std::string> down;
    std::vector<const NodeFacts*> down_nodes;
    std::set<std::uint32_t> seen;
    for (const NodeFacts& n : facts_.nodes) {
      if (follower(n)) continue;
      if (const auto v = validator_of(n)) seen.insert(*v);
      if (responsive(n)) {
        ++responsive_;
      } else {
        down.push_back(n.name);
        down_nodes.push_back(&n);
      }
    }
    std::vector<std::string> unchecked;
    for (std::uint32_t v = 0; v < n_; ++v) {
      if (!seen.count(v)) unchecked.push_back(name_of_validator(v));
    }
    // Nobody answered and no genesis says how many validators there are: nothing to count.
    if (!n_known_) return;
    const std::string counted =
        std::to_string(responsive_) + " of " + std::to_string(n_) + " validators respond";
    if (responsive_ >= quorum_) {
      const std::uint32_t spare = responsive_ - quorum_;
      add(Severity::kOk, "quorum", {},
          "quorum: " + counted + " (" + std::to_string(quorum_) + " needed); " +
              (spare == 0 ? "one more failure stops commits"
                          : std::to_string(spare) + " more may fail"),
          "");
      return;
    }
    quorum_lost_ = unchecked.empty();
    if (!quorum_lost_) {
      add(Severity::kWarning, "quorum", unchecked,
          "cannot confirm a quorum: " + counted + " among those checked (" +
              std::to_string(quorum_) + " needed); not checked: " + name_list(unchecked),
          "sharechain doctor --dir CLUSTER_DIR (checks every validator)");
      return;
    }
    // The fixes: one `kill -CONT` for every stopped process, one start for every node not running.
    std::vector<std::string> pids;
    std::vector<std::string> fixes;
    bool start = false;
    for (const NodeFacts* n : down_nodes) {
      if (n->pid && n->process_stopped) {
        pids.push_back(std::to_string(*n->pid));
      } else if (n->process_known && !n->pid && !facts_.cluster_dir.empty()) {
        start = true;
      } else if (n->reach == Reach::kAnswered) {
        continue;  // answers but is behind or halted: its own finding says what to do
      } else {
        fixes.push_back(revive_fix(*n));
      }
    }
    if (!pids.empty()) fixes.insert(fixes.begin(), "kill -CONT " + join(pids, " "));
    if (start) fixes.push_back("sharechain-net start --dir " + facts_.cluster_dir);
    const std::uint32_t missing = quorum_ - responsive_;
    add(Severity::kCritical, "quorum", down,
        "quorum lost: " + counted + ", " + std::to_string(quorum_) +
            " needed, so nothing can commit; bring back " +
            (missing < down.size() ? "at least " + std::to_string(missing) + " of " : "") +
            name_list(down),
        join(fixes, "; "));
  }

  void check_synced(const NodeFacts& n) {
    const StatusSample* s = latest(n);
    if (!s || s->synced || s->follower || foreign_.count(n.name) || halted_.count(n.name) ||
        stalled_.count(n.name))
      return;
    if (quorum_lost_) return;                             // the quorum finding explains it
    if (max_height_ - s->height > t_.lag_blocks) return;  // the lag finding explains it
    const std::string why = n.readyz && n.readyz->code != 200
                                ? reason_of(*n.readyz)
                                : "not in touch with a quorum of validators";
    add(Severity::kCritical, "synced", {n.name},
        n.name + " is not synced (" + why +
            "): it refuses new transactions and its reads may be stale",
        n.ops_address.empty() ? status_cmd(n) : ops_url(n, "/readyz") + "; " + status_cmd(n));
  }

  void check_voting(const NodeFacts& n) {
    if (!responsive(n) || follower(n) || !two_samples(n) || !n.metrics_first || !n.metrics_second)
      return;
    if (max_second_ <= max_first_) return;  // nothing to vote on while the chain stood still
    const auto sent1 = metric(*n.metrics_first, "sharechain_peer_sent_messages_total");
    const auto sent2 = metric(*n.metrics_second, "sharechain_peer_sent_messages_total");
    const auto recv1 = metric(*n.metrics_first, "sharechain_peer_received_messages_total");
    const auto recv2 = metric(*n.metrics_second, "sharechain_peer_received_messages_total");
    const std::string span = fmt(n.sample_seconds) + " s";
    if (sent1 && sent2 && *sent2 <= *sent1) {
      add(Severity::kWarning, "voting", {n.name},
          n.name + " sent no message to its peers in " + span +
              " while the chain advanced: it is not voting",
          ops_url(n, "/metrics") + " | grep sharechain_peer_");
    }
    if (recv1 && recv2 && *recv2 <= *recv1) {
      add(Severity::kWarning, "voting", {n.name},
          n.name + " received no message from its peers in " + span + " while the chain advanced",
          ops_url(n, "/metrics") + " | grep sharechain_peer_");
    }
  }

  void check_links() {
    for (const NodeFacts& n : facts_.nodes) {
      const StatusSample* s = latest(n);
      if (!s || !responsive(n)) continue;
      std::vector<std::string> cut;
      for (const PeerLink& p : s->peers) {
        const NodeFacts* other = node_of_validator(p.validator);
        if (!p.connected && other && responsive(*other)) cut.push_back(other->name);
      }
      if (!cut.empty()) {
        add(Severity::kWarning, "links", {n.name},
            n.name + " has no peer link to " + name_list(cut) + " although " +
                (cut.size() == 1 ? "it answers" : "they answer") +
                ": check the network and TLS between them",
            status_cmd(n));
      }
    }
  }

  void check_primary_and_views() {
    std::map<std::uint64_t, std::vector<std::string>> by_view;
    std::map<std::uint64_t, std::uint32_t> primary_of_view;
    for (const NodeFacts& n : facts_.nodes) {
      const StatusSample* s = latest(n);
      if (!s || !counts(n) || follower(n)) continue;
      by_view[s->view].push_back(n.name);
      primary_of_view[s->view] = s->primary;
    }
    if (by_view.empty()) return;
    std::uint64_t view = 0;
    std::size_t most = 0;
    for (const auto& [v, names] : by_view) {
      if (names.size() >= most) most = names.size(), view = v;  // ties go to the higher view
    }
    const std::uint32_t primary = n_ > 0 ? primary_of_view[view] : 0;
    view_ = view;
    primary_name_ = name_of_validator(primary);
    const NodeFacts* p = node_of_validator(primary);
    std::string stable;
    if (sampled_)
      stable = view_changes_seen()
                   ? ""
                   : "; no view change during the " + fmt(sample_seconds_) + " s sample";
    // How long the view has lasted, as the primary (else any node in it) counts it.
    std::string lasted;
    for (const NodeFacts* n : {p, node_by_name(by_view[view].front())}) {
      if (!n || !lasted.empty()) continue;
      const std::optional<MetricSample>& m = n->metrics_second ? n->metrics_second : n->metrics_first;
      if (!m) continue;
      if (auto d = metric(*m, "sharechain_view_duration_seconds")) lasted = " for " + duration_text(*d);
    }
    add(Severity::kOk, "primary",
        p ? std::vector<std::string>{p->name} : std::vector<std::string>{},
        "primary: " + primary_name_ + " (validator " + std::to_string(primary) + ") in view " +
            std::to_string(view) + lasted + stable,
        "");
    if (p && !responsive(*p) && !quorum_lost_) {
      add(Severity::kWarning, "primary", {p->name},
          "the primary of view " + std::to_string(view) + ", " + p->name +
              ", does not respond: the others move to the next view after their view timeout",
          revive_fix(*p));
    }
    if (by_view.size() > 1) {
      std::vector<std::string> parts;
      std::vector<std::string> odd;
      for (const auto& [v, names] : by_view) {
        parts.push_back(name_list(names) + " in view " + std::to_string(v));
        if (v != view) odd.insert(odd.end(), names.begin(), names.end());
      }
      add(Severity::kWarning, "views", odd,
          "views differ: " + join(parts, ", ") +
              " (a view change in progress, or a node out of touch)",
          odd.empty() ? "" : status_cmd(*node_by_name(odd.front())));
    }
    std::vector<std::string> storming;
    std::string detail;
    for (const NodeFacts& n : facts_.nodes) {
      if (!two_samples(n) || !counts(n) || follower(n)) continue;
      const std::uint64_t dv = n.second->view - std::min(n.first->view, n.second->view);
      const bool committed = n.second->height > n.first->height;
      if (dv >= t_.view_storm_views && !committed) {
        storming.push_back(n.name);
        if (detail.empty()) {
          detail = n.name + " went from view " + std::to_string(n.first->view) + " to " +
                   std::to_string(n.second->view) + " in " + fmt(n.sample_seconds) + " s";
        }
      }
    }
    if (!storming.empty()) {
      add(Severity::kWarning, "views", storming,
          "view changes storming without commits: " + detail +
              " (validators out of touch with each other, or a view timeout shorter than a block "
              "takes)",
          "sharechain status --node " + node_by_name(storming.front())->client_address);
    }
  }

  bool view_changes_seen() const {
    for (const NodeFacts& n : facts_.nodes) {
      if (two_samples(n) && n.second->view != n.first->view) return true;
    }
    return false;
  }

  const NodeFacts* node_by_name(const std::string& name) const {
    for (const NodeFacts& n : facts_.nodes) {
      if (n.name == name) return &n;
    }
    return nullptr;
  }

  void check_commits_stalled() {
    if (!sampled_ || quorum_lost_ || max_second_ > max_first_) return;
    std::uint64_t waiting = 0;
    for (const NodeFacts& n : facts_.nodes) {
      if (!two_samples(n) || !responsive(n)) continue;
      if (n.first->mempool_size > 0 && n.second->mempool_size > 0) {
        waiting = std::max(waiting, std::min(n.first->mempool_size, n.second->mempool_size));
      }
    }
    if (waiting == 0) return;
    const NodeFacts* p = nullptr;
    for (const NodeFacts& n : facts_.nodes) {
      if (n.name == primary_name_) p = &n;
    }
    std::string fix = p ? status_cmd(*p) : "";
    if (p && !log_tail(*p).empty()) fix += "; " + log_tail(*p);
    add(Severity::kCritical, "commits",
        p ? std::vector<std::string>{p->name} : std::vector<std::string>{},
        "nothing committed in " + fmt(sample_seconds_) + " s although " + std::to_string(waiting) +
            " transactions wait in the mempool (primary " + primary_name_ + ", view " +
            std::to_string(view_) + ")",
        fix);
  }

  void check_mempool(const NodeFacts& n) {
    const StatusSample* s = latest(n);
    if (!s) return;
    const std::uint64_t max_txs = n.mempool_max_txs.value_or(t_.default_mempool_max_txs);
    const std::uint64_t max_bytes = n.mempool_max_bytes.value_or(t_.default_mempool_max_bytes);
    std::optional<double> bytes;
    if (n.metrics_second) bytes = metric(*n.metrics_second, "sharechain_mempool_bytes");
    if (!bytes && n.metrics_first) bytes = metric(*n.metrics_first, "sharechain_mempool_bytes");
    const bool full_txs = max_txs > 0 && static_cast<double>(s->mempool_size) >=
                                             t_.mempool_warning_fraction * max_txs;
    const bool full_bytes =
        bytes && max_bytes > 0 && *bytes >= t_.mempool_warning_fraction * max_bytes;
    if (full_txs || full_bytes) {
      add(Severity::kWarning, "mempool", {n.name},
          n.name + "'s mempool is nearly full: " + std::to_string(s->mempool_size) + " of " +
              std::to_string(max_txs) + " transactions" +
              (bytes ? ", " + bytes_text(static_cast<std::uint64_t>(*bytes)) + " of " +
                           bytes_text(max_bytes)
                     : "") +
              "; beyond the limit it refuses transactions with RESOURCE_EXHAUSTED",
          ops_url(n, "/metrics") + " | grep -E 'sharechain_(mempool|committed)'");
    }
  }

  // Clocks are compared among the nodes, not with this machine's: the median node is the
  // reference, so a doctor run from a host with a wrong clock blames no node.
  void check_clocks() {
    std::vector<std::pair<double, const NodeFacts*>> offsets;
    for (const NodeFacts& n : facts_.nodes) {
      if (n.clock_offset_seconds && latest(n)) offsets.push_back({*n.clock_offset_seconds, &n});
    }
    if (offsets.size() < 2) return;
    std::vector<double> sorted;
    for (const auto& [o, n] : offsets) sorted.push_back(o);
    std::sort(sorted.begin(), sorted.end());
    const std::size_t k = sorted.size();
    const double median = k % 2 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    double widest = 0;
    for (const auto& [o, n] : offsets) {
      const double off = o - median;
      widest = std::max(widest, std::abs(off));
      if (std::abs(off) < t_.clock_warning_seconds) continue;
      const bool critical = std::abs(off) >= t_.clock_critical_seconds;
      const std::string side = off > 0 ? "ahead of" : "behind";
      add(critical ? Severity::kCritical : Severity::kWarning, "clock", {n->name},
          n->name + "'s clock is " + fmt(std::abs(off)) + " s " + side + " the other nodes'" +
              (critical ? (off > 0 ? ": as primary its proposals are refused (a timestamp more than " +
                                         fmt(t_.clock_critical_seconds, 0) + " s ahead), so every view it leads ends in a view change"
                                   : ": it refuses the others' proposals as too far ahead of its clock, and cannot vote for them")
                        : " (the consensus rule refuses a proposal more than " + fmt(t_.clock_critical_seconds, 0) +
                              " s ahead of a replica's clock)"),
          "sync its clock: on its host, `timedatectl status` and `chronyc tracking` (or `ntpq -p`) say how");
    }
    if (widest < t_.clock_warning_seconds) {
      add(Severity::kOk, "clock", {},
          "clocks agree: the " + std::to_string(offsets.size()) + " nodes that answered are within " +
              fmt(widest, 2) + " s of each other's median", "");
    }
  }

  void check_disk(const NodeFacts& n) {
    if (!n.disk || n.disk->total_bytes == 0) return;
    const DiskSpace& d = *n.disk;
    const double fraction =
        static_cast<double>(d.available_bytes) / static_cast<double>(d.total_bytes);
    const std::string what = n.name + "'s data folder " + d.path + " has " +
                             bytes_text(d.available_bytes) + " free of " +
                             bytes_text(d.total_bytes) + " (" + fmt(100 * fraction) + "%)";
    if (fraction < t_.disk_critical_fraction || d.available_bytes < t_.disk_critical_bytes) {
      add(Severity::kCritical, "disk", {n.name}, what + ": a full disk halts the node",
          "df -h " + d.path);
    } else if (fraction < t_.disk_warning_fraction || d.available_bytes < t_.disk_warning_bytes) {
      add(Severity::kWarning, "disk", {n.name}, what, "df -h " + d.path);
    }
  }

  void node_summary(const NodeFacts& n) {
    const StatusSample* s = latest(n);
    if (!s || flagged_.count(n.name)) return;
    std::size_t linked = 0;
    for (const PeerLink& p : s->peers) linked += p.connected ? 1 : 0;
    std::string m = n.name + ": height " + std::to_string(s->height) + ", view " +
                    std::to_string(s->view) + ", " +
                    (s->follower ? "follower (votes on nothing until the chain admits its key)"
                     : s->synced ? "synced"
                                 : "not synced") +
                    ", " +
                    std::to_string(linked) + " of " + std::to_string(s->peers.size()) +
                    " peers linked, mempool " + std::to_string(s->mempool_size) + " txs";
    if (two_samples(n)) {
      m += ", " +
           fmt(static_cast<double>(n.second->height - std::min(n.first->height, n.second->height)) /
               n.sample_seconds) +
           " blocks/s";
    }
    if (n.disk && n.disk->total_bytes > 0)
      m += ", " + bytes_text(n.disk->available_bytes) + " disk free";
    add(Severity::kOk, "node", {n.name}, m, "");
  }

  Report finish() {
    Report r;
    // Critical first, and among those a lost quorum first: it is what stops the whole chain.
    auto rank = [](const Finding& f) {
      return f.check == "quorum" ? 0 : f.check == "identity" ? 1 : 2;
    };
    std::stable_sort(findings_.begin(), findings_.end(),
                     [&rank](const Finding& a, const Finding& b) {
                       if (a.severity != b.severity) return a.severity > b.severity;
                       return rank(a) < rank(b);
                     });
    for (const Finding& f : findings_) {
      r.critical += f.severity == Severity::kCritical ? 1 : 0;
      r.warnings += f.severity == Severity::kWarning ? 1 : 0;
    }
    r.healthy = r.critical == 0;
    if (facts_.nodes.empty()) {
      r.healthy = false;
      r.verdict = "unhealthy: no node to check";
    } else if (r.critical > 0) {
      r.verdict =
          "unhealthy: " + findings_.front().message +
          (r.critical > 1 ? " (and " + std::to_string(r.critical - 1) + " more critical)" : "");
    } else {
      r.verdict = "healthy: " + std::to_string(responsive_) + " of " + std::to_string(n_) +
                  " validators respond and follow the chain at height " +
                  std::to_string(max_height_) + " (view " + std::to_string(view_) + ", primary " +
                  primary_name_ + ")";
      if (r.warnings > 0) {
        r.verdict += "; " + std::to_string(r.warnings) +
                     (r.warnings == 1 ? " warning: " : " warnings, first: ") +
                     findings_.front().message;
      }
    }
    r.findings = std::move(findings_);
    return r;
  }

  const ClusterFacts& facts_;
  const Thresholds& t_;
  std::vector<Finding> findings_;
  std::set<std::string> flagged_;  // nodes with a warning or critical finding
  std::set<std::string> foreign_;  // of another chain, genesis or key
  std::set<std::string> halted_;
  std::set<std::string> stalled_;  // behind and not advancing
  std::uint32_t n_ = 0;
  bool n_known_ = true;  // the validator count came from a genesis or a node's answer
  std::uint32_t quorum_ = 1;
  std::uint32_t responsive_ = 0;
  bool quorum_lost_ = false;
  bool stale_chain_ = false;  // the cluster folder's genesis, not the nodes, is the odd one out
  bool stale_hash_ = false;
  std::uint64_t max_height_ = 0;
  std::uint64_t max_first_ = 0;
  std::uint64_t max_second_ = 0;
  double sample_seconds_ = 0;
  bool sampled_ = false;
  double leader_rate_ = 0;
  std::uint64_t view_ = 0;
  std::string primary_name_ = "unknown";
};

}  // namespace

std::string_view severity_name(Severity severity) {
  switch (severity) {
    case Severity::kOk:
      return "ok";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "ok";
}

MetricSample parse_prometheus(std::string_view text) {
  MetricSample out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // The value follows the name (and its labels, which may hold spaces inside quotes).
    std::size_t name_end = line.find('{');
    std::size_t value_start;
    if (name_end != std::string_view::npos && name_end < line.find(' ')) {
      const std::size_t close = line.find('}', name_end);
      if (close == std::string_view::npos) continue;
      name_end = close + 1;
    } else {
      name_end = line.find(' ');
      if (name_end == std::string_view::npos) continue;
    }
    value_start = line.find_first_not_of(' ', name_end);
    if (value_start == std::string_view::npos) continue;
    std::string_view value = line.substr(value_start);
    value = value.substr(0, value.find(' '));  // an optional timestamp follows
    try {
      std::size_t used = 0;
      const double v = std::stod(std::string(value), &used);
      if (used != value.size()) continue;
      out[std::string(line.substr(0, name_end))] = v;
    } catch (const std::exception&) {
    }
  }
  return out;
}

std::optional<double> metric(const MetricSample& sample, std::string_view name) {
  const auto it = sample.find(std::string(name));
  if (it == sample.end()) return std::nullopt;
  return it->second;
}

Report diagnose(const ClusterFacts& facts, const Thresholds& thresholds) {
  return Doctor(facts, thresholds).run();
}

Json report_json(const Report& report) {
  Json findings = Json::array();
  for (const Finding& f : report.findings) {
    findings.push_back({{"severity", std::string(severity_name(f.severity))},
                        {"check", f.check},
                        {"node", f.nodes.empty() ? std::string("cluster") : join(f.nodes, ",")},
                        {"nodes", f.nodes},
                        {"message", f.message},
                        {"fix", f.fix}});
  }
  return Json{{"healthy", report.healthy},
              {"verdict", report.verdict},
              {"critical", report.critical},
              {"warnings", report.warnings},
              {"findings", std::move(findings)}};
}

void print_report(std::ostream& out, const Report& report) {
  for (const Finding& f : report.findings) {
    std::string tag = std::string(severity_name(f.severity));
    tag.resize(8, ' ');
    std::string who = f.nodes.empty() ? "cluster" : join(f.nodes, ",");
    if (who.size() < 10) who.resize(10, ' ');
    out << tag << " " << who << " " << f.message;
    if (!f.fix.empty()) out << "  -> " << f.fix;
    out << "\n";
  }
  out << "verdict: " << report.verdict << "\n";
}

}  // namespace sharechain::tools::doctor
