// A bounded HTTP/1.1 GET over plain TCP or TLS (Boost.Beast), for reading a node's operations
// port (/metrics, /healthz, /readyz, /version). Each attempt ends by its deadline, including
// against a process that accepts connections but never answers (a stopped node).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "tools/common/outcome.hpp"

namespace sharechain::tools {

struct HttpResponse {
  int status = 0;    // 200, 503, ...
  std::string body;  // after the headers (chunked bodies are not decoded: the node sends none)
};

// GET http://ADDRESS/PATH, ADDRESS being HOST:PORT or [V6]:PORT; with `https_ca` set, GET
// https://ADDRESS/PATH, trusting the certificates that CA (a PEM file) signed and checking that
// the node's certificate names HOST. A Failure (exit 3) says why no answer came: "connection
// refused", "no answer within 800 ms", a name that does not resolve, a certificate refused.
Outcome<HttpResponse> http_get(std::string_view address, std::string_view path,
                               std::chrono::milliseconds timeout,
                               const std::filesystem::path& https_ca = {});

}  // namespace sharechain::tools
