// One consensus replica with the node's part played in memory, on the simulator's cheap
// deterministic signatures (tools/sim/fake_crypto.hpp), for the consensus target and for the
// cluster the corpus generator records it from.
//
// It plays the node as tests/consensus/harness.hpp does (Persist applied, Deliver executed at
// once and reported with on_executed, timers remembered), as a consensus::Host so that
// consensus::perform() carries out the actions exactly as it does for the node, and adds a
// crash: when `crash_after` is set, the process dies after that many actions of the next input
// (Host::before_action), so later Persists are lost and later messages never leave; boot() then
// rebuilds the engine from what was persisted.
//
// The consensus target's input is a validator byte (this replica's index, mod 4), then records
// (support/records.hpp) of steps; a record's tag is `kind | (validator << 4)`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "consensus/driver.hpp"
#include "consensus/engine.hpp"

namespace sharechain::fuzz {

inline constexpr std::uint32_t kValidators = 4;

enum class StepKind : std::uint8_t {
  kMessage = 0,   // a consensus Message from the tag's validator; the target signs it for them
  kEnvelope = 1,  // an Envelope delivered as it is
  kTimer = 2,     // bytes[0] % 4 names a TimerId; fired only if armed, after its delay
  kRequest = 3,   // a pending transaction whose body is the bytes
  kWait = 4,      // time passes: bytes[0..1] little-endian milliseconds
  kCrash = 5,     // the next input is cut after bytes[0] actions, then the replica restarts
};

inline std::uint8_t step_tag(StepKind kind, std::uint32_t validator = 0) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(kind) | ((validator & 0xf) << 4));
}

// Validator i's fake key: its signer, and a verifier that knows every key.
consensus::Signer& fake_signer(std::uint32_t validator);
consensus::Verifier& fake_verifier();

// tests/consensus/harness.hpp's small config (checkpoints every 4 heights, a window of 8),
// as validator `self`.
const consensus::Config& replica_config(std::uint32_t self);

// The transaction a kRequest step carries.
consensus::Tx request_tx(std::string_view body);

class Replica final : private consensus::Host {
 public:
  explicit Replica(std::uint32_t self);

  std::uint32_t self() const { return self_; }
  consensus::Engine& engine() { return *engine_; }
  std::uint64_t now() const { return now_; }
  void advance(std::uint64_t ms) { now_ += ms; }

  // The inputs; each returns the actions the replica performed (all of them, or those before
  // the crash), follow-ups of executed blocks included.
  consensus::Actions start();
  consensus::Actions message(const consensus::Envelope& envelope);
  // nullopt when that timer is not armed (a node never fires a timer it did not set).
  std::optional<consensus::Actions> timer(consensus::TimerId id);
  consensus::Actions request(std::vector<consensus::Tx> txs);

  // Cuts the next input after `actions` actions and restarts the replica after it.
  void crash_after(std::size_t actions) { crash_after_ = actions; }
  std::uint32_t restarts() const { return restarts_; }

  // The executed chain.
  std::uint64_t height() const { return hashes_.size(); }
  const std::vector<crypto::Hash>& hashes() const { return hashes_; }
  const std::map<consensus::TimerId, std::uint64_t>& timers() const { return timers_; }

 private:
  void boot();
  // Performs `actions` (consensus::perform) and returns those performed; after a crash,
  // restarts and appends what the restarted engine performed.
  consensus::Actions run(consensus::Actions actions);

  // consensus::Host: each do_* records the action in performed_.
  void do_send(const consensus::Send& send) override;
  void do_broadcast(const consensus::Broadcast& broadcast) override;
  void do_set_timer(const consensus::SetTimer& timer) override;
  void do_cancel_timer(const consensus::CancelTimer& timer) override;
  Status do_persist(const consensus::Persist& persist) override;
  void do_deliver(const consensus::Deliver& deliver, consensus::Actions& follow_up) override;
  void do_fetch(const consensus::FetchBlocks& fetch) override;
  void do_evidence(const consensus::Evidence& evidence) override;
  void do_halt(const consensus::Halt& halt) override;
  bool halted() override { return crashed_; }
  void before_action(const consensus::Action& action) override;

  std::uint32_t self_;
  std::uint64_t now_;
  std::unique_ptr<consensus::Engine> engine_;
  consensus::Application* app_;
  std::map<std::string, std::string> persisted_;
  std::vector<crypto::Hash> hashes_;
  std::vector<crypto::Hash> roots_;
  std::uint64_t last_timestamp_ms_;
  std::map<consensus::TimerId, std::uint64_t> timers_;
  std::optional<std::size_t> crash_after_;
  bool crashed_ = false;            // during run(): the crash point was reached
  consensus::Actions performed_;    // during run(): the actions performed so far
  std::uint32_t restarts_ = 0;
};

}  // namespace sharechain::fuzz
