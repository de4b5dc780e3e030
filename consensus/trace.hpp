// The consensus input trace: a record of every input a driver fed its Engine, with its time,
// the answers the engine's hooks gave, and a digest of the actions that came back. The engine
// is a pure function of those, so running a fresh Engine on the same trace (replay_trace) must
// reproduce every decision; `sharechain-sim --replay FILE` does that for a node's trace.
//
// The format is proto/sharechain/trace.proto: length-delimited TraceRecords, one TraceHeader
// per engine lifetime, then one TraceInput per call of an Engine input method.
//
// What replay cannot have is the node's private key, and BIP340 signatures use fresh randomness.
// So the recorder also keeps every signature the engine asked its Signer for (they are public:
// they go out in envelopes), and replay hands those back in the same order. Replay's Verifier
// checks real signatures against the validators' public keys, as the node's does. The actions
// digest leaves out envelope signatures anyway (see actions_digest), so it only compares what the
// engine decided.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/engine.hpp"
#include "consensus/types.hpp"
#include "sharechain/trace.pb.h"

namespace sharechain::consensus {

inline constexpr uint32_t kTraceFormat = 1;

// SHA-256 over a canonical rendering of `actions`: per action its kind and fields in order;
// envelopes as (validator, payload) without their signature; Persist puts and deletes in
// order; Deliver as height, hash and the serialized block. Equal digests mean the same
// decisions (signatures inside payloads, e.g. votes, are part of the payload).
crypto::Hash actions_digest(const Actions& actions);

// Records a driver's engine inputs into an in-memory buffer of length-delimited records that
// the driver writes out when it likes (take()). Wrap the Signer and Application the engine is
// constructed with (signer(), application()), write header() with the constructor's other
// arguments, then drive the engine through TracedEngine.
class TraceRecorder {
 public:
  TraceRecorder(Signer& signer, Application& app);
  TraceRecorder(const TraceRecorder&) = delete;
  TraceRecorder& operator=(const TraceRecorder&) = delete;

  Signer& signer() { return signer_; }
  Application& application() { return app_; }

  // Starts a segment: what the Engine is (about to be) constructed with.
  void header(const Config& config, const std::map<std::string, std::string>& persisted,
              uint64_t last_height, const crypto::Hash& last_block_hash,
              const crypto::Hash& last_state_root, uint64_t last_timestamp_ms,
              const std::string& node_name = {}, const crypto::Hash& last_history = {},
              std::optional<TipFacts> tip = std::nullopt);

  // Around one input: begin() returns the record to fill with the input's arguments; the hooks
  // add their answers while the engine runs; end() adds the actions digest and appends it.
  TraceInput& begin(TraceInputKind kind, uint64_t now_ms);
  void end(const Actions& actions);

  size_t buffered() const { return buffer_.size(); }
  // The bytes recorded since the last take().
  std::string take();
  uint64_t inputs() const { return inputs_; }
  uint64_t bytes() const { return bytes_; }  // recorded in all

 private:
  class RecordingSigner final : public Signer {
   public:
    RecordingSigner(Signer& inner, TraceRecorder& owner) : inner_(inner), owner_(owner) {}
    std::string sign(const crypto::Hash& digest) override;

   private:
    Signer& inner_;
    TraceRecorder& owner_;
  };
  class RecordingApplication final : public Application {
   public:
    RecordingApplication(Application& inner, TraceRecorder& owner) : inner_(inner), owner_(owner) {}
    Status validate_proposal(const BlockHeader& header, const Block& block) override;

   private:
    Application& inner_;
    TraceRecorder& owner_;
  };

  void append(const TraceRecord& record);

  RecordingSigner signer_;
  RecordingApplication app_;
  TraceRecord current_;
  bool open_ = false;
  std::string buffer_;
  uint64_t inputs_ = 0;
  uint64_t bytes_ = 0;
};

// The engine's input methods, recorded when a recorder is attached (one branch when not).
class TracedEngine {
 public:
  TracedEngine() = default;
  TracedEngine(Engine& engine, TraceRecorder* recorder) : engine_(&engine), rec_(recorder) {}

  Engine& engine() { return *engine_; }
  TraceRecorder* recorder() { return rec_; }

  Actions start(uint64_t now_ms);
  Actions on_message(const Envelope& envelope, uint64_t now_ms);
  Actions on_timer(TimerId id, uint64_t now_ms);
  Actions on_request(std::vector<Tx> txs, uint64_t now_ms);
  Actions on_executed(uint64_t height, const crypto::Hash& state_root, const crypto::Hash& history,
                      uint64_t now_ms);
  Actions on_state_transferred(uint64_t height, const crypto::Hash& block_hash,
                               const crypto::Hash& state_root, uint64_t timestamp_ms,
                               uint64_t now_ms, const crypto::Hash& history);
  Actions on_transactions_committed(const std::vector<crypto::Hash>& hashes, uint64_t now_ms);
  Actions probe_peers(uint64_t now_ms);
  Actions set_epoch_end(const EpochEnd& end, uint64_t now_ms);

 private:
  Engine* engine_ = nullptr;
  TraceRecorder* rec_ = nullptr;
};

// Reads records one by one. A stream that ends inside a record (a crash cut the tail) ends the
// trace: next() returns false and truncated() is true. A record that does not decode also ends
// it, with error() saying where.
class TraceReader {
 public:
  explicit TraceReader(std::istream& in) : in_(in) {}
  bool next(TraceRecord& record);
  bool truncated() const { return truncated_; }
  const std::string& error() const { return error_; }
  uint64_t records() const { return records_; }
  uint64_t offset() const { return offset_; }

 private:
  std::istream& in_;
  bool truncated_ = false;
  std::string error_;
  uint64_t records_ = 0;
  uint64_t offset_ = 0;
};

// Appends `record` to `out` with its varint length prefix.
void append_record(std::string& out, const TraceRecord& record);

// "message from 2 at 1700000123456: prepare view=0 height=3" and the like.
std::string describe_input(const TraceInput& input);

struct ReplayStep {
  uint64_t index = 0;  // 1-based, across segments
  const TraceInput* input = nullptr;
  const Actions* actions = nullptr;
  bool identical = true;
  const Engine* engine = nullptr;
};

struct ReplayReport {
  uint64_t segments = 0;
  uint64_t inputs = 0;  // replayed
  uint64_t view = 0;    // of the last segment's engine, after its last replayed input
  uint64_t committed = 0;
  uint64_t executed = 0;
  uint64_t halts = 0;   // engines that halted
  std::string halt_reason;
  uint64_t rejections = 0;  // in all segments
  bool truncated = false;   // the file ended inside a record (the crash tail)
  std::string error;        // the trace could not be read or used; nothing is compared after it
  // The first input whose actions (or hook calls) differ from the recording: replay stops there.
  std::optional<uint64_t> first_divergence;
  std::string divergence;  // what differs, and the input
  bool identical() const { return error.empty() && !first_divergence; }
};

// Rebuilds each segment's engine from its header (a KeyVerifier over the recorded keys unless
// `verifier` is given; the recorded signatures and application answers), feeds it every
// recorded input at its recorded time, and compares each input's actions digest. `observe`
// sees every replayed input.
ReplayReport replay_trace(std::istream& in, Verifier* verifier = nullptr,
                          const std::function<void(const ReplayStep&)>& observe = {});

}  // namespace sharechain::consensus
