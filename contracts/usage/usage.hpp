// The usage contract: usage agreements, reservations, access, sessions and payment.
//
// Key space:
//   usage/agreement/<id16>                          -> usage.Agreement
//   usage/asset_agreement/<asset16><agreement16>    -> "" (agreements of an asset)
//   usage/reservation/<id16>                        -> usage.Reservation
//   usage/slot/<asset16><be64 start><res16>         -> be64 end (live reservations of an asset)
//   usage/session/<id16>                            -> usage.Session
//   usage/user_session/<addr20><be64 start><s16>    -> "" (sessions of a user)
//   usage/unsettled/<addr20><session16>             -> "" (open-amount sessions not yet paid)
//   usage/vehicle/<vin17><be64 end><session16>      -> "" (maintenance sessions of a vehicle)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/context.hpp"
#include "contracts/outcome.hpp"
#include "contracts/revenue/revenue.hpp"
#include "contracts/state.hpp"
#include "proto/status.hpp"
#include "sharechain/usage.pb.h"

namespace sharechain::contracts::usage {

namespace pb = ::sharechain::usage;

inline constexpr std::string_view kContract = "usage";
inline constexpr std::uint64_t kDefaultPaymentDueMs = 24ull * 60 * 60 * 1000;

Outcome execute(TxContext& ctx, const pb::Call& call);
Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q);

// --- shared by the usage action files ----------------------------------------------------
namespace detail {

std::string agreement_key(std::string_view id);
std::string asset_agreement_key(std::string_view asset_id, std::string_view agreement_id);
std::string reservation_key(std::string_view id);
std::string slot_key(std::string_view asset_id, std::uint64_t start_ms,
                     std::string_view reservation_id);
std::string slot_prefix(std::string_view asset_id);
std::string session_key(std::string_view id);
std::string user_session_key(std::string_view user, std::uint64_t start_ms,
                             std::string_view session_id);
std::string user_session_prefix(std::string_view user);
std::string unsettled_key(std::string_view user, std::string_view session_id);
std::string unsettled_prefix(std::string_view user);
std::string vehicle_key(std::string_view vin, std::uint64_t end_ms, std::string_view session_id);

Checked<pb::Agreement> require_agreement(const StateReader& state, std::string_view id);
Checked<pb::Reservation> require_reservation(const StateReader& state, std::string_view id);
Checked<pb::Session> require_session(const StateReader& state, std::string_view id);
void save_agreement(Overlay& state, const pb::Agreement& a);
void save_reservation(Overlay& state, const pb::Reservation& r);
void save_session(Overlay& state, const pb::Session& s);

bool is_partner(const pb::Terms& terms, std::string_view account);
std::vector<revenue::Recipient> recipients_of(
    const google::protobuf::RepeatedPtrField<pb::Partner>& partners);
std::string status_name(pb::AgreementStatus s);
std::uint64_t payment_due_ms(const pb::Terms& terms);

// Validates terms for an asset: sharing rule, items, reservation rules, settlement.
Outcome validate_terms(const StateReader& state, std::string_view asset_id, const pb::Terms& terms);

// Income of an agreement, which `from` holds: a PERIODIC agreement accumulates it in its pot
// (unless it is terminated, or the session was agreed under an earlier version); otherwise it
// is split among `partners` at once. Returns the payouts (empty when the pot kept it).
Checked<std::vector<pb::Payout>> take_income(
    TxContext& ctx, pb::Agreement& agreement, std::string_view from, std::uint64_t amount,
    std::string_view session_id, const google::protobuf::RepeatedPtrField<pb::Partner>& partners,
    bool same_version);
// Splits whatever the agreement's pot holds among its current partners.
Outcome settle_pot(TxContext& ctx, pb::Agreement& agreement);

// Removes a live reservation from its asset's slot index.
void free_slot(Overlay& state, const pb::Reservation& r);

// Returns a session's whole deposit hold (if any) to the user.
Outcome return_deposit(TxContext& ctx, pb::Session& session);
// Marks a session PAID (or settled at zero): clears its unsettled mark and records the time.
void mark_settled(TxContext& ctx, pb::Session& session);
// The first unsettled open-amount session of `user`, if any.
std::optional<pb::Session> first_unsettled(const StateReader& state, std::string_view user);

Outcome propose(TxContext& ctx, const pb::ProposeAgreement& p);
Outcome amend(TxContext& ctx, const pb::AmendAgreement& a);
Outcome confirm(TxContext& ctx, const pb::ConfirmAgreement& c);
Outcome suspend(TxContext& ctx, const pb::SuspendAgreement& s);
Outcome terminate(TxContext& ctx, const pb::TerminateAgreement& t);
Outcome settle(TxContext& ctx, const pb::SettleAgreement& s);
Outcome reserve(TxContext& ctx, const pb::Reserve& r);
Outcome pay_deposit(TxContext& ctx, const pb::PayDeposit& p);
Outcome cancel(TxContext& ctx, const pb::CancelReservation& c);
Outcome expire(TxContext& ctx, const pb::ExpireReservation& e);
Outcome request_access(TxContext& ctx, const pb::RequestAccess& a);
Outcome end_session(TxContext& ctx, const pb::EndSession& e);
Outcome pay_session(TxContext& ctx, const pb::PaySession& p);
Outcome record_payment(TxContext& ctx, const pb::RecordExternalPayment& p);
Outcome report_overdue(TxContext& ctx, const pb::ReportOverdue& r);
Outcome raise_dispute(TxContext& ctx, const pb::RaiseDispute& d);
Outcome resolve_dispute(TxContext& ctx, const pb::ResolveDispute& d);

}  // namespace detail

}  // namespace sharechain::contracts::usage
