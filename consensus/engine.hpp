// The PBFT replica as a pure state machine (Castro and Liskov, with blocks as requests and
// heights as sequence numbers). See consensus/README.md for the protocol, what it persists and
// why, and the argument that its pipelining and view-change rules are safe.
//
// Every input returns the actions it causes, in the order the driver must perform them. A
// Persist always precedes the Send or Broadcast whose safety depends on it: every signature comes
// from the safety rules (safety.hpp), which say what must be persisted first or refuse. Inputs
// are never rejected by exception: a message that fails a check is dropped, counted in
// rejections() under a Rejection (rejection.hpp), and kept as last_rejection().
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "consensus/block_rules.hpp"
#include "consensus/epochs.hpp"
#include "consensus/rejection.hpp"
#include "consensus/safety.hpp"
#include "consensus/signing.hpp"
#include "consensus/types.hpp"
#include "consensus/quorum.hpp"
#include "consensus/view_change.hpp"

namespace sharechain::consensus {

// What the node's store knows of its committed tip beyond the hash: the state height the tip's
// header certifies and whether the tip has transactions. With it a restarted primary knows at
// once whether the tip's state still needs the empty certifying block (check_certifying);
// without it (a node that restored a snapshot holds no tip block) it learns at the next commit.
struct TipFacts {
  uint64_t state_height = 0;
  bool has_transactions = false;
};

class Engine {
 public:
  // `signer` is used only through the safety rules. `persisted` holds every key/value this
  // engine (in an earlier life) asked to persist and did not delete. last_* describe what the
  // node's store has committed and executed: height 0 is genesis, with 32 zero bytes as its hash
  // and the genesis state root. A configuration or persisted state the engine cannot use makes
  // start() return Halt.
  Engine(Config config, Signer& signer, Verifier& verifier, Application& app,
         const std::map<std::string, std::string>& persisted, uint64_t last_height,
         const crypto::Hash& last_block_hash, const crypto::Hash& last_state_root,
         uint64_t last_timestamp_ms, const crypto::Hash& last_history = {},
         std::optional<TipFacts> tip = std::nullopt);

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Call once, before any other input: re-delivers committed blocks the node has not yet
  // executed, re-sends what a restarted replica owes its peers, and arms its timers.
  Actions start(uint64_t now_ms);
  // A consensus envelope from a peer: checks sender and signature, decodes, validates, acts.
  Actions on_message(const Envelope& envelope, uint64_t now_ms);
  // A timer armed by SetTimer has expired.
  Actions on_timer(TimerId id, uint64_t now_ms);
  // New pending transactions. Already queued or recently committed ones are ignored.
  Actions on_request(std::vector<Tx> txs, uint64_t now_ms);
  // The node executed the delivered block at `height`; `state_root` is the state after it and
  // `history` the history value after it (storage/history.hpp). Proposals certify both for their
  // state_height; a host that executes nothing (the ordering benchmark) passes zero, which every
  // replica of its agrees on.
  Actions on_executed(uint64_t height, const crypto::Hash& state_root, const crypto::Hash& history,
                      uint64_t now_ms);
  Actions on_executed(uint64_t height, const crypto::Hash& state_root, uint64_t now_ms) {
    return on_executed(height, state_root, crypto::Hash{}, now_ms);
  }
  // The node fetched, verified and executed certified blocks up to `height` (after FetchBlocks).
  Actions on_state_transferred(uint64_t height, const crypto::Hash& block_hash,
                               const crypto::Hash& state_root, uint64_t timestamp_ms,
                               uint64_t now_ms, const crypto::Hash& history = {});
  // Transactions the node committed without a Deliver (through state transfer): they leave the
  // pending queue so no primary proposes them again.
  Actions on_transactions_committed(const std::vector<crypto::Hash>& hashes, uint64_t now_ms);

