// The safety rules: the one place inside the engine that holds this replica's signing key, and
// the records that keep it from ever signing two conflicting things for one slot, across
// crashes included.
//
// Every signature the engine needs (PRE-PREPARE with its PREPARE, PREPARE, COMMIT, CHECKPOINT,
// VIEW-CHANGE, NEW-VIEW with its re-proposal, the envelopes around them) is asked of
// SafetyRules, which either signs and says what must be durable first, or refuses with a typed
// reason. The rules it enforces, each with the reason it exists:
//
//  - One PREPARE per (view, height), one COMMIT per (view, height): two would be equivocation,
//    and PBFT's quorum intersection argument assumes an honest replica never does it.
//  - Votes only in the view this replica is in, and only once it has entered it (a NEW-VIEW was
//    accepted or sent): a replica sends nothing in a view after its VIEW-CHANGE for a later one,
//    so that VIEW-CHANGE is a complete account of what it voted for (README, consequence 3).
//  - Views only move forward: a VIEW-CHANGE or NEW-VIEW never returns to a view left or entered.
//  - A COMMIT needs this replica's own PREPARE for the same block and a prepared certificate with
//    a quorum of PREPAREs; the certificate is kept, only moves up in (height, view), and is
//    reported in every later VIEW-CHANGE (consequence 2).
//  - No vote at a height already committed in the current view, and no CHECKPOINT below the
//    stable checkpoint or contradicting one already signed at its height.
//
// The result of a signing call carries a Persist: it must be performed before the signed
// envelope leaves, so a replica that crashes right after sending restarts with the records
// that make it refuse a contradicting vote. restore() rebuilds the records from those writes.
//
// What is not persisted: CHECKPOINT votes above the stable checkpoint. A restarted replica
// re-signs at most the checkpoint of its last executed height, whose state root comes from the
// node's durable store, so it can only contradict itself if that store lost data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "consensus/signing.hpp"
#include "consensus/types.hpp"
#include "consensus/view_change.hpp"

namespace sharechain::consensus {

// "pv/00000000000000000042": a persisted key for a height, zero-padded so keys sort by height.
std::string height_key(std::string_view prefix, uint64_t height);
// Splits such a key into its prefix (slash included) and height; false if it is not one.
bool parse_height_key(const std::string& key, std::string& prefix, uint64_t& height);

enum class Refusal : uint8_t {
  kWrongView,         // a vote for a view other than the current one
  kChangingView,      // a vote in a view this replica is still changing to
  kViewGoesBack,      // a VIEW-CHANGE or NEW-VIEW for a view already left or entered
  kConflictingVote,   // another block (or checkpoint) was already signed for this slot
  kCommittedHeight,   // a height already committed in this view, or below the stable checkpoint
  kNotPrepared,       // a COMMIT without this replica's PREPARE for the block or a quorum of them
  kPreparedGoesBack,  // a prepared certificate below the one this replica already reports
  kUnknownProposal,   // re-sending a proposal this replica has no record of signing
};
// "conflicting_vote", ...
const char* refusal_name(Refusal reason);

struct Refused {
  Refusal reason{};
  std::string message;  // "already voted prepare for (view 3, height 17) on another block"
};

// A signed message and the records that must be durable before it is sent.
struct Signed {
  Persist persist;    // may be empty; the caller may add its own records to it
  Envelope envelope;  // signed by this replica
  std::string vote;   // the vote signature inside, when the message carries one
};

// Either what was asked for, or why the safety rules refused it.
template <typename T>
class [[nodiscard]] Verdict {
 public:
  Verdict(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Verdict(Refused refused) : v_(std::move(refused)) {}  // NOLINT(google-explicit-constructor)

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Refused& refused() const { return std::get<Refused>(v_); }

 private:
  std::variant<T, Refused> v_;
};

class SafetyRules {
 public:
  // Signs as validator `config.self` of `config.chain_id`. Until restore(), nothing was signed:
  // view 0, entered.
  SafetyRules(const Config& config, Signer& signer);

  SafetyRules(const SafetyRules&) = delete;
  SafetyRules& operator=(const SafetyRules&) = delete;

  // Rebuilds the records from what earlier lives persisted: `view`, `prepared`, and the pp/,
  // pv/ and cv/ records above `committed_height` (the node's height: below it nothing is voted
  // on again, and the current view's votes there are refused). Other keys are the engine's.
  // INTERNAL names a record that does not decode.
  Status restore(const std::map<std::string, std::string>& persisted, uint64_t committed_height);
  // Restart only: the NEW-VIEW this replica sent as primary of `view` (persisted by the engine
  // as `nv`) carried its PREPARE for (height, hash). Adds the record; never removes one.
  void restore_reproposal(uint64_t view, uint64_t height, const crypto::Hash& hash);

