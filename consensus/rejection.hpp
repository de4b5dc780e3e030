// Why the engine dropped an input, and which of those reasons prove that a validator misbehaved.
//
// Every dropped input is counted under one Rejection. The labels returned by rejection_name()
// are stable: drivers use them as metric labels and in logs.
//
// Provable misbehaviour is what a third party holding the validator set can confirm from the
// signed bytes alone, with no clock, no local state and no node configuration: a penalty may
// rest on it. Everything else may come from an honest validator that is slow, restarted,
// differently configured or running a newer version, or from anyone at all, since the
// validator index on an envelope is only a claim until its signature verifies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sharechain::consensus {

enum class Rejection : uint8_t {
  // The envelope's index is outside the validator set.
  kNotValidator,
  // The envelope carries this replica's own index (a reflected or spoofed message).
  kOwnMessage,
  // The envelope signature does not verify for the validator it names.
  kBadSignature,
  // A validly signed envelope carries a vote signature (PREPARE, COMMIT, CHECKPOINT, or the
  // PREPARE inside a PRE-PREPARE) that does not verify against the message's own fields.
  kBadVoteSignature,
  // The payload does not decode, or a field has the wrong size or an impossible value.
  kMalformed,
  // For a view other than the one this replica is in (or while it is changing view).
  kWrongView,
  // A PRE-PREPARE or NEW-VIEW from a validator that is not the primary of the view it names.
  kNotPrimary,
  // For a height or view already decided here (late, re-sent, or from a laggard).
  kStale,
  // Outside the watermark window (stable checkpoint, stable checkpoint + window].
  kOutsideWindow,
  // A PRE-PREPARE below the first height the current view's NEW-VIEW leaves to new blocks.
  kBelowNewView,
  // The same message (or vote) was already received.
  kDuplicate,
  // A proposal that fails the block rules, this replica's state or the application.
  kInvalidProposal,
  // Two validly signed, conflicting messages from one validator for one slot (Evidence).
  kEquivocation,
  // A COMMITTED message whose commit certificate does not verify.
  kBadCertificate,
  // A VIEW-CHANGE whose proofs (certificates, checkpoint proof) do not verify.
  kBadViewChange,
  // A NEW-VIEW whose VIEW-CHANGE proofs, decision or re-proposal vote do not verify.
  kBadNewView,
  // This replica's safety rules refused to sign its own vote (it would contradict one it sent).
  kConflictingVote,
  // A pending transaction larger than a whole block.
  kOversizedRequest,
  // The node reported executing a height the engine has not committed.
  kNotCommitted,
  // An envelope signed as a member of another epoch's validator set: a peer that has not yet
  // switched, or one that switched before this replica (which then has blocks to fetch).
  kWrongEpoch,
};
inline constexpr size_t kRejectionKinds = static_cast<size_t>(Rejection::kWrongEpoch) + 1;

// The stable snake_case label: "bad_signature", "wrong_view", ...
const char* rejection_name(Rejection reason);

// True when a rejection for `reason` proves, from the rejected envelope alone, that the
// validator which signed it broke the protocol. The validator is RejectedInput::validator: for
// these reasons the engine has verified the envelope signature before rejecting, so the index
// it names is the signer. Rejections of this replica's own work carry no validator.
bool is_provable_misbehaviour(Rejection reason);

// The most recent rejection, for logs, metrics and peer penalties.
struct RejectedInput {
  Rejection reason = Rejection::kMalformed;
  // The validator the input names as its sender; absent for the node's own inputs (requests,
  // execution reports) and for this replica's own work. Only a claim unless the reason is
  // provable misbehaviour.
  std::optional<uint32_t> validator;
  std::string detail;

  // "wrong_view: prepare for view 3 in view 4"
  std::string text() const;
};

}  // namespace sharechain::consensus