  // A validator-set change executed: this epoch's last height is `end.last_height`, and the
  // blocks above it are certified by the set whose hash is `end.next_set_hash`. The host calls it
  // when it executes the change (epochs.hpp says why that is early enough) and may call it again
  // for a later change with the same last height. A later last height is ignored: that change
  // belongs to the next epoch. This replica then proposes and votes on nothing above the last
  // height, and the block at it must carry next_set_hash.
  Actions set_epoch_end(const EpochEnd& end, uint64_t now_ms);
  // True once the epoch's last height is executed here: the host starts the next epoch's engine
  // (with pending_transactions()) and this one takes no more input.
  bool epoch_finished() const {
    return cfg_.epoch_end && executed_ >= cfg_.epoch_end->last_height;
  }
  uint64_t epoch() const { return cfg_.epoch; }
  // The highest epoch named by an envelope a peer sent (0 if none above this one's): a peer is
  // ahead, and this replica has blocks to fetch.
  uint64_t newer_epoch_seen() const { return newer_epoch_seen_; }
  // The pending requests, oldest first.
  std::vector<Tx> pending_transactions() const;

  // Asks every other validator for its highest commit certificate (a Committed probe). The
  // driver calls it when it starts, when it resumes after its clock jumped (the process was
  // frozen), and periodically, so that in_touch() and certified_height() stay current even on
  // an idle chain.
  Actions probe_peers(uint64_t now_ms);

  // Read-only status for metrics and the API.
  uint64_t view() const { return view_; }
  bool view_active() const { return active_; }  // false while changing to view()
  uint32_t primary() const;
  uint64_t committed_height() const { return committed_; }
  const crypto::Hash& committed_hash() const { return committed_hash_; }
  uint64_t executed_height() const { return executed_; }
  uint64_t stable_checkpoint() const { return stable_; }
  // The highest height this replica knows a quorum committed: its own, or a peer's verified
  // commit certificate (the catch-up target).
  uint64_t certified_height() const { return std::max(committed_, catchup_target_); }
  // True when, within `window_ms` before `now_ms`, enough validators answered probes (or sent
  // a Committed) that together with this one they form a quorum. A quorum meets every other
  // quorum in at least one honest validator, so then certified_height() covers every block the
  // chain had committed when they answered. Always true for a single validator.
  bool in_touch(uint64_t now_ms, uint64_t window_ms) const;
  // How many other validators answered within the window, and how many must.
  size_t peers_heard(uint64_t now_ms, uint64_t window_ms) const;
  size_t peers_needed() const { return quorum_ - 1; }
  size_t pending_requests() const { return queue_.size(); }
  bool halted() const { return halted_; }
  const std::string& halt_reason() const { return halt_reason_; }
  // Dropped inputs: how many for `reason`, how many in all, and the most recent one (its reason,
  // the validator it names, and why in words).
  uint64_t rejections(Rejection reason) const { return rejections_[static_cast<size_t>(reason)]; }
  uint64_t rejections_total() const { return rejections_total_; }
  const std::optional<RejectedInput>& last_rejection() const { return last_rejection_; }
  uint64_t view_changes_started() const { return view_changes_started_; }
  const Config& config() const { return cfg_; }

 private:
  struct Proposal {
    uint64_t view = 0;
    Block block;
    CheckedBlock checked;
    Envelope envelope;  // the PRE-PREPARE, or the NEW-VIEW that re-proposed it
  };
  struct Vote {
    uint64_t view = 0;
    crypto::Hash hash{};
    std::string signature;
    Envelope envelope;
  };
  struct Slot {
    std::optional<Proposal> proposal;          // accepted in the current view
    std::map<crypto::Hash, Proposal> earlier;  // proposals seen in earlier views, by hash
    std::map<uint32_t, Vote> prepares;         // current view only
    std::map<uint32_t, Vote> commits;          // each validator's highest-view commit
    bool prepare_sent = false;                 // in the current view
    bool commit_sent = false;
    std::string rejected;  // why the current view's proposal will not get our PREPARE
    std::optional<Envelope> my_prepare;
  };
  struct StoredViewChange {
    uint64_t view = 0;
    Envelope envelope;
    ViewChangeSummary summary;
  };
  struct CheckpointVote {
    crypto::Hash hash{};
    crypto::Hash root{};
    std::string signature;
    Envelope envelope;
  };
  struct Pending {
    Tx tx;
    uint64_t arrival_ms = 0;
  };
  struct Certificate {
    uint64_t view = 0;
    crypto::Hash hash{};
    std::vector<uint32_t> voters;
  };

