#include "tools/common/http_get.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <string>

namespace sharechain::tools {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t kMaxBody = 64u << 20;

}  // namespace

Outcome<HttpResponse> http_get(std::string_view address, std::string_view path,
                               std::chrono::milliseconds timeout) {
  const std::string where = "http://" + std::string(address) + std::string(path);
  const std::string late =
      "no answer from " + where + " within " + std::to_string(timeout.count()) + " ms";
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Failure::usage("not HOST:PORT: '" + std::string(address) + "'");
  }
  std::string host(address.substr(0, colon));
  const std::string port(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
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
  // The stream's expiry bounds connecting, sending and reading (a stopped process accepts the
  // connection and never answers); run_for bounds the name lookup too.
  stream.expires_after(timeout);
  resolver.async_resolve(host, port, [&](const beast::error_code& resolved, const tcp::resolver::results_type& results) {
    if (resolved) {
      failed = Failure::unreachable("cannot resolve " + host + ": " + resolved.message());
      return;
    }
    stream.async_connect(results, [&](const beast::error_code& connected, const tcp::endpoint&) {
      if (connected) return fail(connected, "cannot connect to");
      http::async_write(stream, request, [&](const beast::error_code& sent, std::size_t) {
        if (sent) return fail(sent, "cannot send to");
        http::async_read(stream, buffer, parser, [&](const beast::error_code& read, std::size_t) {
          if (read) return fail(read, "cannot read from");
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

}  // namespace sharechain::tools
