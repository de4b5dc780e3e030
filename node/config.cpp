#include "node/config.hpp"

#include "proto/crypto.hpp"
#include "proto/transaction.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <map>
#include <set>
#include <vector>
#include <toml.hpp>

namespace sharechain::node {
namespace {

namespace fs = std::filesystem;

// Every [table] key the daemon reads, so that a key it does not (a typo, a key of another
// version) is refused instead of silently ignored.
using KnownKeys = std::map<std::string, std::set<std::string>>;

// Fetches an optional key of a table with a type check that names the key on failure.
template <typename T>
Status read(KnownKeys& known, const toml::value& root, const std::string& table,
            const std::string& key, T& out, const std::string& file) {
  known[table].insert(key);
  if (!root.contains(table)) return Status::ok();
  const auto& t = root.at(table);
  if (!t.is_table()) return Status::invalid_argument(file + ": [" + table + "] must be a table");
  if (!t.contains(key)) return Status::ok();
  try {
    out = toml::get<T>(t.at(key));
  } catch (const std::exception&) {
    return Status::invalid_argument(file + ": [" + table + "] " + key + " has the wrong type");
  }
  return Status::ok();
}

// The offset of the first byte that does not begin or continue a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or nullopt.
std::optional<std::size_t> first_invalid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) return i;
    }
    i += len;
  }
  return std::nullopt;
}

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string closest(const std::string& word, const std::set<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = 3;  // further than two edits is no suggestion
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

Status refuse_unknown_keys(const toml::value& root, const KnownKeys& known,
                           const std::string& file) {
  if (!root.is_table()) return Status::ok();
  std::set<std::string> tables;
  for (const auto& [table, keys] : known) tables.insert(table);
  for (const auto& [table, value] : root.as_table()) {
    auto it = known.find(table);
    if (it == known.end()) {
      const std::string hint = closest(table, tables);
      return Status::invalid_argument(
          file + ": unknown " + (value.is_table() ? "table [" + table + "]" : "key '" + table + "'") +
          (hint.empty() ? "" : " (did you mean [" + hint + "]?)") +
          "; docs/operations.md lists every key");
    }
    if (!value.is_table()) continue;  // read() names the table that is not a table
    for (const auto& [key, unused] : value.as_table()) {
      if (it->second.count(key) != 0) continue;
      const std::string hint = closest(key, it->second);
      return Status::invalid_argument(file + ": unknown key [" + table + "] " + key +
                                      (hint.empty() ? "" : " (did you mean " + hint + "?)") +
                                      "; docs/operations.md lists every key");
    }
  }
  return Status::ok();
}

fs::path resolve(const fs::path& base, const std::string& p) {
  if (p.empty()) return {};
  fs::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

}  // namespace

bool valid_host_port(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  unsigned port = 0;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  return ec == std::errc() && ptr == end && port >= 1 && port <= 65535;
}

Result<Config> load_config(const fs::path& file) {
  const std::string name = file.string();
  if (!fs::exists(file)) {
    return Status::not_found("config file " + name + " does not exist (create one with `sharechain-net init`)");
  }
  std::string text;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status::unavailable("cannot read config file " + name);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  // TOML is UTF-8. The TOML parser reads past its buffer on some invalid sequences inside a
  // literal string (found by the config_file fuzz target), so bytes that are not UTF-8 never
  // reach it.
  if (auto bad = first_invalid_utf8(text)) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < *bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    char byte[8];
    std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[*bad]));
    return Status::invalid_argument(name + " is not UTF-8: byte " + byte + " at line " +
                                    std::to_string(line) + ", column " + std::to_string(column));
  }
  toml::value root;
  try {
    std::istringstream in(text);
    root = toml::parse(in, name);
  } catch (const std::exception& e) {
    return Status::invalid_argument("cannot parse " + name + ": " + e.what());
  }
  Config c;
  c.config_file = fs::absolute(file);
  const fs::path base = c.config_file.parent_path();
  std::string key_file = "node_key.json", genesis_file = "genesis.json", data_dir = "data";
  std::vector<std::string> peers;
  std::string tls_ca, tls_cert, tls_key;
  std::string trace_file;
  std::string clock_offset_file;
  bool metrics_tls = false;
  std::int64_t max_block_txs = c.max_block_txs, max_block_bytes = c.max_block_bytes,
               batch_delay = c.batch_delay_ms, checkpoint = c.checkpoint_interval,
               window = c.window, view_timeout = c.view_timeout_ms,
               mp_txs = c.mempool_max_txs, mp_bytes = c.mempool_max_bytes,
               mp_gap = c.mempool_max_nonce_gap,
               mp_per_account = c.mempool_max_pending_per_account, wait_ms = c.api_wait_timeout_ms,
               max_subs = c.api_max_subscriptions, batch_txs = c.api_max_batch_txs,
               batch_bytes = static_cast<std::int64_t>(c.api_max_batch_bytes),
               max_msg = c.max_message_bytes, queue = c.peer_queue_messages,
               backfill_rate = c.backfill_blocks_per_s;

  KnownKeys known;
  for (Status s : {
           read(known, root, "node", "name", c.name, name), read(known, root, "node", "key_file", key_file, name),
           read(known, root, "node", "genesis_file", genesis_file, name),
           read(known, root, "node", "data_dir", data_dir, name),
           read(known, root, "api", "listen", c.api_listen, name),
           read(known, root, "api", "wait_timeout_ms", wait_ms, name),
           read(known, root, "api", "max_subscriptions", max_subs, name),
           read(known, root, "api", "max_batch_txs", batch_txs, name),
           read(known, root, "api", "max_batch_bytes", batch_bytes, name),
           read(known, root, "p2p", "listen", c.p2p_listen, name), read(known, root, "p2p", "peers", peers, name),
           read(known, root, "p2p", "tls", c.tls, name), read(known, root, "p2p", "tls_ca", tls_ca, name),
           read(known, root, "p2p", "tls_cert", tls_cert, name), read(known, root, "p2p", "tls_key", tls_key, name),
           read(known, root, "p2p", "max_message_bytes", max_msg, name),
           read(known, root, "p2p", "send_queue_messages", queue, name),
           read(known, root, "metrics", "listen", c.metrics_listen, name),
           read(known, root, "metrics", "remote_logspec", c.remote_logspec, name),
           read(known, root, "metrics", "tls", metrics_tls, name),
           read(known, root, "consensus", "max_block_txs", max_block_txs, name),
           read(known, root, "consensus", "max_block_bytes", max_block_bytes, name),
           read(known, root, "consensus", "batch_delay_ms", batch_delay, name),
           read(known, root, "consensus", "checkpoint_interval", checkpoint, name),
           read(known, root, "consensus", "window", window, name),
           read(known, root, "consensus", "view_timeout_ms", view_timeout, name),
           read(known, root, "mempool", "max_txs", mp_txs, name),
           read(known, root, "mempool", "max_bytes", mp_bytes, name),
           read(known, root, "mempool", "max_nonce_gap", mp_gap, name),
           read(known, root, "mempool", "max_pending_per_account", mp_per_account, name),
           read(known, root, "history", "backfill_blocks_per_s", backfill_rate, name),
           read(known, root, "log", "level", c.log_level, name),
           read(known, root, "debug", "trace_inputs", c.trace_inputs, name),
           read(known, root, "debug", "trace_file", trace_file, name),
           read(known, root, "debug", "clock_offset_file", clock_offset_file, name)}) {
    if (!s.is_ok()) return s;
  }
  if (Status s = refuse_unknown_keys(root, known, name); !s) return s;

  auto positive = [&](std::int64_t v, const char* what) -> Status {
    if (v <= 0) return Status::invalid_argument(name + ": " + what + " must be greater than 0");
    return Status::ok();
  };
  for (Status s : {positive(max_block_txs, "[consensus] max_block_txs"),
                   positive(max_block_bytes, "[consensus] max_block_bytes"),
                   positive(batch_delay, "[consensus] batch_delay_ms"),
                   positive(view_timeout, "[consensus] view_timeout_ms"),
                   positive(mp_txs, "[mempool] max_txs"), positive(mp_bytes, "[mempool] max_bytes"),
                   positive(mp_per_account, "[mempool] max_pending_per_account"),
                   positive(wait_ms, "[api] wait_timeout_ms"),
                   positive(max_subs, "[api] max_subscriptions"),
                   positive(batch_txs, "[api] max_batch_txs"),
                   positive(batch_bytes, "[api] max_batch_bytes"),
                   positive(max_msg, "[p2p] max_message_bytes"),
                   positive(queue, "[p2p] send_queue_messages")}) {
    if (!s.is_ok()) return s;
  }
  if (batch_bytes < static_cast<std::int64_t>(tx::kMaxTransactionBytes) ||
      batch_bytes > (std::int64_t{1} << 30)) {
    return Status::invalid_argument(name + ": [api] max_batch_bytes must be between " +
                                    std::to_string(tx::kMaxTransactionBytes) +
                                    " (one transaction of the largest size) and 1073741824");
  }
  if (mp_gap < 0) return Status::invalid_argument(name + ": [mempool] max_nonce_gap must be >= 0");
  if (backfill_rate < 0) {
    return Status::invalid_argument(name + ": [history] backfill_blocks_per_s must be >= 0 (0 = "
                                           "as fast as peers serve)");
  }
  if (checkpoint < 0 || window < 0) {
    return Status::invalid_argument(name + ": [consensus] checkpoint_interval and window must be >= 0 "
                                           "(they are the chain's; 0 or absent takes them from genesis)");
  }
  c.max_block_txs = static_cast<std::uint32_t>(max_block_txs);
  c.max_block_bytes = static_cast<std::uint64_t>(max_block_bytes);
  c.batch_delay_ms = static_cast<std::uint64_t>(batch_delay);
  c.checkpoint_interval = static_cast<std::uint64_t>(checkpoint);
  c.window = static_cast<std::uint64_t>(window);
  c.view_timeout_ms = static_cast<std::uint64_t>(view_timeout);
  c.mempool_max_txs = static_cast<std::uint64_t>(mp_txs);
  c.mempool_max_bytes = static_cast<std::uint64_t>(mp_bytes);
  c.mempool_max_nonce_gap = static_cast<std::uint64_t>(mp_gap);
  c.mempool_max_pending_per_account = static_cast<std::uint64_t>(mp_per_account);
  c.api_wait_timeout_ms = static_cast<std::uint32_t>(wait_ms);
  c.api_max_subscriptions = static_cast<std::uint32_t>(max_subs);
  c.api_max_batch_txs = static_cast<std::uint32_t>(batch_txs);
  c.api_max_batch_bytes = static_cast<std::uint64_t>(batch_bytes);
  c.max_message_bytes = static_cast<std::uint32_t>(max_msg);
  c.peer_queue_messages = static_cast<std::uint32_t>(queue);
  c.backfill_blocks_per_s = static_cast<std::uint64_t>(backfill_rate);

  for (const auto& [what, addr] : {std::pair{"[api] listen", c.api_listen},
                                   std::pair{"[p2p] listen", c.p2p_listen},
                                   std::pair{"[metrics] listen", c.metrics_listen}}) {
    if (!valid_host_port(addr)) {
      return Status::invalid_argument(name + ": " + what + " '" + addr + "' is not host:port");
    }
  }
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const std::string& p = peers[i];
    const auto at = p.find('@');
    PeerAddress peer;
    const char* end = p.data() + (at == std::string::npos ? 0 : at);
    bool named = false;
    if (at == 64) {
      auto key = crypto::from_hex(p.substr(0, at));
      named = key && key->size() == 32;
      if (named) peer.public_key = std::move(*key);
    } else {
      auto [ptr, ec] = std::from_chars(p.data(), end, peer.validator);
      named = at != std::string::npos && ec == std::errc() && ptr == end;
    }
    if (!named || !valid_host_port(p.substr(at + 1))) {
      return Status::invalid_argument(name + ": [p2p] peers[" + std::to_string(i) + "] '" + p +
                                      "' is not <validator index>@host:port or <64-hex public key>@host:port");
    }
    peer.address = p.substr(at + 1);
    c.peers.push_back(peer);
  }
  static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), c.log_level) == kLevels.end()) {
    return Status::invalid_argument(name + ": [log] level '" + c.log_level +
                                    "' is not one of trace, debug, info, warn, error, critical, off");
  }
  c.key_file = resolve(base, key_file);
  c.genesis_file = resolve(base, genesis_file);
  c.data_dir = resolve(base, data_dir);
  c.tls_ca = resolve(base, tls_ca);
  c.tls_cert = resolve(base, tls_cert);
  c.tls_key = resolve(base, tls_key);
  c.trace_file = trace_file.empty() ? c.data_dir / "consensus-trace.bin" : resolve(base, trace_file);
  c.clock_offset_file = resolve(base, clock_offset_file);
  if (c.tls && (c.tls_ca.empty() || c.tls_cert.empty() || c.tls_key.empty())) {
    return Status::invalid_argument(name + ": [p2p] tls = true needs tls_ca, tls_cert and tls_key");
  }
  const bool metrics_tls_given = root.contains("metrics") && root.at("metrics").is_table() &&
                                 root.at("metrics").contains("tls");
  c.metrics_tls = metrics_tls_given ? metrics_tls : c.tls;
  if (c.metrics_tls && (c.tls_cert.empty() || c.tls_key.empty())) {
    return Status::invalid_argument(
        name + ": [metrics] tls = true serves the node's certificate and needs [p2p] tls_cert and "
               "tls_key");
  }
  return c;
}

}  // namespace sharechain::node