  // Inside the watermark window and not beyond the epoch's last height.
  bool admits(uint64_t height) const {
    return in_window(height, stable_, cfg_.window) &&
           (!cfg_.epoch_end || height <= cfg_.epoch_end->last_height);
  }
  // What next_validator_set_hash the block at `height` must carry: the next set's hash at the
  // epoch's last height, nothing below it.
  std::string expected_next_set_hash(uint64_t height) const;

  // engine.cpp: inputs, normal case, delivery, proposing, timers
  void finish(uint64_t now, Actions& out);
  void advance(uint64_t now, Actions& out);
  void maybe_prepare(uint64_t height, Slot& slot, Actions& out);
  void maybe_commit_vote(uint64_t height, Slot& slot, Actions& out);
  bool try_deliver(uint64_t height, Slot& slot, Actions& out);
  // `cert` certifies `proposal`'s block at `height`.
  void deliver(uint64_t height, const Proposal& proposal, CommitCertificate cert, Actions& out);
  std::optional<Certificate> find_certificate(const Slot& slot) const;
  const Proposal* find_block(const Slot& slot, uint64_t height, const crypto::Hash& hash);
  bool maybe_propose(uint64_t now, Actions& out);  // true when it proposed a block
  std::optional<Parent> next_parent() const;
  // The parent of the empty block that certifies the state after the last block with
  // transactions, when this replica is the primary and nothing else will certify it.
  std::optional<Parent> certifying_parent() const;
  uint64_t certify_due_ms() const { return executed_at_ms_ + cfg_.batch_delay_ms; }
  void propose(const Parent& parent, uint64_t now, Actions& out);
  void update_timers(uint64_t now, Actions& out);
  bool has_outstanding_work() const;
  void resend(uint64_t now, Actions& out);
  void note_behind(uint64_t target, const std::vector<uint32_t>& sources);
  void request_fetch(Actions& out);
  void drop_requests(const std::vector<crypto::Hash>& hashes);
  void mark_in_block(const std::vector<crypto::Hash>& hashes);
  void reset_in_block();
  void record_executed(uint64_t height, const crypto::Hash& root, const crypto::Hash& history,
                       Actions& out);
  // Halts when a committed header certified another state root or history for `height` than
  // this replica produced (`how`: "computed", "state transfer produced").
  bool disagrees_with_certified(uint64_t height, const crypto::Hash& root, const crypto::Hash& history,
                                const char* how, Actions& out);
  void halt(std::string reason, Actions& out);
  // `validator`: the one the input names as its sender, if any (see RejectedInput).
  void reject(Rejection reason, std::optional<uint32_t> validator, std::string detail);
  void send_evidence(uint32_t validator, const char* kind, uint64_t view, uint64_t height,
                     const Envelope& first, const Envelope& second, Actions& out);
  bool may_help(uint32_t peer, uint64_t now);
  // Performs what the safety rules asked to persist, then broadcasts what they signed.
  void broadcast_signed(Signed s, Actions& out);
  bool check_vote(uint32_t validator, VoteKind kind, uint64_t view, uint64_t height,
                  const crypto::Hash& hash, const std::string& sig);

