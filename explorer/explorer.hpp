// The block explorer and investor dashboard every node serves on its operations port
// (docs/explorer.md): a single-page web app under /explorer/ and the JSON it reads under
// /explorer/api/.
//
// Read-only and public: it reads committed blocks, receipts and contract state from the store
// (the same reads the client API's GetBlock, GetTransaction, GetAccount and Query serve) and,
// for liveness, the node's status. It never sees keys, the config or file paths. It holds no
// socket: the ops server hands it a request and writes its answer.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sharechain/api.pb.h"
#include "storage/store.hpp"

namespace sharechain::explorer {

struct Answer {
  unsigned status = 200;
  std::string content_type;
  std::string body;
};

struct Sources {
  const storage::Store* store = nullptr;  // must outlive the Explorer
  std::string chain_id;
  // The node's status (view, primary, peers connected), for the tip and the validators page;
  // may be empty (then liveness shows what the blocks' commit certificates tell).
  std::function<api::NodeStatus()> status;
  // The node's wall clock (node::WallClock) in ms since the Unix epoch.
  std::function<std::uint64_t()> now_ms;
};

class Explorer {
 public:
  explicit Explorer(Sources sources);
  ~Explorer();

  // The answer to a request for `path` (the target without its query string) with `query`
  // (what follows '?', undecoded): nullopt when the path is not under /explorer, so the caller
  // serves it. Under /explorer every request gets an answer: JSON under /explorer/api (errors
  // as {"error": "..."} with 400 for bad input and 404 for what the chain does not hold), the
  // app's files, or a 404 page. Only GET and HEAD are served (405 otherwise).
  std::optional<Answer> handle(std::string_view method, std::string_view path,
                               std::string_view query) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sharechain::explorer
