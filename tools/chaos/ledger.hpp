// The acknowledgement ledger: a client that keeps sending transfers through randomly chosen
// nodes, waits for each to commit, and records in a JSONL file (record.hpp) every command, the
// hash it signed, what the node answered and whether it saw the transfer committed.
//
// Each sender key (chaos1..K in the cluster keystore, funded by `funder` at the start; each
// funding transfer is a command too) pays the next one in a ring, one command at a time. A
// command asks the chosen node for the sender's nonce, exactly as the wallet does: the node's
// answer, unless the node is behind the sender's last commit (tools/common/nonce_floor.hpp), in
// which case the nonce after that commit. Most commands are new payments (an amount and a memo
// of their own); some repeat the sender's previous payment (same recipient, amount and memo), as
// a customer paying the same bill twice does: with a fresh nonce that is a second transfer with
// its own hash, but built on a used nonce it is byte for byte the earlier transaction, and a node
// that then reports it committed has acknowledged one transfer for two commands
// (check_unique_acks). A client that took a stale node's nonce did exactly that under partitions
// (seed 20261210); the floor is the client's half of the protocol that prevents it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

namespace sharechain::chaos {

struct LedgerOptions {
  std::filesystem::path dir;  // the cluster folder (nodes, keystore, passphrase)
  std::filesystem::path out;  // the ledger file; replaced
  std::uint32_t senders = 4;
  std::string funder = "user2";
  std::uint64_t fund = 10'000'000;  // units each sender receives at the start
  std::uint64_t seed = 1;
  std::uint32_t repeat_percent = 25;
  std::chrono::milliseconds wait_timeout{10'000};  // how long a node may take to commit one
  std::chrono::milliseconds pause{100};            // between one sender's commands
  double duration_s = 0;                           // 0: until SIGINT or SIGTERM
};

// Runs until the duration ends or a SIGINT/SIGTERM arrives, lets the commands in flight finish,
// then prints a one-line summary on `err`. Exit code: 0, 2 for unusable options or keys, 1 when
// the senders could not be funded.
int run_ledger(const LedgerOptions& options, std::ostream& err);

}  // namespace sharechain::chaos
