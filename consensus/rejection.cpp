#include "consensus/rejection.hpp"

namespace sharechain::consensus {

const char* rejection_name(Rejection reason) {
  switch (reason) {
    case Rejection::kNotValidator: return "not_validator";
    case Rejection::kOwnMessage: return "own_message";
    case Rejection::kBadSignature: return "bad_signature";
    case Rejection::kBadVoteSignature: return "bad_vote_signature";
    case Rejection::kMalformed: return "malformed";
    case Rejection::kWrongView: return "wrong_view";
    case Rejection::kNotPrimary: return "not_primary";
    case Rejection::kStale: return "stale";
    case Rejection::kOutsideWindow: return "outside_window";
    case Rejection::kBelowNewView: return "below_new_view";
    case Rejection::kDuplicate: return "duplicate";
    case Rejection::kInvalidProposal: return "invalid_proposal";
    case Rejection::kEquivocation: return "equivocation";
    case Rejection::kBadCertificate: return "bad_certificate";
    case Rejection::kBadViewChange: return "bad_view_change";
    case Rejection::kBadNewView: return "bad_new_view";
    case Rejection::kConflictingVote: return "conflicting_vote";
    case Rejection::kOversizedRequest: return "oversized_request";
    case Rejection::kNotCommitted: return "not_committed";
    case Rejection::kWrongEpoch: return "wrong_epoch";
  }
  return "unknown";
}

bool is_provable_misbehaviour(Rejection reason) {
  switch (reason) {
    // The signer put its name to bytes that contradict themselves or the protocol, checked by
    // pure functions of the message and the validator set: an honest replica only sends votes
    // it has just signed, only proposes or announces a view as that view's primary, and only
    // forwards certificates and VIEW-CHANGE proofs it has verified itself.
    case Rejection::kBadVoteSignature:
    case Rejection::kNotPrimary:
    case Rejection::kEquivocation:
    case Rejection::kBadCertificate:
    case Rejection::kBadViewChange:
    case Rejection::kBadNewView: return true;
    // Anyone can write any index on an envelope; a signature that fails for it proves nothing
    // about that validator.
    case Rejection::kNotValidator:
    case Rejection::kOwnMessage:
    case Rejection::kBadSignature: return false;
    // A newer version of an honest replica may send a message kind this one cannot decode, and
    // checkpoint heights depend on each node's own checkpoint_interval.
    case Rejection::kMalformed: return false;
    // Delays, re-sending, restarts and laggards make honest replicas produce these all the time;
    // the window is each node's own setting.
    case Rejection::kWrongView:
    case Rejection::kStale:
    case Rejection::kOutsideWindow:
    case Rejection::kBelowNewView:
    case Rejection::kDuplicate: return false;
    // Judged against this replica's clock, block limits, executed state and application.
    case Rejection::kInvalidProposal: return false;
    // Not about a peer at all.
    case Rejection::kConflictingVote:
    case Rejection::kOversizedRequest:
    case Rejection::kNotCommitted: return false;
    case Rejection::kWrongEpoch: return false;
  }
  return false;
}

std::string RejectedInput::text() const {
  return std::string(rejection_name(reason)) + ": " + detail;
}

}  // namespace sharechain::consensus
