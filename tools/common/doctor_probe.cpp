#include "tools/common/doctor_probe.hpp"

#include <sys/statvfs.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "tools/common/client.hpp"
#include "tools/common/http_get.hpp"

namespace sharechain::tools::doctor {
namespace {

using Clock = std::chrono::steady_clock;

StatusSample sample_of(const api::NodeStatus& s) {
  StatusSample out;
  out.chain_id = s.chain_id();
  out.node_name = s.node_name();
  out.node_id = s.node_id();
  out.validators = s.validators();
  out.height = s.height();
  out.view = s.view();
  out.primary = s.primary();
  out.mempool_size = s.mempool_size();
  out.synced = s.synced();
  out.certified_height = s.certified_height();
  out.follower = s.follower();
  for (const api::PeerStatus& p : s.peers())
    out.peers.push_back({p.validator(), p.address(), p.connected()});
  return out;
}

struct StatusAnswer {
  std::optional<api::NodeStatus> status;
  Reach reach = Reach::kError;
  std::string error;
  Clock::time_point asked_at;
};

StatusAnswer ask_status(client::Node& client) {
  StatusAnswer a;
  a.asked_at = Clock::now();
  auto ctx = client.context(client.timeout());
  api::NodeStatus out;
  const grpc::Status st = client.stub().GetStatus(ctx.get(), api::GetStatusRequest(), &out);
  if (st.ok()) {
    a.status = std::move(out);
    a.reach = Reach::kAnswered;
    return a;
  }
  a.error = st.error_message();
  if (st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    a.reach = Reach::kTimedOut;
    a.error = "no answer within " + std::to_string(client.timeout().count()) + " ms";
  } else if (st.error_code() == grpc::StatusCode::UNAVAILABLE) {
    a.reach = Reach::kRefused;
  }
  return a;
}

constexpr std::string_view kHttpsOnly = "this operations port serves HTTPS only";
constexpr std::string_view kHttpsOnlyHint =
    " serves HTTPS only: give its CA certificate with --tls-ca (a cluster folder's tls/ca.pem)";

std::optional<HttpAnswer> ask_http(const std::string& address, const char* path,
                                   const std::string& tls_ca, std::chrono::milliseconds timeout,
                                   std::string* error) {
  Outcome<HttpResponse> r = http_get(address, path, timeout, tls_ca);
  if (!r) {
    if (error->empty()) *error = r.failure().message;
    return std::nullopt;
  }
  if (r->status == 400 && r->body.rfind(kHttpsOnly, 0) == 0) {
    if (error->empty()) {
      *error = "the operations port " + address + std::string(kHttpsOnlyHint);
    }
    return std::nullopt;
  }
  return HttpAnswer{r->status, std::move(r->body)};
}

std::optional<VersionInfo> version_of(const HttpAnswer& a) {
  if (a.code != 200) return std::nullopt;
  try {
    const Json j = Json::parse(a.body);
    VersionInfo v;
    if (j.contains("chain_id") && j["chain_id"].is_string())
      v.chain_id = j["chain_id"].get<std::string>();
    if (j.contains("genesis_hash") && j["genesis_hash"].is_string())
      v.genesis_hash = j["genesis_hash"].get<std::string>();
    if (j.contains("validator") && j["validator"].is_number_unsigned())
      v.validator = j["validator"].get<std::uint32_t>();
    if (j.contains("node") && j["node"].is_string()) v.node = j["node"].get<std::string>();
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// State letter of /proc/PID/stat ('T' stopped by a signal, 't' by a tracer).
bool process_stopped(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const std::size_t close = line.rfind(')');  // the command name may hold spaces and ')'
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  return state == 'T' || state == 't';
}

std::optional<DiskSpace> disk_of(const std::string& dir) {
  struct statvfs s {};
  if (dir.empty() || ::statvfs(dir.c_str(), &s) != 0) return std::nullopt;
  DiskSpace d;
  d.path = dir;
  d.available_bytes = static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
  d.total_bytes = static_cast<std::uint64_t>(s.f_blocks) * s.f_frsize;
  return d;
}

// One node through the collection.
struct Probe {
  ProbeTarget target;
  std::optional<std::uint32_t> expect_validator;  // a guessed address must answer as this one
  NodeFacts facts;
  std::unique_ptr<client::Node> client;
  std::optional<api::NodeStatus> last;
  Clock::time_point first_at;
};

// The first look: GetStatus and the operations port at once, so a paused node costs one deadline.
void first_look(Probe& p, const ProbeOptions& o) {
  NodeFacts& f = p.facts;
  if (p.target.pid) {
    f.process_stopped = process_stopped(*p.target.pid);
  }
  if (!p.target.data_dir.empty()) f.disk = disk_of(p.target.data_dir);
  if (p.target.process_known && !p.target.pid) {
    f.reach = Reach::kNotRunning;
    return;
  }
  p.client = std::make_unique<client::Node>(p.target.client_address, o.timeout,
                                            client::Node::Connection::kPrivate);
  const std::string ops = f.ops_address;
  const std::string& ca = p.target.ops_tls_ca;
  std::string metrics_error, health_error, ready_error, version_error;
  std::chrono::system_clock::time_point metrics_sent, metrics_got;
  auto status = std::async(std::launch::async, [&] { return ask_status(*p.client); });
  std::future<std::optional<HttpAnswer>> metrics, healthz, readyz, version;
  if (!ops.empty()) {
    metrics = std::async(std::launch::async, [&] {
      metrics_sent = std::chrono::system_clock::now();
      auto answer = ask_http(ops, "/metrics", ca, o.timeout, &metrics_error);
      metrics_got = std::chrono::system_clock::now();
      return answer;
    });
    healthz = std::async(std::launch::async,
                         [&] { return ask_http(ops, "/healthz", ca, o.timeout, &health_error); });
    readyz = std::async(std::launch::async,
                        [&] { return ask_http(ops, "/readyz", ca, o.timeout, &ready_error); });
    version = std::async(std::launch::async,
                         [&] { return ask_http(ops, "/version", ca, o.timeout, &version_error); });
  }
  StatusAnswer a = status.get();
  p.first_at = a.asked_at;
  f.reach = a.reach;
  f.error = a.error;
  if (a.status) {
    if (p.expect_validator && a.status->node_id() != *p.expect_validator) {
      f.reach = Reach::kRefused;
      f.error = "the node answering at " + p.target.client_address + " is validator " +
                std::to_string(a.status->node_id()) + ", not " +
                std::to_string(*p.expect_validator);
    } else {
      f.first = sample_of(*a.status);
      p.last = std::move(a.status);
      if (p.target.name.empty() && !f.first->node_name.empty()) f.name = f.first->node_name;
    }
  }
  if (ops.empty()) return;
  std::optional<HttpAnswer> m = metrics.get();
  f.healthz = healthz.get();
  f.readyz = readyz.get();
  std::optional<HttpAnswer> v = version.get();
  if (v) f.version = version_of(*v);
  if (m && m->code == 200) {
    f.metrics_first = parse_prometheus(m->body);
    if (auto node_clock = metric(*f.metrics_first, "sharechain_clock_seconds")) {
      // The node read its clock somewhere during the request: take the middle.
      const auto middle = metrics_sent + (metrics_got - metrics_sent) / 2;
      f.clock_offset_seconds = *node_clock - std::chrono::duration<double>(middle.time_since_epoch()).count();
    }
  }
  f.ops_error = !metrics_error.empty() ? metrics_error : health_error;
  // A guessed operations address is believed only when the node there is this one; a port
  // that answered "HTTPS only" is a sharechaind's, and the finding must say what it wants.
  const bool https_only = f.ops_error.find(kHttpsOnlyHint) != std::string::npos;
  if (p.target.ops_address.empty() && !https_only &&
      (!f.first || !f.version || f.version->validator != f.first->node_id)) {
    f.metrics_first.reset();
    f.clock_offset_seconds.reset();
    f.healthz.reset();
    f.readyz.reset();
    f.version.reset();
    f.ops_address.clear();
  }
}

void second_look(Probe& p, const ProbeOptions& o) {
  NodeFacts& f = p.facts;
  if (f.reach != Reach::kAnswered || o.sample.count() == 0) return;
  std::this_thread::sleep_until(p.first_at + o.sample);
  std::string metrics_error;
  std::future<std::optional<HttpAnswer>> metrics;
  if (!f.ops_address.empty()) {
    metrics = std::async(std::launch::async, [&] {
      return ask_http(f.ops_address, "/metrics", p.target.ops_tls_ca, o.timeout, &metrics_error);
    });
  }
  StatusAnswer a = ask_status(*p.client);
  f.sample_seconds = std::chrono::duration<double>(a.asked_at - p.first_at).count();
  f.reach = a.reach;
  f.error = a.error;
  if (a.status) {
    f.second = sample_of(*a.status);
    p.last = std::move(a.status);
  }
  if (metrics.valid()) {
    std::optional<HttpAnswer> m = metrics.get();
    if (m && m->code == 200) f.metrics_second = parse_prometheus(m->body);
  }
  if (f.process_known && f.pid) f.process_stopped = process_stopped(*f.pid);
}

Probe probe_for(const ProbeTarget& t, const ProbeOptions& o) {
  Probe p;
  p.target = t;
  if (p.target.ops_tls_ca.empty()) p.target.ops_tls_ca = o.ops_tls_ca;
  NodeFacts& f = p.facts;
  f.name = t.name.empty() ? t.client_address : t.name;
  f.validator = t.validator;
  f.client_address = t.client_address;
  f.ops_address = t.ops_address.empty() ? shift_port(t.client_address, 2) : t.ops_address;
  f.ops_tls_ca = p.target.ops_tls_ca;
  f.process_known = t.process_known;
  f.pid = t.pid;
  f.key_file_public_key = t.key_file_public_key;
  f.mempool_max_txs = t.mempool_max_txs;
  f.mempool_max_bytes = t.mempool_max_bytes;
  f.log_file = t.log_file;
  return p;
}

template <typename Fn>
void for_each_parallel(std::vector<Probe>& probes, std::size_t from, Fn fn) {
  std::vector<std::thread> threads;
  for (std::size_t i = from; i < probes.size(); ++i)
    threads.emplace_back([&, i] { fn(probes[i]); });
  for (std::thread& t : threads) t.join();
}

}  // namespace

std::string shift_port(const std::string& address, int delta) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos) return "";
  int port = 0;
  const char* b = address.data() + colon + 1;
  const char* e = address.data() + address.size();
  const auto [end, ec] = std::from_chars(b, e, port);
  if (ec != std::errc() || end != e || port + delta < 1 || port + delta > 65535) return "";
  return address.substr(0, colon + 1) + std::to_string(port + delta);
}

Collected collect(const std::vector<ProbeTarget>& targets, std::optional<Expectation> expected,
                  std::string cluster_dir, const ProbeOptions& options) {
  std::vector<Probe> probes;
  probes.reserve(targets.size());
  for (const ProbeTarget& t : targets) probes.push_back(probe_for(t, options));
  for_each_parallel(probes, 0, [&](Probe& p) { first_look(p, options); });

  if (options.follow_peers) {
    std::set<std::uint32_t> known;
    for (const Probe& p : probes) {
      if (p.facts.validator) known.insert(*p.facts.validator);
      if (p.facts.first) known.insert(p.facts.first->node_id);
    }
    std::map<std::uint32_t, std::string> peers;
    for (const Probe& p : probes) {
      if (!p.facts.first) continue;
      for (const PeerLink& l : p.facts.first->peers) {
        if (!known.count(l.validator) && !l.address.empty()) peers.emplace(l.validator, l.address);
      }
    }
    const std::size_t from = probes.size();
    for (const auto& [v, peer_address] : peers) {
      ProbeTarget t;
      t.name = "validator " + std::to_string(v);
      t.validator = v;
      t.client_address = shift_port(peer_address, -1);
      if (t.client_address.empty()) continue;
      Probe p = probe_for(t, options);
      p.facts.address_guessed = true;
      p.expect_validator = v;
      probes.push_back(std::move(p));
    }
    for_each_parallel(probes, from, [&](Probe& p) { first_look(p, options); });
    // Name a peer as it names itself.
    for (std::size_t i = from; i < probes.size(); ++i) {
      if (probes[i].facts.first && !probes[i].facts.first->node_name.empty()) {
        probes[i].facts.name = probes[i].facts.first->node_name;
      }
    }
  }

  for_each_parallel(probes, 0, [&](Probe& p) { second_look(p, options); });

  Collected out;
  out.facts.expected = std::move(expected);
  out.facts.cluster_dir = std::move(cluster_dir);
  for (Probe& p : probes) {
    out.facts.nodes.push_back(std::move(p.facts));
    out.statuses.push_back(std::move(p.last));
  }
  return out;
}

}  // namespace sharechain::tools::doctor
