#include "node/explorer_route.hpp"

#include <memory>

#include "explorer/explorer.hpp"

namespace sharechain::node {

OpsRoute explorer_route(const storage::Store& store, std::string chain_id,
                        std::function<api::NodeStatus()> status,
                        std::function<std::uint64_t()> now_ms) {
  auto explorer = std::make_shared<explorer::Explorer>(
      explorer::Sources{&store, std::move(chain_id), std::move(status), std::move(now_ms)});
  return [explorer](std::string_view method, std::string_view path,
                    std::string_view query) -> std::optional<HttpAnswer> {
    auto a = explorer->handle(method, path, query);
    if (!a) return std::nullopt;
    return HttpAnswer{a->status, std::move(a->content_type), std::move(a->body)};
  };
}

}  // namespace sharechain::node