  // engine_messages.cpp: one handler per message kind
  void on_pre_prepare(const Envelope& env, const PrePrepare& m, uint64_t now, Actions& out);
  void on_prepare(const Envelope& env, const Prepare& m, uint64_t now, Actions& out);
  void on_commit(const Envelope& env, const Commit& m, uint64_t now, Actions& out);
  void on_checkpoint(const Envelope& env, const Checkpoint& m, uint64_t now, Actions& out);
  void on_committed(const Envelope& env, const Committed& m, uint64_t now, Actions& out);
  // `cert` verified: it becomes my_cert_ (persisted) if higher than the one kept.
  void keep_certificate(const CommitCertificate& cert, Actions& out);
  // `peer` sent something showing it still works on `height` (0: unknown) in `view`: send it
  // what it needs to catch up, at most once per resend interval.
  void help_laggard(uint32_t peer, uint64_t height, uint64_t view, uint64_t now, Actions& out);

  // engine_checkpoint.cpp
  void maybe_send_checkpoint(uint64_t height, Actions& out, bool restarted = false);
  void check_checkpoint(uint64_t height, Actions& out);
  // Halts if a quorum's checkpoint contradicts the block or state this replica has there.
  bool halt_on_conflict(uint64_t height, const crypto::Hash& hash, const crypto::Hash& root,
                        Actions& out);
  void make_stable(uint64_t height, const crypto::Hash& hash, const crypto::Hash& root,
                   const std::vector<uint32_t>& voters, Actions& out);
  // `proof` came in a VIEW-CHANGE whose proofs verified: it becomes the stable checkpoint once
  // this replica has executed its height.
  void note_checkpoint_proof(const CheckpointProof& proof, Actions& out);
  void adopt_proven_checkpoint(Actions& out);
  void set_stable(CheckpointProof proof, Actions& out);

  // engine_view_change.cpp
  void start_view_change(uint64_t new_view, Actions& out);
  void leave_current_view();
  Verdict<Signed> make_view_change(uint64_t new_view);
  void on_view_change(const Envelope& env, const ViewChange& m, uint64_t now, Actions& out);
  void on_new_view(const Envelope& env, const NewView& m, uint64_t now, Actions& out);
  // `why` says which Rejection a failure is: bad_new_view, or invalid_proposal when only the
  // re-proposed block fails this replica's block rules (its limits are local settings).
  Result<NewViewDecision> check_new_view(const NewView& m, Rejection& why);
  void check_view_change_quorum(Actions& out);
  void send_new_view(Actions& out);
  void enter_new_view(const NewViewDecision& d, const Envelope& env,
                      const std::string& reproposal_signature, Actions& out);
  size_t view_changes_for(uint64_t view) const;   // validators whose latest VIEW-CHANGE is for `view`
  size_t view_changes_from(uint64_t view) const;  // ... is for `view` or a later one

  // engine_persist.cpp
  void put(Persist& p, std::string key, const google::protobuf::MessageLite& value);
  void erase_below(Persist& p, uint64_t height);  // height-keyed records at or below `height`
  Status restore(const std::map<std::string, std::string>& persisted);

  Config cfg_;
  crypto::Hash set_hash_{};  // validator_set_hash(cfg_.validators)
  uint32_t n_ = 0;
  uint32_t quorum_ = 0;
  uint32_t weak_ = 0;
  SafetyRules safety_;  // the only holder of the signer; its own view, votes and certificate
  Verifier& verifier_;
  Application& app_;
  Status init_status_;
  bool started_ = false;
  bool halted_ = false;
  std::string halt_reason_;

