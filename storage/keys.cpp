#include "storage/keys.hpp"

namespace sharechain::storage::keys {
namespace {

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_be(std::string_view raw) {
  std::uint64_t v = 0;
  for (char c : raw) v = (v << 8) | static_cast<std::uint8_t>(c);
  return v;
}

std::string tagged_hash_key(char tag, const crypto::Hash& hash) {
  std::string out(1, tag);
  out.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  return out;
}

}  // namespace

std::string u64(std::uint64_t v) {
  std::string out;
  put_be(out, v, 8);
  return out;
}

std::optional<std::uint64_t> parse_u64(std::string_view raw) {
  if (raw.size() != 8) return std::nullopt;
  return get_be(raw);
}

std::string height_key(std::uint64_t height) { return u64(height); }

std::string receipt_key(std::uint64_t height, std::uint32_t index) {
  std::string out = u64(height);
  put_be(out, index, 4);
  return out;
}

std::string root_key(std::uint64_t height) {
  std::string out(kMetaRootPrefix);
  put_be(out, height, 8);
  return out;
}

std::string tree_roots_key(std::uint64_t height) {
  std::string out(kMetaTreeRootsPrefix);
  put_be(out, height, 8);
  return out;
}

std::string history_key(std::uint64_t height) {
  std::string out(kMetaHistoryPrefix);
  put_be(out, height, 8);
  return out;
}

std::string gap_key(std::uint64_t low) {
  std::string out(kMetaGapPrefix);
  put_be(out, low, 8);
  return out;
}

std::string block_hash_key(const crypto::Hash& hash) { return tagged_hash_key('B', hash); }
std::string tx_hash_key(const crypto::Hash& hash) { return tagged_hash_key('T', hash); }

std::string tx_location(std::uint64_t height, std::uint32_t index) {
  return receipt_key(height, index);
}

bool parse_tx_location(std::string_view raw, std::uint64_t* height, std::uint32_t* index) {
  if (raw.size() != 12) return false;
  *height = get_be(raw.substr(0, 8));
  *index = static_cast<std::uint32_t>(get_be(raw.substr(8, 4)));
  return true;
}

std::optional<std::string> prefix_end(std::string_view prefix) {
  std::string end(prefix);
  // Drop trailing 0xff bytes (no successor at that position), then increment the last byte.
  while (!end.empty() && static_cast<std::uint8_t>(end.back()) == 0xff) end.pop_back();
  if (end.empty()) return std::nullopt;
  end.back() = static_cast<char>(static_cast<std::uint8_t>(end.back()) + 1);
  return end;
}

}  // namespace sharechain::storage::keys
