#include "node/metrics.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <chrono>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace sharechain::node {

namespace {
constexpr double kBucketsMs[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
constexpr std::size_t kBucketCount = sizeof kBucketsMs / sizeof kBucketsMs[0];
}  // namespace

// The shortest text that reads back as the same double: 67108864, not 6.71089e+07 (an ostream's
// default six significant digits lose the low digits of byte counts and heights).
bool log_level_change_allowed(std::string_view peer, bool remote_allowed) {
  if (remote_allowed) return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(peer), ec);
  if (ec) return false;
  if (address.is_loopback()) return true;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return false;
}

std::string prometheus_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::atomic<std::uint64_t>& Metrics::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& slot = counters_[name];
  if (!slot.second) slot = {help, std::make_unique<std::atomic<std::uint64_t>>(0)};
  return *slot.second;
}

std::atomic<std::uint64_t>& Metrics::counter(const std::string& name, const std::string& help,
                                             const std::string& label, const std::string& value) {
  return counter(name + "{" + label + "=\"" + value + "\"}", help);
}

std::atomic<std::int64_t>& Metrics::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& slot = gauges_[name];
  if (!slot.second) slot = {help, std::make_unique<std::atomic<std::int64_t>>(0)};
  return *slot.second;
}

void Metrics::observe_ms(const std::string& name, const std::string& help, double ms) {
  std::lock_guard lock(mu_);
  Histogram& h = histograms_[name];
  if (h.buckets.empty()) {
    h.help = help;
    h.buckets.assign(kBucketCount, 0);
  }
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (ms <= kBucketsMs[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += ms;
}

void Metrics::sampled(const std::string& name, const std::string& help, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  sampled_[name] = {help, std::move(fn)};
}

std::string Metrics::render() const {
  std::lock_guard lock(mu_);
  std::ostringstream out;
  // The series of a labelled family sort next to each other (nothing but '{' follows the
  // family name in their keys), so one HELP and TYPE before the first of them covers all.
  std::string family_shown;
  for (const auto& [name, c] : counters_) {
    const std::string family = name.substr(0, name.find('{'));
    if (family != family_shown) {
      out << "# HELP " << family << ' ' << c.first << "\n# TYPE " << family << " counter\n";
      family_shown = family;
    }
    out << name << ' ' << c.second->load(std::memory_order_relaxed) << '\n';
  }
  for (const auto& [name, g] : gauges_) {
    out << "# HELP " << name << ' ' << g.first << "\n# TYPE " << name << " gauge\n"
        << name << ' ' << g.second->load(std::memory_order_relaxed) << '\n';
  }
  for (const auto& [name, s] : sampled_) {
    out << "# HELP " << name << ' ' << s.first << "\n# TYPE " << name << " gauge\n"
        << name << ' ' << prometheus_number(s.second()) << '\n';
  }
  for (const auto& [name, h] : histograms_) {
    out << "# HELP " << name << ' ' << h.help << "\n# TYPE " << name << " histogram\n";
    for (std::size_t i = 0; i < kBucketCount; ++i) {
      out << name << "_bucket{le=\"" << kBucketsMs[i] << "\"} " << h.buckets[i] << '\n';
    }
    out << name << "_bucket{le=\"+Inf\"} " << h.count << '\n'
        << name << "_sum " << prometheus_number(h.sum) << '\n'
        << name << "_count " << h.count << '\n';
  }
  for (const auto& text : text_sources_) out << text();
  return out.str();
}

void Metrics::text_source(std::function<std::string()> fn) {
  std::lock_guard lock(mu_);
  text_sources_.push_back(std::move(fn));
}

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr const char* kPaths = "/metrics, /healthz, /readyz, /version, /logspec and /explorer/";

void json_body(http::response<http::string_body>& res, http::status code, const nlohmann::json& body) {
  res.result(code);
  res.set(http::field::content_type, "application/json");
  res.body() = body.dump() + "\n";
}

// The level a PUT /logspec asks for: a bare name, or {"level": name}.
std::string requested_level(const std::string& body) {
  std::string text = body;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (!text.empty() && text.front() == '{') {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object() && j.contains("level") && j["level"].is_string()) return j["level"].get<std::string>();
    return {};
  }
  return text;
}

}  // namespace

struct OpsServer::Impl {
  Metrics& metrics;
  std::function<Status()> health;
  std::function<Status()> ready;
  OpsOptions options;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::mutex route_mu;
  OpsRoute route;

  Impl(Metrics& m, std::function<Status()> h, std::function<Status()> r, OpsOptions o)
      : metrics(m), health(std::move(h)), ready(std::move(r)), options(std::move(o)) {}

  void logspec(const http::request<http::string_body>& req, const tcp::socket& socket,
               http::response<http::string_body>& res) {
    const std::string current(spdlog::level::to_string_view(spdlog::get_level()).data());
    if (req.method() == http::verb::get) {
      json_body(res, http::status::ok, {{"level", current}});
      return;
    }
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    if (!log_level_change_allowed(ec ? std::string() : peer.address().to_string(), options.remote_logspec)) {
      json_body(res, http::status::forbidden,
                {{"error", "the log level changes only from this host (set [metrics] remote_logspec = true "
                           "to allow other hosts)"}});
      return;
    }
    const std::string wanted = requested_level(req.body());
    const auto level = spdlog::level::from_str(wanted);
    // from_str answers "off" for any name it does not know; only "off" itself means off.
    if (wanted.empty() || (level == spdlog::level::off && wanted != "off")) {
      json_body(res, http::status::bad_request,
                {{"error", "unknown log level '" + wanted +
                               "'; send one of trace, debug, info, warn, error, critical, off"}});
      return;
    }
    spdlog::set_level(level);
    spdlog::warn("log level changed from {} to {} through /logspec", current, wanted);
    json_body(res, http::status::ok, {{"level", wanted}, {"previous", current}});
  }

