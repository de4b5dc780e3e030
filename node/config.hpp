// sharechaind's configuration: one TOML file, paths relative to the folder that holds it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "proto/status.hpp"

namespace sharechain::node {

// A [p2p] peers entry: where to dial a node, named by its genesis validator index
// ("2@host:port") or, for a node admitted later, by its public key ("<64 hex>@host:port").
// Addresses of validators admitted by governance come from the chain (their peer_address); an
// entry here overrides that.
struct PeerAddress {
  std::uint32_t validator = 0;   // with an empty public_key
  std::string address;           // host:port
  std::string public_key;        // x-only, 32 raw bytes; empty when named by index
};

struct Config {
  std::filesystem::path config_file;
  // [node]
  std::string name = "node";
  std::filesystem::path key_file;
  std::filesystem::path genesis_file;
  std::filesystem::path data_dir;
  // [api]
  std::string api_listen = "127.0.0.1:26600";
  std::uint32_t api_max_subscriptions = 1000;  // open SubscribeBlocks streams at once
  std::uint32_t api_wait_timeout_ms = 30000;   // default for SubmitTransaction wait_for_commit
  // SubmitTransactions: one message carries at most this many transactions and bytes; a larger
  // message is refused with RESOURCE_EXHAUSTED naming the limit.
  std::uint32_t api_max_batch_txs = 1000;
  std::uint64_t api_max_batch_bytes = 4 << 20;
  // [p2p]
  std::string p2p_listen = "127.0.0.1:26601";
  std::vector<PeerAddress> peers;
  bool tls = false;
  std::filesystem::path tls_ca, tls_cert, tls_key;
  std::uint32_t max_message_bytes = 16 << 20;
  std::uint32_t peer_queue_messages = 10000;
  // [metrics]
  std::string metrics_listen = "127.0.0.1:26602";
  bool remote_logspec = false;  // PUT /logspec from hosts other than this one
  // HTTPS on the operations port, with the node's [p2p] certificate and key; by default on
  // exactly when the peers use TLS.
  bool metrics_tls = false;
  // [consensus]
  std::uint32_t max_block_txs = 2000;
  std::uint64_t max_block_bytes = 4 << 20;
  std::uint64_t batch_delay_ms = 20;
  // The chain's (genesis params.checkpoint_interval and params.window): every validator computes
  // the height at which a validator-set change takes effect from them. 0 here = take the
  // chain's; a value given must equal it (Node::create refuses the node otherwise).
  std::uint64_t checkpoint_interval = 0;
  std::uint64_t window = 0;
  std::uint64_t view_timeout_ms = 2000;
  // [mempool]
  std::uint64_t mempool_max_txs = 50000;
  std::uint64_t mempool_max_bytes = 64 << 20;
  std::uint64_t mempool_max_nonce_gap = 0;   // how far beyond a sender's first missing nonce
  std::uint64_t mempool_max_pending_per_account = 1000;  // the nonces a client may pipeline
  // [history]
  std::uint64_t backfill_blocks_per_s = 0;   // 0 = as fast as peers serve
  // [log]
  std::string log_level = "info";
  // [debug]
  bool trace_inputs = false;            // record every consensus engine input (consensus/trace.hpp)
  std::filesystem::path trace_file;     // default <data_dir>/consensus-trace.bin
  // A file holding an offset ("+30s", "-12") added to the node's wall clock, re-read each
  // second: fault injection steps one node's clock with it (node/wall_clock.hpp). Empty = none.
  std::filesystem::path clock_offset_file;
};

// Reads and validates the file. Every problem is reported with the file, the key and what is
// expected, e.g. "config.toml: [p2p] peers[1] '3@127.0.0.1' is not <validator>@host:port".
Result<Config> load_config(const std::filesystem::path& file);

// Splits "host:port"; false if the port is missing or not a number in 1..65535.
bool valid_host_port(const std::string& address);

}  // namespace sharechain::node
