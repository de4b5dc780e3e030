// The consensus engine's inputs and outputs: configuration, the hooks the driver supplies
// (signing, verification, proposal judging) and the actions the engine returns.
//
// The engine is a pure state machine. It never reads a clock, opens a socket, starts a thread
// or draws a random number: time arrives as `now_ms` on every input, and everything the engine
// wants done comes back as an ordered list of actions that the driver performs in that order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "proto/crypto.hpp"
#include "proto/epoch_spacing.hpp"
#include "proto/status.hpp"
#include "sharechain/consensus.pb.h"
#include "sharechain/types.pb.h"

namespace sharechain::consensus {

struct ValidatorInfo {
  std::string public_key;  // BIP340 x-only key, 32 bytes; the validator's index is its position
};

// Where the current epoch ends, once a validator-set change has executed (epochs.hpp).
struct EpochEnd {
  uint64_t last_height = 0;    // the switch height: the last height this epoch certifies
  crypto::Hash next_set_hash{};  // validator_set_hash() of the set certifying the heights above
};

struct Config {
  std::string chain_id;
  std::vector<ValidatorInfo> validators;  // the current epoch's set
  uint32_t self = 0;                    // this replica's index in `validators`
  uint64_t epoch = 0;                   // 0 = the genesis set
  uint64_t epoch_start = 0;             // the last height of the epoch before (0 for epoch 0)
  crypto::Hash epoch_start_hash{};      // that block's hash (zero for epoch 0: genesis)
  std::optional<EpochEnd> epoch_end;    // known at start (a restart after the change executed)
  uint32_t max_block_txs = 2000;
  uint64_t max_block_bytes = 4 << 20;   // transactions' bytes per block
  uint64_t batch_delay_ms = 20;         // the primary cuts a block when full or after this delay
  uint64_t checkpoint_interval = kDefaultCheckpointInterval;  // K: a CHECKPOINT every K heights
  uint64_t window = kDefaultWindow;     // high watermark = stable checkpoint + window
  uint64_t view_timeout_ms = 2000;      // base request/view-change timeout, doubled per failed view
  uint64_t max_clock_skew_ms = 10000;   // a proposal's timestamp may lead our clock by this much
  uint64_t resend_interval_ms = 500;    // while work is outstanding, own messages are re-sent
};

// INVALID_ARGUMENT naming the first field that makes `config` unusable.
Status validate_config(const Config& config);

class Signer {
 public:
  virtual ~Signer() = default;
  // A 64-byte signature of `digest` by this replica's validator key.
  virtual std::string sign(const crypto::Hash& digest) = 0;
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  // True when `sig` is validator `validator`'s signature of `digest`. Must return false (never
  // throw) for an index outside the validator set or a malformed signature.
  virtual bool verify(uint32_t validator, const crypto::Hash& digest, std::string_view sig) = 0;
};

// The node's hook to judge a proposal's payload (transaction signatures, nonces, sizes). It is
// called once the block's parent is committed locally, must be deterministic, and must not keep
// references to its arguments.
class Application {
 public:
  virtual ~Application() = default;
  virtual Status validate_proposal(const BlockHeader& header, const Block& block) = 0;
};

// A pending transaction: `bytes` is a serialized SignedTransaction, `hash` is SHA-256 of its body.
struct Tx {
  crypto::Hash hash{};
  std::string bytes;
};

enum class TimerId : uint8_t {
  kBatch,       // the primary's batch delay
  kRequest,     // progress watchdog: fires a view change when requests wait too long
  kViewChange,  // a quorum is changing view but no NEW-VIEW has arrived
  kResend,      // re-send own messages while work is outstanding (the network may drop them)
};
const char* timer_name(TimerId id);

struct Send {
  uint32_t to = 0;
  Envelope envelope;
};
struct Broadcast {  // to every validator except this one
  Envelope envelope;
};
struct SetTimer {  // (re)arms the timer `id`; an earlier arming of the same id is forgotten
  TimerId id{};
  uint64_t delay_ms = 0;
};
struct CancelTimer {
  TimerId id{};
};
// Durable (synced) before the driver sends anything after it (a later Send or Broadcast, of this
// list or a later one): no message rests on a record a power failure could take back. A host may
// defer the sync until then; a power failure may then lose the newest records no message
// followed, which the engine sees as a crash just before them. Keys
// are printable ASCII; values are serialized protobuf messages. Deletes apply after puts (as
// storage's write_consensus does), so a key in both ends up deleted: the engine never lists one
// key in both.
struct Persist {
  std::vector<std::pair<std::string, std::string>> puts;
  std::vector<std::string> deletes;
};
// A committed block with its commit certificate, strictly in height order, each height exactly
// once per engine lifetime. The driver executes it and later reports on_executed().
struct Deliver {
  Block block;
  crypto::Hash hash{};
  uint64_t height = 0;
};
// The engine is behind: fetch the certified blocks [from_height, to_height] from `sources`
// (validators believed to hold them), verify their certificates, execute them in order, and call
// on_state_transferred() for the highest one applied. Partial progress is fine; the engine asks
// again if it is still behind.
struct FetchBlocks {
  uint64_t from_height = 0;
  uint64_t to_height = 0;
  std::vector<uint32_t> sources;
};
// Provable equivocation: two envelopes, both validly signed by `validator`, that contradict each
// other (two proposals, two votes or two checkpoints for the same slot).
struct Evidence {
  uint32_t validator = 0;
  std::string kind;  // "pre-prepare", "prepare", "commit" or "checkpoint"
  uint64_t view = 0;
  uint64_t height = 0;
  Envelope first;
  Envelope second;
};
// A broken invariant (this replica's state disagrees with a certified quorum, corrupt persisted
// data, an unusable configuration). The engine ignores every later input; the node must stop.
struct Halt {
  std::string reason;
};

using Action = std::variant<Send, Broadcast, SetTimer, CancelTimer, Persist, Deliver, FetchBlocks,
                            Evidence, Halt>;
using Actions = std::vector<Action>;

// "Broadcast(commit view=3 height=17)" and the like, for logs and test failure messages.
std::string describe(const Action& action);

}  // namespace sharechain::consensus
