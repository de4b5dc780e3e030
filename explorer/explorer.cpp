#include "explorer/explorer.hpp"

#include "explorer/api.hpp"
#include "explorer/web_files.hpp"

namespace sharechain::explorer {

namespace {

constexpr std::string_view kRoot = "/explorer";
constexpr std::string_view kApi = "/explorer/api/";

Answer json_answer(unsigned status, const reports::Json& body) {
  return {status, "application/json", body.dump() + "\n"};
}

// A page for a path under /explorer/ that is neither the app nor the API. The app's own unknown
// routes (#/...) show its own not-found view.
Answer not_found_page(std::string_view path) {
  std::string escaped;
  for (char c : path) {
    switch (c) {
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '&': escaped += "&amp;"; break;
      case '"': escaped += "&quot;"; break;
      default: escaped += c;
    }
  }
  return {404, "text/html; charset=utf-8",
          "<!doctype html><html><head><meta charset=\"utf-8\"><title>Not found - ShareChain "
          "explorer</title><link rel=\"stylesheet\" href=\"/explorer/app.css\"></head><body><main>"
          "<h1>Not found</h1><p>This node serves no page at <code>" +
              escaped +
              "</code>.</p><p><a href=\"/explorer/\">Go to the explorer</a></p></main></body></html>\n"};
}

}  // namespace

struct Explorer::Impl {
  Sources sources;
  Api api{sources};
  explicit Impl(Sources s) : sources(std::move(s)) {}
};

Explorer::Explorer(Sources sources) : impl_(std::make_unique<Impl>(std::move(sources))) {}
Explorer::~Explorer() = default;

std::optional<Answer> Explorer::handle(std::string_view method, std::string_view path,
                                       std::string_view query) const {
  if (path != kRoot && path.substr(0, kRoot.size() + 1) != "/explorer/") return std::nullopt;
  const bool is_api = path.substr(0, kApi.size()) == kApi;
  if (method != "GET" && method != "HEAD") {
    Answer a = json_answer(405, {{"error", "the explorer is read-only: only GET is served"}});
    if (!is_api) a.content_type = "application/json";
    return a;
  }
  if (is_api) {
    const ApiAnswer a = impl_->api.route(path.substr(kApi.size()), query);
    return json_answer(a.status, a.body);
  }
  std::string_view name = path.substr(std::min(path.size(), kRoot.size() + 1));
  if (name.empty()) name = "index.html";
  if (auto file = web_file(name)) {
    return Answer{200, std::string(file->content_type), std::string(file->bytes)};
  }
  if (path == "/explorer/api") {
    return json_answer(404, {{"error", "the API is under /explorer/api/ (see docs/explorer.md)"}});
  }
  return not_found_page(path);
}

}  // namespace sharechain::explorer
