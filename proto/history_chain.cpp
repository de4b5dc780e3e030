#include "proto/history_chain.hpp"

namespace sharechain::history {
namespace {

void put_hash(std::string& out, const crypto::Hash& h) {
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
}

}  // namespace

std::vector<crypto::Hash> receipt_leaves(const std::vector<std::string>& serialized_receipts) {
  std::vector<crypto::Hash> leaves;
  leaves.reserve(serialized_receipts.size());
  for (const auto& r : serialized_receipts) leaves.push_back(crypto::sha256(r));
  return leaves;
}

crypto::Hash receipts_root(const std::vector<std::string>& serialized_receipts) {
  return crypto::merkle_root(receipt_leaves(serialized_receipts));
}

crypto::Hash next(const crypto::Hash& previous, std::uint64_t height, const crypto::Hash& receipts_root,
                  const crypto::Hash& previous_state_root) {
  std::string data;
  data.reserve(3 * crypto::kHashSize + 8);
  put_hash(data, previous);
  for (int shift = 56; shift >= 0; shift -= 8) data.push_back(static_cast<char>((height >> shift) & 0xff));
  put_hash(data, receipts_root);
  put_hash(data, previous_state_root);
  return crypto::tagged_hash(kTag, data);
}

}  // namespace sharechain::history