  // PRE-PREPARE for `block` at `height` in `view`, with this replica's PREPARE inside. Persist:
  // `pp/<height>`, so a restarted primary re-sends this block instead of proposing another.
  Verdict<Signed> sign_proposal(uint64_t view, uint64_t height, const Block& block);
  // The PRE-PREPARE of a persisted proposal again, after a restart: only for a proposal whose
  // PREPARE this replica recorded. Nothing to persist.
  Verdict<Signed> reseal_proposal(uint64_t height, const PersistedProposal& proposal);
  // PREPARE. Persist: `pv/<height>`.
  Verdict<Signed> sign_prepare(uint64_t view, uint64_t height, const crypto::Hash& hash);
  // COMMIT for the certificate's block. Persist: `prepared` (the certificate, kept from now on
  // and returned by prepared()) and `cv/<height>`.
  Verdict<Signed> sign_commit(PreparedCertificate certificate);
  // CHECKPOINT. Nothing to persist (see the file comment).
  Verdict<Signed> sign_checkpoint(uint64_t height, const crypto::Hash& hash,
                                  const crypto::Hash& state_root);
  // VIEW-CHANGE to `view_change.new_view()`, with its `prepared` field set here to the kept
  // certificate when it is above `view_change.committed()`: the caller cannot leave it out.
  // From then on this replica is changing to that view and votes nowhere. Persist: `view`,
  // unless it already says so (a restarted replica re-signing its VIEW-CHANGE).
  Verdict<Signed> sign_view_change(ViewChange view_change, uint64_t failed_views);
  // NEW-VIEW for the view this replica is changing to, as its primary, with its PREPARE for
  // `decision.reproposal`. The view counts as entered. Persist: `view`.
  Verdict<Signed> sign_new_view(NewView new_view, const NewViewDecision& decision,
                                uint64_t failed_views);
  // Enters `view` on a peer primary's NEW-VIEW. Persist: `view`.
  Verdict<Persist> enter_view(uint64_t view, uint64_t failed_views);
  // A COMMITTED message: it forwards a certificate (empty when there is none yet) and votes for
  // nothing; with `probe` it also asks the receiver for its own.
  Envelope seal_committed(const CommitCertificate& certificate, bool probe = false);

  // Heights up to `height` are committed: their records go, and in the current view no vote is
  // signed at them again.
  void forget_through(uint64_t height);
  // `proof` is the stable checkpoint: no CHECKPOINT below its height, none contradicting it.
  void set_stable(const CheckpointProof& proof);

  uint64_t view() const { return view_; }
  bool active() const { return active_; }                  // false while changing to view()
  uint64_t failed_views() const { return failed_views_; }  // as last persisted
  // The highest prepared certificate this replica sent a COMMIT for.
  const std::optional<PreparedCertificate>& prepared() const { return prepared_; }

 private:
  struct Record {
    uint64_t view = 0;
    crypto::Hash hash{};
  };

  std::optional<Refused> check_vote(const char* kind, const std::map<uint64_t, Record>& votes,
                                    uint64_t view, uint64_t height, const crypto::Hash& hash,
                                    bool entering) const;
  std::string vote_signature(VoteKind kind, uint64_t view, uint64_t height,
                             const crypto::Hash& hash);
  Envelope seal(const Message& message);
  void put_view(Persist& persist) const;

  std::string chain_id_;
  uint32_t self_ = 0;
  uint64_t epoch_ = 0;
  uint32_t quorum_ = 0;
  Signer& signer_;

  uint64_t view_ = 0;
  bool active_ = true;
  uint64_t failed_views_ = 0;
  std::map<uint64_t, Record> prepares_;  // by height: the highest view's PREPARE
  std::map<uint64_t, Record> commits_;
  std::optional<PreparedCertificate> prepared_;
  // Votes in view floor_view_ at heights up to floor_height_ are refused: their records went
  // when the heights were committed.
  uint64_t floor_view_ = 0;
  uint64_t floor_height_ = 0;
  std::map<uint64_t, std::pair<crypto::Hash, crypto::Hash>> checkpoints_;  // block hash, root
  uint64_t stable_ = 0;
};

}  // namespace sharechain::consensus
