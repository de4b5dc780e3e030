// The two files a chaos run writes for its checker.
//
// The acknowledgement ledger (`sharechain-chaos ledger --out FILE`): one JSON object per line,
// one line per command, written once the client knows what became of it:
//
//   {"cmd":17,"kind":"repeat","repeat_of":12,"sender":"chaos2","from":"sc…","to":"sc…",
//    "amount":412,"memo":"chaos seed 7 cmd 12","nonce":5,"nonce_from":"node","node":1,"tx_hash":"ab…",
//    "reply_hash":"ab…","outcome":"acked","height":913,"error":"","sent_ms":…,"latency_ms":41}
//
// `outcome` is "acked" (the client saw the transfer committed with an OK receipt, at `height`),
// "failed" (committed, but its receipt is not OK), "timeout" (accepted, not seen committed
// before the wait ended; it may still commit), "refused" (the node answered with an error) or
// "unreachable" (no answer). Only acked commands are promises the chain must keep.
// `tx_hash` is what the client computed from the bytes it signed; `reply_hash` is what the node
// answered with (empty when it did not answer).
//
// The fault log (scripts/chaos.sh, FILE faults.jsonl): one object per injected fault,
//
//   {"n":3,"kind":"partition","targets":[1,2],"at_s":41.2,"hold_s":9,"detail":"…",
//    "cluster_s":1.3,"cluster_from":"injection","node_s":4.1,"recovered":true}
//
// where `cluster_s` is how long the nodes not hit took to commit a new block (counted from the
// injection, or from the heal when the fault left no quorum: `cluster_from`), and `node_s` how
// long the nodes hit took, after the heal, to reach the height the others had at the heal.
// Either is null when it did not happen within the script's limit.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "proto/status.hpp"
#include "tools/common/render.hpp"

namespace sharechain::chaos {

inline constexpr std::string_view kAcked = "acked";
inline constexpr std::string_view kFailed = "failed";
inline constexpr std::string_view kTimeout = "timeout";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kUnreachable = "unreachable";

struct LedgerRecord {
  std::uint64_t cmd = 0;
  std::string kind;             // "fund", "pay" or "repeat"
  std::uint64_t repeat_of = 0;  // for "repeat": the command whose payment this one repeats
  std::string sender;           // key name
  std::string from;             // 20 raw bytes
  std::string to;               // 20 raw bytes
  std::uint64_t amount = 0;
  std::string memo;
  std::uint64_t nonce = 0;
  // "node" when the nonce is the node's answer, "floor" when the node was behind the sender's
  // last commit and the client signed on the nonce after it (tools/common/nonce_floor.hpp).
  std::string nonce_from = "node";
  std::uint32_t node = 0;  // index of the node the command went through
  std::string tx_hash;     // 32 raw bytes; empty when no transaction was built
  std::string reply_hash;  // 32 raw bytes, or empty
  std::string outcome;
  std::uint64_t height = 0;  // for "acked" and "failed"
  std::string error;
  std::uint64_t sent_ms = 0;  // wall clock when the command was sent
  std::uint64_t latency_ms = 0;

  bool acked() const { return outcome == kAcked; }
};

tools::Json to_json(const LedgerRecord& record);
// INVALID_ARGUMENT naming the field that is missing or malformed.
Result<LedgerRecord> ledger_record_from_json(const tools::Json& j);

struct LedgerFile {
  std::vector<LedgerRecord> records;
  // A last line cut short (the client was killed while writing it) is skipped and noted here;
  // a malformed line anywhere else makes reading fail.
  std::string note;
};
Result<LedgerFile> read_ledger(const std::filesystem::path& file);

struct FaultRecord {
  std::uint64_t n = 0;
  std::string kind;
  std::vector<std::uint32_t> targets;
  double at_s = 0;
  double hold_s = 0;
  std::string detail;
  std::optional<double> cluster_s;
  std::string cluster_from;  // "injection" or "heal"
  std::optional<double> node_s;
};

Result<FaultRecord> fault_record_from_json(const tools::Json& j);
// A missing file is an empty log (a run that ended before its first fault).
Result<std::vector<FaultRecord>> read_faults(const std::filesystem::path& file);

}  // namespace sharechain::chaos
