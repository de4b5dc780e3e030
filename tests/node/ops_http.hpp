// One HTTP request to a node's operations port (metrics, health, logspec, explorer), for tests.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

namespace sharechain::testing {

struct OpsReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// `address` is the node's [metrics] listen address (host:port).
inline OpsReply ops_request(const std::string& address, boost::beast::http::verb method, const std::string& target,
                            const std::string& body = "") {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  const auto colon = address.rfind(':');
  socket.connect({boost::asio::ip::make_address(address.substr(0, colon)),
                  static_cast<unsigned short>(std::stoi(address.substr(colon + 1)))});
  http::request<http::string_body> req(method, target, 11);
  req.set(http::field::host, "localhost");
  req.body() = body;
  req.prepare_payload();
  http::write(socket, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return {static_cast<int>(res.result_int()), std::string(res[http::field::content_type]), res.body()};
}

}  // namespace sharechain::testing
