#include "node/metrics.hpp"

#include <nlohmann/json.hpp>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace sharechain::node {

namespace {
constexpr double kBucketsSeconds[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
}  // namespace

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


// Values owned elsewhere, read when scraped: a Collectable the registry's serializer writes
// beside its own families.
class Metrics::Sampled final : public prometheus::Collectable {
 public:
  void add(const std::string& name, const std::string& help, std::function<double()> fn) {
    std::lock_guard lock(mu_);
    series_[name] = {help, std::move(fn)};
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard lock(mu_);
    std::vector<prometheus::MetricFamily> out;
    for (const auto& [name, s] : series_) {
      prometheus::MetricFamily family{name, s.first, prometheus::MetricType::Gauge, {}};
      prometheus::ClientMetric metric;
      metric.gauge.value = s.second();
      family.metric.push_back(std::move(metric));
      out.push_back(std::move(family));
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::function<double()>>> series_;
};

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()), sampled_(std::make_shared<Sampled>()) {}

Metrics::~Metrics() = default;

prometheus::Counter& Metrics::counter(const std::string& name, const std::string& help) {
  return counter(name, help, "", "");
}

prometheus::Counter& Metrics::counter(const std::string& name, const std::string& help,
                                      const std::string& label, const std::string& value) {
  prometheus::Family<prometheus::Counter>* family = nullptr;
  {
    std::lock_guard lock(mu_);
    auto& slot = counters_[name];
    if (slot == nullptr) slot = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    family = slot;
  }
  if (label.empty()) return family->Add({});
  return family->Add({{label, value}});
}

prometheus::Gauge& Metrics::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& slot = gauges_[name];
  if (slot == nullptr) slot = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
  return *slot;
}

void Metrics::observe_seconds(const std::string& name, const std::string& help, double seconds) {
  prometheus::Histogram* histogram = nullptr;
  {
    std::lock_guard lock(mu_);
    auto& slot = histograms_[name];
    if (slot == nullptr) {
      slot = &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_).Add(
          {}, prometheus::Histogram::BucketBoundaries(std::begin(kBucketsSeconds), std::end(kBucketsSeconds)));
    }
    histogram = slot;
  }
  histogram->Observe(seconds);
}

void Metrics::sampled(const std::string& name, const std::string& help, std::function<double()> fn) {
  sampled_->add(name, help, std::move(fn));
}

void Metrics::text_source(std::function<std::string()> fn) {
  std::lock_guard lock(mu_);
  text_sources_.push_back(std::move(fn));
}

std::string Metrics::render() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (auto& f : sampled_->Collect()) families.push_back(std::move(f));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  std::vector<std::function<std::string()>> sources;
  {
    std::lock_guard lock(mu_);
    sources = text_sources_;
  }
  for (const auto& text : sources) out << text();
  return out.str();
}

void advance_to(prometheus::Counter& counter, double to) {
  const double by = to - counter.Value();
  if (by > 0) counter.Increment(by);
}

