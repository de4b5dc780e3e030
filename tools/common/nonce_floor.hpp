// A client's memory of its own committed transactions, so that a node which is behind cannot
// hand it a nonce that is already used.
//
// A client asks a node for the sender's next nonce. A node cut off from the others answers from
// its own stale state; a payment signed on that answer, when it repeats an earlier one (same
// recipient, amount and memo), is byte for byte the earlier transaction, and the node then
// reports it committed: one transfer acknowledged for two payments. The node cannot tell the two
// intents apart, so the client keeps a floor: the nonce after the last one it saw committed, and
// the height it saw it at. A node answering below the floor while its height is below that height
// is behind, and the client signs on the floor instead (the node holds the transaction as a
// future nonce until it catches up). A node answering below the floor at or above that height has
// a different history (a chain started again under the same id): the floor no longer applies.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "client/node.hpp"
#include "proto/status.hpp"

namespace sharechain::tools {

struct NonceFloor {
  std::uint64_t next_nonce = 0;  // the nonce after the last one seen committed
  std::uint64_t height = 0;      // the height that transaction committed at
};

enum class NonceSource {
  kNode,        // the node's answer is at or above the floor (or there is none)
  kFloor,       // the node is behind; the floor was used
  kStaleFloor,  // the node has passed the floor's height without the floor's nonce: floor ignored
};

struct NonceChoice {
  std::uint64_t nonce = 0;
  NonceSource source = NonceSource::kNode;
  std::uint64_t node_height = 0;  // when the floor was consulted: the height the node reported
};

// What a node says when asked again: its height, then (read after it) the sender's next nonce.
// Read in that order, a node at or past the floor's height on the same history cannot answer
// a nonce below the floor.
struct NodeView {
  std::uint64_t height = 0;
  std::uint64_t next_nonce = 0;
};

// Whether the nonce read counts the sender's pending transactions (the wallet: the next nonce to
// sign) or only committed ones (the chaos ledger, which checks commits).
enum class NonceCount { kCommitted, kWithPending };
// The second look choose_nonce asks for: GetStatus, then GetAccount, in that order; {0, 0} when
// either call fails.
NodeView read_node_view(client::Node& node, std::string_view address20, NonceCount count);

// `node_next` is the node's first answer for the sender's next nonce; `fresh_view` is asked for
// only when that answer is below the floor (it costs two calls). A view that cannot be had should
// come back as {0, 0}: the floor is then used, which can at worst leave a transaction waiting,
// never repeat one already committed.
template <typename ViewFn>
NonceChoice choose_nonce(std::uint64_t node_next, const std::optional<NonceFloor>& floor,
                         ViewFn&& fresh_view) {
  if (!floor || node_next >= floor->next_nonce) return {node_next, NonceSource::kNode, 0};
  const NodeView view = fresh_view();
  if (view.next_nonce >= floor->next_nonce) return {view.next_nonce, NonceSource::kNode, view.height};
  if (view.height >= floor->height) return {view.next_nonce, NonceSource::kStaleFloor, view.height};
  return {floor->next_nonce, NonceSource::kFloor, view.height};
}

// The floors of one keystore, kept in one small JSON file beside the keys, per chain id and
// sender address. Writes are atomic; a floor only ever rises.
class NonceFloors {
 public:
  explicit NonceFloors(std::filesystem::path file) : file_(std::move(file)) {}

  // The file inside a keystore folder. Its name has no ".json" so the keystore never takes it
  // for a key.
  static std::filesystem::path in_keystore(const std::filesystem::path& keystore_dir) {
    return keystore_dir / "nonce-floors";
  }

  // Nothing when the file or the entry does not exist; FAILED_PRECONDITION naming the file when
  // it does not parse.
  Result<std::optional<NonceFloor>> get(std::string_view chain_id, std::string_view address20) const;
  // Raises the floor to `floor` when it is higher (an older commit never lowers it).
  Status raise(std::string_view chain_id, std::string_view address20, const NonceFloor& floor) const;
  // Forgets the floor (used when a node shows it belongs to another history).
  Status forget(std::string_view chain_id, std::string_view address20) const;

 private:
  std::filesystem::path file_;
};

}  // namespace sharechain::tools
