// sharechain-sim: runs the consensus engine through seeded fault scenarios and checks its
// invariants. Exits 1 if any seed violates one, printing the seed and the command that replays
// it; `--trace` on a single seed prints every event and action. With --expect-violation (more
// than f faulty validators) the seeds are a search instead: it stops at the first seed on which
// two honest validators commit different blocks at one height, and exits 0 only if it found one
// and nothing else went wrong on the way.
//
// `--replay FILE` instead runs the engine again on a node's consensus input trace ([debug]
// trace_inputs, consensus/trace.hpp) and reports whether it took the same decisions: exit 0 when
// identical, 1 at the first input whose actions differ, 2 when the file cannot be read.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "consensus/trace.hpp"
#include "tools/sim/simulator.hpp"

namespace {

using sharechain::sim::Options;
using sharechain::sim::Outcome;

bool parse_seeds(const std::string& text, uint64_t& first, uint64_t& count) {
  const size_t colon = text.find(':');
  try {
    size_t used = 0;
    first = std::stoull(text.substr(0, colon), &used);
    if (used != (colon == std::string::npos ? text.size() : colon)) return false;
    count = 1;
    if (colon != std::string::npos) {
      const std::string rest = text.substr(colon + 1);
      count = std::stoull(rest, &used);
      if (used != rest.size()) return false;
    }
  } catch (const std::exception&) {
    return false;
  }
  return count > 0;
}

// Replays a node's input trace; see tools/sim/README.md ("Replaying a node's trace").
int run_replay(const std::string& file, bool json, bool trace) {
  namespace consensus = sharechain::consensus;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "cannot open " << file << "\n";
    return 2;
  }
  const auto started = std::chrono::steady_clock::now();
  std::function<void(const consensus::ReplayStep&)> observe;
  if (trace) {
    observe = [rejected = uint64_t{0},
               engine = static_cast<const consensus::Engine*>(nullptr)](
                  const consensus::ReplayStep& step) mutable {
      if (step.engine != engine) {  // a new segment: a new engine
        engine = step.engine;
        rejected = 0;
        std::cout << "-- engine of validator " << engine->config().self << " of "
                  << engine->config().validators.size() << ", chain '"
                  << engine->config().chain_id << "'\n";
      }
      std::cout << "[" << step.input->now_ms() << "] #" << step.index << " <- "
                << consensus::describe_input(*step.input)
                << (step.identical ? "" : "   <-- DIFFERS from the recording") << "\n";
      if (engine->rejections_total() != rejected && engine->last_rejection()) {
        rejected = engine->rejections_total();
        std::cout << "  rejected " << engine->last_rejection()->text() << "\n";
      }
      for (const consensus::Action& a : *step.actions) {
        std::cout << "  " << consensus::describe(a) << "\n";
      }
    };
  }
  const consensus::ReplayReport r = consensus::replay_trace(in, nullptr, observe);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool identical = r.identical();
  if (json) {
    nlohmann::json out = {{"file", file},
                          {"segments", r.segments},
                          {"inputs", r.inputs},
                          {"view", r.view},
                          {"committed_height", r.committed},
                          {"executed_height", r.executed},
                          {"halts", r.halts},
                          {"rejections", r.rejections},
                          {"truncated_tail", r.truncated},
                          {"identical", identical},
                          {"wall_seconds", secs}};
    if (!r.halt_reason.empty()) out["halt_reason"] = r.halt_reason;
    if (r.first_divergence) {
      out["first_divergence"] = *r.first_divergence;
      out["divergence"] = r.divergence;
    }
    if (!r.error.empty()) out["error"] = r.error;
    std::cout << out.dump(2) << "\n";
  } else {
    std::string verdict;
    if (!r.error.empty()) {
      verdict = "ERROR: " + r.error;
    } else if (r.first_divergence) {
      verdict = "DIFFERS at " + r.divergence;
    } else {
      verdict = "identical";
    }
    std::printf(
        "replayed %llu inputs in %llu segment%s%s: view %llu, committed height %llu, executed "
        "height %llu, %llu halts%s, %llu rejections; %.1f s: %s\n",
        static_cast<unsigned long long>(r.inputs), static_cast<unsigned long long>(r.segments),
        r.segments == 1 ? "" : "s", r.truncated ? " (a cut-off last record ignored)" : "",
        static_cast<unsigned long long>(r.view), static_cast<unsigned long long>(r.committed),
        static_cast<unsigned long long>(r.executed), static_cast<unsigned long long>(r.halts),
        r.halt_reason.empty() ? "" : (" (" + r.halt_reason + ")").c_str(),
        static_cast<unsigned long long>(r.rejections), secs, verdict.c_str());
  }
  if (!r.error.empty()) return 2;
  return identical ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Deterministic simulation of the ShareChain PBFT engine under faults"};
  Options base;
  std::string seeds = "1:100";
  std::string behaviour;
  bool json = false;
  bool trace = false;
  app.add_option("--nodes", base.nodes, "Validators (n = 3f+1 tolerates f Byzantine)")
      ->capture_default_str();
  app.add_option("--seeds", seeds, "FIRST:COUNT, the seeds to run")->capture_default_str();
  app.add_option("--byzantine", base.byzantine, "Byzantine validators (with the twins, at most f)")
      ->capture_default_str();
  app.add_option("--twins", base.twins,
                 "Validators run as two engines sharing one key and index (Twins), with node "
                 "partitions drawn per phase")
      ->capture_default_str();
  app.add_flag("--expect-violation", base.expect_violation,
               "With more than f faulty validators: search the seeds for one on which honest "
               "validators commit different blocks at one height; exit 0 only if one does");
  app.add_option("--behaviour", behaviour,
                 "Byzantine behaviour: silent, equivocate, double-vote, stale-future, forge, "
                 "bogus-view-change or mixed (default: drawn per seed)");
  app.add_flag("--real-crypto", base.real_crypto, "Sign with BIP340 keys instead of fast fakes");
  app.add_flag("--reconfigure", base.reconfigure,
               "Change the validator set mid-run: node n joins, a validator (a Byzantine one if "
               "any) leaves, an honest validator's key is rotated");
  app.add_option("--fault-ms", base.fault_ms, "Simulated time during which faults happen")
      ->capture_default_str();
  app.add_option("--liveness-bound-ms", base.liveness_bound_ms,
                 "After the heal, every transaction must commit everywhere within this")
      ->capture_default_str();
  app.add_flag("--json", json, "Print the summary as JSON");
  app.add_flag("--trace", trace, "Print every event and action (use with a single seed)");
  std::string replay_file;
  app.add_option("--replay", replay_file,
                 "Run the engine again on a node's input trace ([debug] trace_inputs) and check "
                 "it takes the same decisions");
  CLI11_PARSE(app, argc, argv);
  if (!replay_file.empty()) return run_replay(replay_file, json, trace);

