// One visit of a customer: top-up and qualification when needed, then a reservation that is
// used (access, metered session, end, payment), cancelled, or left to expire.

#include "proto/crypto.hpp"
#include "tools/common/cli.hpp"
#include "tools/dataserver/runner_internal.hpp"

namespace sharechain::dataserver {

namespace {

usage::EndKind end_kind(EndPlan e) {
  switch (e) {
    case EndPlan::kNormal: return usage::END_NORMAL;
    case EndPlan::kUserAtGate:
    case EndPlan::kUserStops: return usage::END_BY_USER;
    case EndPlan::kAbnormal: return usage::END_ABNORMAL;
  }
  return usage::END_NORMAL;
}

std::string end_reason(EndPlan e, assets::AssetKind kind, usage::ChargingMode mode) {
  switch (e) {
    case EndPlan::kNormal:
      if (kind == assets::CHARGING_PILE) {
        switch (mode) {
          case usage::BY_AMOUNT: return "agreed amount reached";
          case usage::BY_TIME: return "agreed time reached";
          case usage::BY_ENERGY: return "agreed energy delivered";
          default: return "battery full";
        }
      }
      return kind == assets::MAINTENANCE_STATION ? "service finished" : "vehicle left the space";
    case EndPlan::kUserAtGate: return "stopped by the user at the gate";
    case EndPlan::kUserStops: return "stopped from the app";
    case EndPlan::kAbnormal:
      if (kind == assets::CHARGING_PILE) return "plug pulled";
      return kind == assets::MAINTENANCE_STATION ? "lift fault" : "barrier fault";
  }
  return "";
}

void set_meter(usage::EndSession* e, const std::vector<usage::Metered>& reading) {
  for (const usage::Metered& m : reading) *e->add_metered() = m;
}

}  // namespace

void Runner::visit(const Visit& v, std::size_t user) {
  User& u = users_[user];
  LiveAsset& a = *assets_[v.asset];
  if (!fund(u, a, v) || !qualify(u, a)) return;

  const std::uint64_t slot = a.terms.rules().slot_ms();
  const std::uint64_t now = now_ms();
  std::uint64_t start = now - now % slot;
  // Near the end of the current slot the reservation might commit in the next one, where the
  // chain refuses a start in the past: book from the next slot instead.
  if (start + slot - now < 10'000) start += slot;
  if (v.behaviour == Behaviour::kCancelInTime) {
    // A later window, beyond the free-cancellation limit.
    const std::uint64_t earliest = now + a.terms.rules().cancellation_window_ms() + 2 * slot;
    start = earliest - earliest % slot + slot;
  }
  const std::uint64_t end = start + v.slots * slot;

  const std::optional<std::uint64_t> claimed = claim(a, start, end);
  if (!claimed) {
    std::lock_guard lock(report_mu_);
    report_.on_turned_away("no free " + kind_label(a.plan->spec.kind()) + " capacity for the window");
    return;
  }
  const std::optional<std::string> reservation = reserve(u, a, v, start, end);
  if (!reservation) {
    release(a, *claimed);
    return;
  }
  Signer& ds = cast(kDataServerKey);
  switch (v.behaviour) {
    case Behaviour::kCancelInTime:
    case Behaviour::kCancelLate: {
      if (v.behaviour == Behaviour::kCancelLate) pause(v.hold_ms / 3);
      Signer& who = v.reserved_by_data_server ? ds : *u.signer;
      act(who, "cancel reservation", [&](TransactionBody& b) {
        b.mutable_usage()->mutable_cancel()->set_reservation_id(*reservation);
      });
      release(a, *claimed);
      return;
    }
    case Behaviour::kNoShow: {
      // Nobody comes; once the window has passed the data server expires it (the claim is
      // released then).
      std::lock_guard lock(expiries_mu_);
      expiries_.push_back({*reservation, end, v.asset, *claimed});
      return;
    }
    case Behaviour::kSession:
      run_session(u, a, v, *reservation, start);
      release(a, *claimed);
      return;
  }
}

bool Runner::fund(User& u, const LiveAsset& a, const Visit& v) {
  const std::uint64_t need = charge_ceiling(a.terms, v) + a.terms.deposit() + 1'000;
  auto account = chain_.account(u.signer->address());
  if (!account) {
    std::lock_guard lock(report_mu_);
    report_.on_failure("read customer account", account.status().message());
    return false;
  }
  const std::uint64_t balance = *account ? (*account)->balance() : 0;
  if (balance >= need) return true;
  // The customer tops up at the kiosk by card: a few visits' worth, in whole credits.
  const std::uint64_t amount = (need * 3 + 9'999) / 10'000 * 10'000;
  return act(cast(kDataServerKey), "top-up", [&](TransactionBody& b) {
           auto* i = b.mutable_ledger()->mutable_issue();
           i->set_to(u.signer->address());
           i->set_amount(amount);
           i->set_reference("topup-" + run_tag_ + "-" + std::to_string(v.index));
           i->set_memo("card payment at the kiosk");
         }).has_value();
}

bool Runner::qualify(User& u, const LiveAsset& a) {
  const std::string& qualification = a.terms.rules().required_qualification();
  if (qualification.empty()) return true;
  {
    std::lock_guard lock(users_mu_);
    if (u.certified) return true;
  }
  // The data server has checked the technician's certificate off chain and attests it.
  auto c = act(cast(kDataServerKey), "certify technician", [&](TransactionBody& b) {
    auto* q = b.mutable_ledger()->mutable_certify();
    q->set_account(u.signer->address());
    q->set_qualification(qualification);
    q->set_evidence_hash(crypto::hash_bytes(crypto::sha256("technician certificate of " + u.signer->name() +
                                                           " (run " + run_tag_ + ")")));
  });
  if (!c) return false;
  std::lock_guard lock(users_mu_);
  u.certified = true;
  return true;
}

std::optional<std::string> Runner::reserve(User& u, LiveAsset& a, const Visit& v, std::uint64_t start,
                                           std::uint64_t end) {
  Signer& ds = cast(kDataServerKey);
  const bool by_data_server = v.reserved_by_data_server;
  auto reserved = act(by_data_server ? ds : *u.signer, "reserve", [&](TransactionBody& b) {
    auto* r = b.mutable_usage()->mutable_reserve();
    r->set_agreement_id(a.agreement_id);
    r->set_start_ms(start);
    r->set_end_ms(end);
    for (const std::string& item : v.items) r->add_item_ids(item);
    if (by_data_server) r->set_user(u.signer->address());
  });
  if (!reserved) return std::nullopt;
  const std::string id = raw_id(event_attr(reserved->receipt, "usage", "Reserved", "reservation"));
  // Reserved at the counter: the customer pays the deposit from the app, unless the booking
  // is going to be cancelled in time anyway.
  if (by_data_server && a.terms.deposit() > 0 && v.behaviour != Behaviour::kCancelInTime) {
    auto paid = act(*u.signer, "pay deposit", [&](TransactionBody& b) {
      b.mutable_usage()->mutable_pay_deposit()->set_reservation_id(id);
    });
    if (!paid) {
      act(ds, "cancel unpaid reservation", [&](TransactionBody& b) {
        b.mutable_usage()->mutable_cancel()->set_reservation_id(id);
      });
      return std::nullopt;
    }
  }
  return id;
}

void Runner::run_session(User& u, LiveAsset& a, const Visit& v, const std::string& reservation,
                         std::uint64_t start) {
  Signer& ds = cast(kDataServerKey);
  const assets::AssetKind kind = a.plan->spec.kind();
  auto cancel = [&](std::string_view step) {
    act(ds, step, [&](TransactionBody& b) { b.mutable_usage()->mutable_cancel()->set_reservation_id(reservation); });
  };

  // A booking from the next slot waits for its window to open (plus slack for the block time).
  if (const std::uint64_t now = now_ms(); now < start + 700) pause(start + 700 - now);
  if (now_ms() < start + 700) {
    cancel("cancel reservation at stop");
    return;
  }

  auto granted = act(v.access_by_user ? *u.signer : ds, "request access", [&](TransactionBody& b) {
    auto* r = b.mutable_usage()->mutable_access();
    r->set_reservation_id(reservation);
    if (kind == assets::MAINTENANCE_STATION) r->set_vehicle_vin(vin_for_run(v.vin, run_number_));
    if (kind == assets::CHARGING_PILE) {
      r->set_mode(v.mode);
      r->set_limit(v.limit);
    }
    r->set_credential(v.access_by_user ? "qr" : "plate");
  });
  if (!granted) {
    cancel("cancel after refused access");
    return;
  }
  const std::string session = raw_id(event_attr(granted->receipt, "usage", "AccessGranted", "session"));
  const std::uint64_t started = granted->block_time_ms;

  pause(v.hold_ms);

  // The chain refuses more metered minutes than the session's started minutes. The session
  // ends in a block later than any seen so far, so the newest block time bounds it from below.
  auto end_by_data_server = [&](usage::EndKind k, const std::string& reason, std::uint64_t max_minutes,
                                std::string_view step) {
    return act(ds, step, [&](TransactionBody& b) {
      auto* e = b.mutable_usage()->mutable_end_session();
      e->set_session_id(session);
      e->set_kind(k);
      e->set_reason(reason);
      set_meter(e, meter_reading(v, max_minutes));
    });
  };
  const std::string reason = end_reason(v.end, kind, v.mode);
  std::optional<Committed> ended;
  if (v.end == EndPlan::kUserStops) {
    auto stopped = act(*u.signer, "stop session", [&](TransactionBody& b) {
      auto* e = b.mutable_usage()->mutable_end_session();
      e->set_session_id(session);
      e->set_kind(usage::END_BY_USER);
      e->set_reason(reason);
    });
    if (stopped) {
      // Stopped: the session's end time is that block's time, known exactly.
      ended = end_by_data_server(usage::END_KIND_UNSPECIFIED, "",
                                 started_minutes(stopped->block_time_ms - started), "report meter");
    } else {
      ended = end_by_data_server(usage::END_BY_USER, reason,
                                 started_minutes(chain_.last_block_time_ms() - std::min(started, chain_.last_block_time_ms())),
                                 "end session");
    }
  } else {
    const std::uint64_t seen = std::max(chain_.last_block_time_ms(), started);
    ended = end_by_data_server(end_kind(v.end), reason, started_minutes(seen - started), "end session");
  }
  if (!ended) {
    // One more try with a single minute metered, which no session can be too short for.
    ended = end_by_data_server(v.end == EndPlan::kUserStops ? usage::END_KIND_UNSPECIFIED : end_kind(v.end),
                               v.end == EndPlan::kUserStops ? "" : reason, 1, "end session (second try)");
    if (!ended) return;
  }
  // A maintenance session that names a vehicle adds a record to its history; the attesters
  // check it against the station's report and endorse it.
  if (const std::string record = event_attr(ended->receipt, "vehicles", "RecordSubmitted", "record"); !record.empty()) {
    endorse(raw_id(record), kDataServerKey, {}, false);
  }
  std::uint64_t charge =
      tools::parse_decimal(event_attr(ended->receipt, "usage", "SessionEnded", "charge")).value_or(0);
  if (charge == 0) return;  // nothing used: closed at once, deposit returned

  if (v.dispute) {
    auto raised = act(*u.signer, "raise dispute", [&](TransactionBody& b) {
      auto* d = b.mutable_usage()->mutable_dispute();
      d->set_session_id(session);
      d->set_reason("the metered use looks higher than what I used");
    });
    if (raised) {
      auto resolved = act(ds, "resolve dispute", [&](TransactionBody& b) {
        auto* r = b.mutable_usage()->mutable_resolve_dispute();
        r->set_session_id(session);
        r->set_adjust(true);
        r->set_adjusted_charge(charge - charge / 10);
        r->set_note("goodwill reduction of 10%");
      });
      if (resolved) charge = tools::parse_decimal(event_attr(resolved->receipt, "usage", "DisputeResolved", "charge_after")).value_or(0);
    }
    if (charge == 0) return;
  }
  pay(u, a, v, session, charge);
}

void Runner::pay(User& u, LiveAsset&, const Visit& v, const std::string& session, std::uint64_t charge) {
  if (v.pay_on_chain) {
    auto paid = act(*u.signer, "pay on chain", [&](TransactionBody& b) {
      b.mutable_usage()->mutable_pay()->set_session_id(session);
    });
    if (paid) return;
    // The app payment failed: the customer pays by card at the kiosk instead.
  }
  act(cast(kDataServerKey), "record off-chain payment", [&](TransactionBody& b) {
    auto* p = b.mutable_usage()->mutable_record_payment();
    p->set_session_id(session);
    p->set_reference("card-" + run_tag_ + "-" + crypto::to_hex(session));
    p->set_amount(charge);
  });
}

}  // namespace sharechain::dataserver