namespace asio = boost::asio;
namespace beast = boost::beast;
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
  std::optional<asio::ssl::context> tls;  // set when the port serves HTTPS

  Impl(Metrics& m, std::function<Status()> h, std::function<Status()> r, OpsOptions o)
      : metrics(m), health(std::move(h)), ready(std::move(r)), options(std::move(o)) {}

  Status load_tls() {
    asio::ssl::context context(asio::ssl::context::tls_server);
    boost::system::error_code ec;
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1,
                        ec);
    context.use_certificate_chain_file(options.tls_cert.string(), ec);
    if (ec) {
      return Status::invalid_argument("operations port TLS: cannot use the certificate " +
                                      options.tls_cert.string() + ": " + ec.message());
    }
    context.use_private_key_file(options.tls_key.string(), asio::ssl::context::pem, ec);
    if (ec) {
      return Status::invalid_argument("operations port TLS: cannot use the key " + options.tls_key.string() +
                                      ": " + ec.message());
    }
    tls.emplace(std::move(context));
    return Status::ok();
  }

  void logspec(const http::request<http::string_body>& req, const std::string& remote,
               http::response<http::string_body>& res) {
    const std::string current(spdlog::level::to_string_view(spdlog::get_level()).data());
    if (req.method() == http::verb::get) {
      json_body(res, http::status::ok, {{"level", current}});
      return;
    }
    if (!log_level_change_allowed(remote, options.remote_logspec)) {
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
      if (tls) {
        detect(std::make_shared<Connection<beast::tcp_stream>>(std::move(socket)));
      } else {
        read(std::make_shared<Connection<beast::tcp_stream>>(std::move(socket)));
      }
      accept();
    });
  }

  // One request per connection. Reads wait asynchronously under a deadline, so a client that
  // opens a socket and sends nothing (a browser's speculative connection) never blocks the
  // scrapes behind it; the answer itself is made synchronously on this thread.
  template <class Stream>
  struct Connection {
    template <class... Args>
    explicit Connection(Args&&... args) : stream(std::forward<Args>(args)...) {}
    Stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;
    tcp::socket& socket() { return beast::get_lowest_layer(stream).socket(); }
  };
  static constexpr std::chrono::seconds kRequestTimeout{10};

  // With TLS on, a client that speaks plain HTTP gets a plain answer that says so, rather than a
  // closed connection it cannot explain.
  void detect(const std::shared_ptr<Connection<beast::tcp_stream>>& conn) {
    conn->stream.expires_after(kRequestTimeout);
    beast::async_detect_ssl(conn->stream, conn->buffer,
                            [this, conn](boost::system::error_code ec, bool is_tls) {
                              if (ec) return;
                              if (is_tls) return handshake(conn);
                              http::async_read(conn->stream, conn->buffer, conn->req,
                                               [this, conn](boost::system::error_code rec, std::size_t) {
                                                 if (rec) return;
                                                 refuse_plain(*conn);
                                                 write(conn);
                                               });
                            });
  }

  void handshake(const std::shared_ptr<Connection<beast::tcp_stream>>& plain) {
    auto conn = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(std::move(plain->stream), *tls);
    beast::flat_buffer& seen = plain->buffer;  // the bytes detection read belong to the handshake
    conn->stream.async_handshake(asio::ssl::stream_base::server, seen.data(),
                                 [this, conn, plain](boost::system::error_code ec, std::size_t used) {
                                   if (ec) return;  // not our client, or it refused our certificate
                                   plain->buffer.consume(used);
                                   read(conn);
                                 });
  }

  template <class Stream>
  void read(const std::shared_ptr<Connection<Stream>>& conn) {
    beast::get_lowest_layer(conn->stream).expires_after(kRequestTimeout);
    http::async_read(conn->stream, conn->buffer, conn->req,
                     [this, conn](boost::system::error_code ec, std::size_t) {
                       if (ec) return;  // timed out, closed or not HTTP: drop the connection
                       boost::system::error_code ignored;
                       const auto peer = conn->socket().remote_endpoint(ignored);
                       answer(conn->req, conn->res, ignored ? std::string() : peer.address().to_string());
                       write(conn);
                     });
  }

  template <class Stream>
  void write(const std::shared_ptr<Connection<Stream>>& conn) {
    beast::get_lowest_layer(conn->stream).expires_after(kRequestTimeout);
    http::async_write(conn->stream, conn->res, [conn](boost::system::error_code, std::size_t) {
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        boost::system::error_code ignored;
        conn->socket().shutdown(tcp::socket::shutdown_both, ignored);
      } else {
        conn->stream.async_shutdown([conn](boost::system::error_code) {
          boost::system::error_code ignored;
          conn->socket().close(ignored);
        });
      }
    });
  }

  void refuse_plain(Connection<beast::tcp_stream>& conn) {
    auto& res = conn.res;
    res.version(conn.req.version());
    res.keep_alive(false);
    res.set(http::field::server, "sharechaind");
    res.result(http::status::bad_request);
    res.set(http::field::content_type, "text/plain");
    res.set("X-Content-Type-Options", "nosniff");
    std::string host(conn.req[http::field::host]);
    if (host.empty()) host = "HOST:PORT";
    res.body() = "this operations port serves HTTPS only ([metrics] tls): use https://" + host +
                 std::string(conn.req.target()) + " with the cluster's CA certificate\n";
    res.prepare_payload();
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

  void answer(const http::request<http::string_body>& req, http::response<http::string_body>& res,
              const std::string& remote) {
    res.version(req.version());
    res.keep_alive(false);
    res.set(http::field::server, "sharechaind");
    if (req.target() == "/logspec" && (req.method() == http::verb::get || req.method() == http::verb::put)) {
      logspec(req, remote, res);
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
  if (!impl_->options.tls_cert.empty()) {
    if (Status s = impl_->load_tls(); !s) return s;
  }
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