  static void json_status(http::response<http::string_body>& res, const Status& s,
                          const char* good, const char* bad) {
    nlohmann::json body{{"status", s.is_ok() ? good : bad}};
    if (!s.is_ok()) body["reason"] = s.message();
    res.result(s.is_ok() ? http::status::ok : http::status::service_unavailable);
    res.set(http::field::content_type, "application/json");
    res.body() = body.dump() + "\n";
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // acceptor closed
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<Connection>(std::move(socket));
      read(conn);
      accept();
    });
  }

  // One request per connection. Reads wait asynchronously under a deadline, so a client that
  // opens a socket and sends nothing (a browser's speculative connection) never blocks the
  // scrapes behind it; the answer itself is made synchronously on this thread.
  struct Connection {
    explicit Connection(tcp::socket s) : stream(std::move(s)) {}
    boost::beast::tcp_stream stream;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
  };
  static constexpr std::chrono::seconds kRequestTimeout{10};

  void read(const std::shared_ptr<Connection>& conn) {
    conn->stream.expires_after(kRequestTimeout);
    http::async_read(conn->stream, conn->buffer, conn->req,
                     [this, conn](boost::system::error_code ec, std::size_t) {
                       if (ec) return;  // timed out, closed or not HTTP: drop the connection
                       answer(*conn);
                       conn->stream.expires_after(kRequestTimeout);
                       http::async_write(conn->stream, conn->res,
                                         [conn](boost::system::error_code, std::size_t) {
                                           boost::system::error_code ignored;
                                           conn->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
                                         });
                     });
  }

  std::optional<HttpAnswer> routed(const http::request<http::string_body>& req) {
    OpsRoute r;
    {
      std::lock_guard lock(route_mu);
      r = route;
    }
    if (!r) return std::nullopt;
    const std::string_view target(req.target().data(), req.target().size());
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    const std::string_view method(req.method_string().data(), req.method_string().size());
    return r(method, path, query);
  }

  void answer(Connection& conn) {
    const auto& req = conn.req;
    auto& res = conn.res;
    res.version(req.version());
    res.keep_alive(false);
    res.set(http::field::server, "sharechaind");
    if (req.target() == "/logspec" && (req.method() == http::verb::get || req.method() == http::verb::put)) {
      logspec(req, conn.stream.socket(), res);
    } else if (auto a = routed(req)) {
      res.result(static_cast<http::status>(a->status));
      if (!a->content_type.empty()) res.set(http::field::content_type, a->content_type);
      // Pages and answers change with every block.
      res.set(http::field::cache_control, "no-store");
      res.set("X-Content-Type-Options", "nosniff");
      res.body() = req.method() == http::verb::head ? std::string() : std::move(a->body);
    } else if (req.method() != http::verb::get) {
      res.result(http::status::method_not_allowed);
      res.body() = "only GET is served (and PUT /logspec)\n";
    } else if (req.target() == "/version") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "application/json");
      res.body() = options.version_json + "\n";
    } else if (req.target() == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4");
      res.body() = metrics.render();
    } else if (req.target() == "/healthz") {
      json_status(res, health(), "ok", "halted");
    } else if (req.target() == "/readyz") {
      json_status(res, ready(), "ready", "not_ready");
    } else if (req.target() == "/health") {
      const Status s = health();
      res.result(s.is_ok() ? http::status::ok : http::status::service_unavailable);
      res.set(http::field::content_type, "text/plain");
      res.body() = s.is_ok() ? "ok\n" : s.message() + "\n";
    } else {
      res.result(http::status::not_found);
      res.body() = std::string("not found: this port serves ") + kPaths + "\n";
    }
    res.prepare_payload();
  }
};

OpsServer::OpsServer(Metrics& metrics, std::function<Status()> health, std::function<Status()> ready,
                     OpsOptions options)
    : impl_(std::make_unique<Impl>(metrics, std::move(health), std::move(ready), std::move(options))) {}

OpsServer::~OpsServer() { stop(); }

Status OpsServer::start(const std::string& listen) {
  const auto colon = listen.rfind(':');
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(listen.substr(0, colon) == "localhost" ? "127.0.0.1" : listen.substr(0, colon), ec);
  if (ec) return Status::invalid_argument("metrics listen address '" + listen + "': " + ec.message());
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoi(listen.substr(colon + 1))));
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::unavailable("cannot serve metrics on " + listen + ": " + ec.message());
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->io.run(); });
  return Status::ok();
}

void OpsServer::set_route(OpsRoute route) {
  std::lock_guard lock(impl_->route_mu);
  impl_->route = std::move(route);
}

void OpsServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->io.stop();
  });
  impl_->thread.join();
}

}  // namespace sharechain::node