  uint64_t first = 0;
  uint64_t count = 0;
  if (!parse_seeds(seeds, first, count)) {
    std::cerr << "--seeds must be FIRST or FIRST:COUNT with COUNT > 0\n";
    return 2;
  }
  if (!behaviour.empty()) {
    base.behaviour = sharechain::sim::behaviour_from_name(behaviour);
    if (!base.behaviour) {
      std::cerr << "unknown --behaviour '" << behaviour << "'\n";
      return 2;
    }
  }
  if (std::string err = sharechain::sim::check_options(base); !err.empty()) {
    std::cerr << err << "\n";
    return 2;
  }
  if (trace) base.trace = &std::cout;

  const auto started = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  uint64_t searched = 0;
  std::optional<uint64_t> fork_seed;
  nlohmann::json fork = nullptr;
  uint64_t blocks = 0, txs = 0, events = 0, messages = 0, view_changes = 0, crashes = 0,
           fetched = 0, evidence = 0, max_recovery = 0, max_persisted = 0, new_views = 0,
           reproposals = 0, contested = 0, halts = 0, epochs = 0, switched_runs = 0;
  nlohmann::json failed = nlohmann::json::array();
  for (uint64_t seed = first; seed < first + count; ++seed) {
    Options o = base;
    o.seed = seed;
    const Outcome out = sharechain::sim::simulate(o);
    ++searched;
    blocks += out.stats.blocks;
    txs += out.stats.transactions;
    events += out.stats.events;
    messages += out.stats.messages;
    view_changes += out.stats.view_changes;
    crashes += out.stats.crashes;
    fetched += out.stats.fetched_blocks;
    evidence += out.stats.evidence;
    new_views += out.stats.new_views;
    reproposals += out.stats.reproposals;
    contested += out.stats.contested;
    halts += out.stats.halts;
    epochs += out.stats.epochs;
    if (out.stats.epochs > 0) ++switched_runs;
    max_recovery = std::max(max_recovery, out.stats.recovered_ms);
    max_persisted = std::max(max_persisted, out.stats.max_persisted_keys);
    if (out.ok) continue;
    const std::string replay = sharechain::sim::replay_command(o);
    if (base.expect_violation && out.agreement_violated) {
      fork_seed = seed;
      fork = {{"seed", seed},
              {"violation", out.violation},
              {"at_ms", out.violation_ms},
              {"replay", replay + " --trace"}};
      if (!json) {
        std::cout << "FORK seed " << seed << " at " << out.violation_ms << " ms: " << out.violation
                  << "\n"
                  << out.scenario << "replay: " << replay << " --trace\n\n";
      }
      break;
    }
    ++failures;
    failed.push_back({{"seed", seed},
                      {"violation", out.violation},
                      {"at_ms", out.violation_ms},
                      {"replay", replay}});
    if (!json) {
      std::cout << "FAIL seed " << seed << " at " << out.violation_ms << " ms: " << out.violation
                << "\n"
                << out.scenario << "replay: " << replay << "\n\n";
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (json) {
    nlohmann::json summary = {{"nodes", base.nodes},
                              {"byzantine", base.byzantine},
                              {"real_crypto", base.real_crypto},
                              {"first_seed", first},
                              {"seeds", count},
                              {"failed", failures},
                              {"blocks", blocks},
                              {"transactions", txs},
                              {"events", events},
                              {"messages", messages},
                              {"view_changes", view_changes},
                              {"crashes", crashes},
                              {"fetched_blocks", fetched},
                              {"evidence", evidence},
                              {"new_views", new_views},
                              {"new_views_with_prepared", reproposals},
                              {"new_views_contested", contested},
                              {"max_recovery_ms", max_recovery},
                              {"max_persisted_records", max_persisted},
                              {"wall_seconds", secs},
                              {"failures", failed}};
    // Only runs that use the new options grow new fields: older summaries stay byte-identical.
    if (base.twins > 0) summary["twins"] = base.twins;
    if (base.reconfigure) {
      summary["reconfigure"] = true;
      summary["epochs"] = epochs;
      summary["seeds_with_a_switch"] = switched_runs;
    }
    if (base.expect_violation) {
      summary["expect_violation"] = true;
      summary["searched"] = searched;
      summary["fork"] = fork;
      summary["halts"] = halts;
    }
    std::cout << summary.dump(2) << "\n";
  } else {
    if (base.expect_violation) {
      std::printf("searched %llu of %llu seeds: %s\n", static_cast<unsigned long long>(searched),
                  static_cast<unsigned long long>(count),
                  fork_seed ? ("agreement violated on seed " + std::to_string(*fork_seed)).c_str()
                            : "NO seed violated agreement");
    }
    std::string twins =
        base.twins > 0 ? ", twins=" + std::to_string(base.twins) : std::string();
    if (base.reconfigure) {
      twins += ", reconfigure: " + std::to_string(epochs) + " epoch switches in " +
               std::to_string(switched_runs) + " seeds";
    }
    std::printf(
        "%llu seeds (n=%u, byzantine=%u%s%s): %llu failed; %llu blocks, %llu transactions, %llu "
        "events, %llu messages, %llu view changes, %llu crashes, %llu blocks fetched, %llu "
        "evidence; %llu new views (%llu with prepared certificates, %llu contested); slowest "
        "recovery after heal %llu ms; at most %llu persisted records; %.1f s\n",
        static_cast<unsigned long long>(searched), base.nodes, base.byzantine, twins.c_str(),
        base.real_crypto ? ", real crypto" : "", static_cast<unsigned long long>(failures),
        static_cast<unsigned long long>(blocks), static_cast<unsigned long long>(txs),
        static_cast<unsigned long long>(events), static_cast<unsigned long long>(messages),
        static_cast<unsigned long long>(view_changes), static_cast<unsigned long long>(crashes),
        static_cast<unsigned long long>(fetched), static_cast<unsigned long long>(evidence),
        static_cast<unsigned long long>(new_views), static_cast<unsigned long long>(reproposals),
        static_cast<unsigned long long>(contested), static_cast<unsigned long long>(max_recovery),
        static_cast<unsigned long long>(max_persisted), secs);
  }
  if (base.expect_violation) return failures == 0 && fork_seed ? 0 : 1;
  return failures == 0 ? 0 : 1;
}
