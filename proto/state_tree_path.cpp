#include "proto/state_tree_path.hpp"

#include <cstring>

namespace sharechain::state_tree {
namespace {

crypto::Hash prefixed_pair(std::uint8_t prefix, const crypto::Hash& a, const crypto::Hash& b) {
  char buf[1 + 2 * crypto::kHashSize];
  buf[0] = static_cast<char>(prefix);
  std::memcpy(buf + 1, a.data(), a.size());
  std::memcpy(buf + 1 + a.size(), b.data(), b.size());
  return crypto::sha256(std::string_view(buf, sizeof buf));
}

}  // namespace

crypto::Hash leaf(const crypto::Hash& key_hash, const crypto::Hash& value_hash) {
  return prefixed_pair(0x02, key_hash, value_hash);
}

crypto::Hash branch(const crypto::Hash& left, const crypto::Hash& right) { return prefixed_pair(0x03, left, right); }

crypto::Hash combined_root(const crypto::Hash& lthash_root, const crypto::Hash& tree_root) {
  return crypto::tagged_hash(kRootTag, crypto::hash_bytes(lthash_root) + crypto::hash_bytes(tree_root));
}

crypto::Hash fold(crypto::Hash node, const crypto::Hash& key_hash, const std::vector<crypto::Hash>& siblings) {
  for (std::size_t i = siblings.size(); i-- > 0;) {
    node = bit(key_hash, i) ? branch(siblings[i], node) : branch(node, siblings[i]);
  }
  return node;
}

bool same_prefix(const crypto::Hash& a, const crypto::Hash& b, std::size_t bits) {
  const std::size_t whole = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const std::size_t rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace sharechain::state_tree