  // The committed chain and its execution.
  uint64_t committed_ = 0;
  crypto::Hash committed_hash_{};
  uint64_t committed_ts_ = 0;
  std::optional<uint64_t> committed_state_height_;
  std::map<uint64_t, crypto::Hash> committed_hashes_;  // above the stable checkpoint
  uint64_t executed_ = 0;
  uint64_t executed_at_ms_ = 0;  // when executed_ last advanced
  uint64_t last_tx_height_ = 0;  // the highest committed height whose block has transactions
  std::map<uint64_t, crypto::Hash> executed_roots_;
  std::map<uint64_t, crypto::Hash> certified_roots_;  // claimed by committed headers, unexecuted
  std::map<uint64_t, crypto::Hash> executed_history_;   // history(h) beside executed_roots_
  std::map<uint64_t, crypto::Hash> certified_history_;  // as certified_roots_, for history_root
  std::optional<CommitCertificate> my_cert_;          // highest certificate this replica formed
  std::map<uint64_t, Block> redeliver_;               // persisted committed blocks, after restart
  std::map<uint64_t, std::vector<crypto::Hash>> recent_txs_;  // committed, by height
  std::unordered_set<crypto::Hash, crypto::HashHasher> recent_tx_set_;

  // View state.
  uint64_t view_ = 0;
  bool active_ = true;
  uint64_t failed_views_ = 0;
  uint64_t first_fresh_ = 1;
  std::optional<Envelope> new_view_env_;
  std::optional<Envelope> my_view_change_;
  std::map<uint32_t, StoredViewChange> view_changes_;  // each validator's highest
  uint64_t view_changes_started_ = 0;

  // The message log inside the watermark window.
  std::map<uint64_t, Slot> slots_;
  std::map<uint64_t, Envelope> my_commits_;  // own COMMITs for committed heights, to help laggards

  // Checkpoints.
  uint64_t stable_ = 0;
  CheckpointProof stable_proof_;
  std::optional<CheckpointProof> proven_checkpoint_;  // above stable_, not yet executed here
  std::map<uint64_t, std::map<uint32_t, CheckpointVote>> checkpoint_votes_;
  std::optional<Envelope> my_checkpoint_;
  uint64_t my_checkpoint_height_ = 0;

  // Pending requests, in arrival order.
  std::map<uint64_t, Pending> queue_;
  std::unordered_map<crypto::Hash, uint64_t, crypto::HashHasher> queue_index_;
  uint64_t next_seq_ = 0;
  // Sequence numbers of the requests in no proposal of this primary yet, oldest first (a request
  // in queue_ but not here is in one of this primary's uncommitted proposals). Kept beside
  // queue_ so finding the oldest eligible request does not walk past the (possibly thousands
  // of) requests already in blocks in flight: that walk ran on every input.
  std::set<uint64_t> eligible_;
  uint64_t eligible_bytes_ = 0;
  std::unordered_set<crypto::Hash, crypto::HashHasher> in_block_;  // in this primary's uncommitted proposals of this view

  // Timers and catch-up.
  bool batch_armed_ = false;
  bool request_armed_ = false;
  bool view_change_armed_ = false;
  bool resend_armed_ = false;
  bool progressed_ = false;  // a commit or a new view since the request timer was armed
  uint64_t catchup_target_ = 0;
  std::vector<uint32_t> catchup_sources_;
  uint64_t fetch_requested_to_ = 0;
  uint64_t committed_at_last_tick_ = 0;
  uint64_t view_at_last_tick_ = 0;
  uint64_t quiet_resends_ = 0;  // resend ticks in a row without a commit or a view change
  std::map<uint32_t, uint64_t> last_help_ms_;
  std::map<uint32_t, uint64_t> last_probe_answer_ms_;  // we answered their probe
  std::map<uint32_t, uint64_t> heard_ms_;              // their latest Committed reached us

  // Accounting.
  std::array<uint64_t, kRejectionKinds> rejections_{};
  uint64_t rejections_total_ = 0;
  std::optional<RejectedInput> last_rejection_;
  std::set<std::tuple<uint32_t, std::string, uint64_t, uint64_t>> evidence_sent_;
  std::set<std::string> persisted_keys_;
  // Epochs.
  uint64_t newer_epoch_seen_ = 0;
  // Records an engine of an earlier epoch left (deleted by start()), and whether this engine's
  // epoch record is still to be written.
  std::vector<std::string> stale_keys_;
  bool write_epoch_record_ = false;
};

}  // namespace sharechain::consensus
