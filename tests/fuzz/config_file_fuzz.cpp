// Fuzz target config_file: sharechaind's TOML config (node/config.hpp load_config), read from a
// file the way the daemon reads it.
//  - any bytes: a Config, or a Status with a message; never a crash, an exception or UB
//  - an accepted config is usable as documented: every count, size and interval is positive,
//    window >= 2 x checkpoint_interval, the listen addresses are host:port, the log level is a
//    known one, tls has its three files, the paths are absolute
//  - an accepted config says what the file says: every integer key present in the file (read
//    here with toml11 on its own) has exactly that value in the Config, nothing truncated
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <toml.hpp>
#include <utility>

#include "node/config.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/scratch.hpp"

namespace {

using sharechain::node::Config;

// The file's integer under [table] key, when it is there and an integer.
std::optional<std::int64_t> file_integer(const toml::value& root, const char* table, const char* key) {
  if (!root.is_table() || !root.contains(table)) return std::nullopt;
  const toml::value& t = root.at(table);
  if (!t.is_table() || !t.contains(key)) return std::nullopt;
  const toml::value& v = t.at(key);
  if (!v.is_integer()) return std::nullopt;
  return v.as_integer();
}

void check_value(const toml::value& root, const char* table, const char* key, std::uint64_t got) {
  const auto want = file_integer(root, table, key);
  if (!want) return;
  FUZZ_CHECK(*want >= 0 && static_cast<std::uint64_t>(*want) == got,
             std::string("[") + table + "] " + key + " is " + std::to_string(*want) +
                 " in the file but " + std::to_string(got) + " in the accepted config");
}

void check_usable(const Config& c) {
  for (const auto& [what, v] : {std::pair{"max_block_txs", std::uint64_t{c.max_block_txs}},
                                std::pair{"max_block_bytes", c.max_block_bytes},
                                std::pair{"batch_delay_ms", c.batch_delay_ms},
                                std::pair{"checkpoint_interval", c.checkpoint_interval},
                                std::pair{"window", c.window},
                                std::pair{"view_timeout_ms", c.view_timeout_ms},
                                std::pair{"mempool_max_txs", c.mempool_max_txs},
                                std::pair{"mempool_max_bytes", c.mempool_max_bytes},
                                std::pair{"api_wait_timeout_ms", std::uint64_t{c.api_wait_timeout_ms}},
                                std::pair{"max_message_bytes", std::uint64_t{c.max_message_bytes}},
                                std::pair{"peer_queue_messages", std::uint64_t{c.peer_queue_messages}}}) {
    FUZZ_CHECK(v > 0, std::string("accepted config has ") + what + " = 0");
  }
  FUZZ_CHECK(c.window / 2 >= c.checkpoint_interval,
             "accepted window " + std::to_string(c.window) + " is less than twice checkpoint_interval " +
                 std::to_string(c.checkpoint_interval));
  for (const std::string& addr : {c.api_listen, c.p2p_listen, c.metrics_listen}) {
    FUZZ_CHECK(sharechain::node::valid_host_port(addr), "accepted listen address '" + addr + "'");
  }
  for (const auto& p : c.peers) {
    FUZZ_CHECK(sharechain::node::valid_host_port(p.address), "accepted peer address '" + p.address + "'");
  }
  static const std::string kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  FUZZ_CHECK(std::find(std::begin(kLevels), std::end(kLevels), c.log_level) != std::end(kLevels),
             "accepted log level '" + c.log_level + "'");
  FUZZ_CHECK(!c.tls || (!c.tls_ca.empty() && !c.tls_cert.empty() && !c.tls_key.empty()),
             "accepted tls = true without its files");
  for (const auto& p : {c.key_file, c.genesis_file, c.data_dir}) {
    FUZZ_CHECK(p.is_absolute(), "accepted a relative path " + p.string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto file = sharechain::fuzz::write_scratch_file("config.toml", bytes);
  auto loaded = sharechain::node::load_config(file);
  if (!loaded) {
    FUZZ_CHECK(!loaded.status().message().empty(), "config refused without a reason");
    return 0;
  }
  check_usable(*loaded);
  // load_config parsed the file, so toml11 parses it here too.
  const toml::value root = toml::parse(file.string());
  const Config& c = *loaded;
  check_value(root, "api", "wait_timeout_ms", c.api_wait_timeout_ms);
  check_value(root, "p2p", "max_message_bytes", c.max_message_bytes);
  check_value(root, "p2p", "send_queue_messages", c.peer_queue_messages);
  check_value(root, "consensus", "max_block_txs", c.max_block_txs);
  check_value(root, "consensus", "max_block_bytes", c.max_block_bytes);
  check_value(root, "consensus", "batch_delay_ms", c.batch_delay_ms);
  check_value(root, "consensus", "checkpoint_interval", c.checkpoint_interval);
  check_value(root, "consensus", "window", c.window);
  check_value(root, "consensus", "view_timeout_ms", c.view_timeout_ms);
  check_value(root, "mempool", "max_txs", c.mempool_max_txs);
  check_value(root, "mempool", "max_bytes", c.mempool_max_bytes);
  check_value(root, "mempool", "max_nonce_gap", c.mempool_max_nonce_gap);
  return 0;
}
