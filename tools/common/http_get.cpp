#include "tools/common/http_get.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <optional>
#include <string>

namespace sharechain::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kMaxBody = 64u << 20;

// The exchange itself, over a plain or a TLS stream: `handshake` runs between connecting and
// sending (a no-op for plain TCP).
template <class Stream, class Handshake>
Outcome<HttpResponse> exchange(asio::io_context& io, Stream& stream, Handshake&& handshake,
                               const std::string& host, const std::string& port,
                               std::string_view address, std::string_view path,
                               std::chrono::milliseconds timeout, const std::string& where) {
  const std::string late =
      "no answer from " + where + " within " + std::to_string(timeout.count()) + " ms";
  tcp::resolver resolver(io);
  http::request<http::empty_body> request{http::verb::get, std::string(path), 11};
  request.set(http::field::host, std::string(address));
  request.set(http::field::connection, "close");
  request.set(http::field::accept, "*/*");
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);

  std::optional<Failure> failed;
  auto fail = [&](const beast::error_code& ec, const std::string& doing) {
    if (ec == beast::error::timeout) {
      failed = Failure::unreachable(late);
    } else if (ec == http::error::body_limit) {
      failed = Failure::refused(where + " sent more than 64 MiB");
    } else if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
      failed = Failure::refused(where + " did not answer HTTP (" + ec.message() + ")");
    } else {
      failed = Failure::unreachable(doing + " " + where + ": " + ec.message());
    }
  };
  // The stream's expiry bounds connecting, the handshake, sending and reading (a stopped process
  // accepts the connection and never answers); run_for bounds the name lookup too.
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(timeout);
  resolver.async_resolve(host, port, [&](const beast::error_code& resolved, const tcp::resolver::results_type& results) {
    if (resolved) {
      failed = Failure::unreachable("cannot resolve " + host + ": " + resolved.message());
      return;
    }
    tcp_layer.async_connect(results, [&](const beast::error_code& connected, const tcp::endpoint&) {
      if (connected) return fail(connected, "cannot connect to");
      handshake([&](const beast::error_code& shaken) {
        if (shaken == beast::error::timeout) return fail(shaken, "");  // a stopped node
        if (shaken) {
          failed = Failure::refused("TLS with " + where + " failed: " + shaken.message());
          return;
        }
        http::async_write(stream, request, [&](const beast::error_code& sent, std::size_t) {
          if (sent) return fail(sent, "cannot send to");
          http::async_read(stream, buffer, parser, [&](const beast::error_code& read, std::size_t) {
            // A TLS peer that closes without close_notify after a complete answer is common
            // and harmless: the answer's length was known.
            if (read && !(read == asio::ssl::error::stream_truncated && parser.is_done())) {
              return fail(read, "cannot read from");
            }
          });
        });
      });
    });
  });
  io.run_for(timeout + std::chrono::milliseconds(50));
  if (!io.stopped()) return Failure::unreachable(late);
  if (failed) return *failed;
  if (!parser.is_done()) return Failure::refused(where + " did not answer HTTP");
  HttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  out.body = std::move(parser.get().body());
  return out;
}

}  // namespace

Outcome<HttpResponse> http_get(std::string_view address, std::string_view path,
                               std::chrono::milliseconds timeout, const std::filesystem::path& https_ca) {
  const bool https = !https_ca.empty();
  const std::string where = (https ? "https://" : "http://") + std::string(address) + std::string(path);
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Failure::usage("not HOST:PORT: '" + std::string(address) + "'");
  }
  std::string host(address.substr(0, colon));
  const std::string port(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  asio::io_context io;
  if (!https) {
    beast::tcp_stream stream(io);
    return exchange(io, stream, [](auto&& then) { then(beast::error_code()); }, host, port, address,
                    path, timeout, where);
  }

  asio::ssl::context context(asio::ssl::context::tls_client);
  beast::error_code ec;
  context.load_verify_file(https_ca.string(), ec);
  if (ec) return Failure::usage("cannot use " + https_ca.string() + " as a CA certificate: " + ec.message());
  context.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  // The node's certificate must name the host dialled: an IP address by its IP entry, a name by
  // its DNS entry (sent as SNI too).
  X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
  asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
  }
  return exchange(
      io, stream,
      [&](auto&& then) {
        stream.async_handshake(asio::ssl::stream_base::client,
                               [then](const beast::error_code& e) mutable { then(e); });
      },
      host, port, address, path, timeout, where);
}

}  // namespace sharechain::tools
