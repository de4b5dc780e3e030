// The usage contract's dispatch and queries.
#include "contracts/usage/usage.hpp"

#include "contracts/encoding.hpp"
#include "contracts/vehicles/vin.hpp"

namespace sharechain::contracts::usage {

using namespace detail;

Outcome execute(TxContext& ctx, const pb::Call& call) {
  switch (call.action_case()) {
    case pb::Call::kPropose:
      return propose(ctx, call.propose());
    case pb::Call::kAmend:
      return amend(ctx, call.amend());
    case pb::Call::kConfirm:
      return confirm(ctx, call.confirm());
    case pb::Call::kSuspend:
      return suspend(ctx, call.suspend());
    case pb::Call::kTerminate:
      return terminate(ctx, call.terminate());
    case pb::Call::kSettle:
      return settle(ctx, call.settle());
    case pb::Call::kReserve:
      return reserve(ctx, call.reserve());
    case pb::Call::kPayDeposit:
      return pay_deposit(ctx, call.pay_deposit());
    case pb::Call::kCancel:
      return cancel(ctx, call.cancel());
    case pb::Call::kExpire:
      return expire(ctx, call.expire());
    case pb::Call::kAccess:
      return request_access(ctx, call.access());
    case pb::Call::kEndSession:
      return end_session(ctx, call.end_session());
    case pb::Call::kPay:
      return pay_session(ctx, call.pay());
    case pb::Call::kRecordPayment:
      return record_payment(ctx, call.record_payment());
    case pb::Call::kReportOverdue:
      return report_overdue(ctx, call.report_overdue());
    case pb::Call::kDispute:
      return raise_dispute(ctx, call.dispute());
    case pb::Call::kResolveDispute:
      return resolve_dispute(ctx, call.resolve_dispute());
    case pb::Call::ACTION_NOT_SET:
      break;
  }
  return Refusal::invalid("the usage call names no action");
}

namespace {

// Collects the records an index names: the record id is the last 16 bytes of each index key.
template <typename M, typename Add>
void collect(const StateReader& state, std::string_view prefix,
             std::string (*record_key)(std::string_view), Add add) {
  state.scan(prefix, [&](std::string_view k, std::string_view) {
    auto m = load<M>(state, record_key(k.substr(k.size() - kIdSize)));
    if (!m) halt("a usage index entry names a missing record");
    add(std::move(*m));
    return true;
  });
}

}  // namespace

Result<pb::QueryResult> query(const StateReader& state, const pb::Query& q) {
  pb::QueryResult out;
  switch (q.query_case()) {
    case pb::Query::kAgreement: {
      auto a = require_agreement(state, q.agreement().agreement_id());
      if (!a.is_ok()) return to_status(a.refusal());
      *out.mutable_agreement() = *a;
      return out;
    }
    case pb::Query::kAgreementsOfAsset: {
      const std::string& asset = q.agreements_of_asset().asset_id();
      if (!is_id(asset)) return Status::invalid_argument("an asset id is 16 bytes (32 hex digits)");
      auto* list = out.mutable_agreements();
      collect<pb::Agreement>(state, asset_agreement_key(asset, ""), &agreement_key,
                             [&](pb::Agreement a) { *list->add_agreements() = std::move(a); });
      return out;
    }
    case pb::Query::kReservation: {
      auto r = require_reservation(state, q.reservation().reservation_id());
      if (!r.is_ok()) return to_status(r.refusal());
      *out.mutable_reservation() = *r;
      return out;
    }
    case pb::Query::kReservationsOfAsset: {
      const std::string& asset = q.reservations_of_asset().asset_id();
      if (!is_id(asset)) return Status::invalid_argument("an asset id is 16 bytes (32 hex digits)");
      auto* list = out.mutable_reservations();
      collect<pb::Reservation>(state, slot_prefix(asset), &reservation_key, [&](pb::Reservation r) {
        *list->add_reservations() = std::move(r);
      });
      return out;
    }
    case pb::Query::kSession: {
      auto s = require_session(state, q.session().session_id());
      if (!s.is_ok()) return to_status(s.refusal());
      *out.mutable_session() = *s;
      return out;
    }
    case pb::Query::kSessionsOfUser: {
      const std::string& user = q.sessions_of_user().user();
      if (!is_address(user)) return Status::invalid_argument("a user address is 20 bytes");
      auto* list = out.mutable_sessions();
      collect<pb::Session>(state, user_session_prefix(user), &session_key,
                           [&](pb::Session s) { *list->add_sessions() = std::move(s); });
      return out;
    }
    case pb::Query::kUnsettledOfUser: {
      const std::string& user = q.unsettled_of_user().user();
      if (!is_address(user)) return Status::invalid_argument("a user address is 20 bytes");
      auto* list = out.mutable_sessions();
      collect<pb::Session>(state, unsettled_prefix(user), &session_key,
                           [&](pb::Session s) { *list->add_sessions() = std::move(s); });
      return out;
    }
    case pb::Query::kVehicleSessions: {
      const std::string& vin = q.vehicle_sessions().vin();
      if (auto problem = vehicles::vin_problem(vin); !problem.empty()) {
        return Status::invalid_argument(problem);
      }
      auto* list = out.mutable_sessions();
      collect<pb::Session>(state, key(std::string_view("usage/vehicle/"), vin), &session_key,
                           [&](pb::Session s) { *list->add_sessions() = std::move(s); });
      return out;
    }
    case pb::Query::QUERY_NOT_SET:
      break;
  }
  return Status::invalid_argument("the usage query names no query");
}

}  // namespace sharechain::contracts::usage
