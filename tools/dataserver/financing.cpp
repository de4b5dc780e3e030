// Financing rounds: an investor offers part of its asset's income stream for funds raised now;
// financiers look at the projected return, subscribe (one may withdraw), the data server closes
// the round at the deadline, and completes the financing when its term ends. Then the investor
// offers the next round.
#include "tools/dataserver/runner_internal.hpp"

namespace sharechain::dataserver {

namespace {
// A pause between one round's end and the next offer.
constexpr std::uint64_t kBetweenRoundsMs = 10'000;
// Slack so that the block that closes a round carries a time past its deadline.
constexpr std::uint64_t kSlackMs = 1'500;
}  // namespace

void Runner::offer_round(LiveFinancing& f) {
  const FinancingPlan& p = *f.plan;
  const LiveAsset& asset = *assets_[p.asset];
  Signer& investor = cast(asset.plan->owner);
  const std::uint64_t deadline = now_ms() + financing_window_ms_;
  const std::uint64_t term_ends = deadline + financing_term_ms_;
  auto offered = act(investor, "offer financing", [&](TransactionBody& b) {
    auto* o = b.mutable_financing()->mutable_offer();
    o->set_asset_id(asset.id);
    auto* t = o->mutable_terms();
    t->set_amount_sought(p.amount_sought);
    t->set_minimum_raise(p.minimum_raise);
    t->set_share_bps(p.share_bps);
    t->set_min_subscription(p.min_subscription);
    t->set_deadline_ms(deadline);
    t->set_term_ends_ms(term_ends);
    t->set_note("new equipment for " + asset.plan->spec.name());
  });
  if (!offered) {
    f.next_offer_ms = now_ms() + kBetweenRoundsMs;
    return;
  }
  f.id = raw_id(event_attr(offered->receipt, "financing", "FinancingOffered", "financing"));
  f.stage = LiveFinancing::Stage::kOpen;
  f.deadline_ms = deadline;
  f.term_ends_ms = term_ends;

  for (const SubscriptionPlan& s : p.subscriptions) {
    // A financier first asks the chain what the subscription would earn at the asset's
    // historic rate; the answer is logged, the decision to subscribe is the plan's.
    api::QueryRequest q;
    auto* pr = q.mutable_financing()->mutable_project();
    pr->set_financing_id(f.id);
    pr->set_amount(s.amount);
    if (auto answer = chain_.query(q); answer && answer->financing().has_projection()) {
      const auto& proj = answer->financing().projection();
      log(s.key + " considers " + tools::format_amount(s.amount) + " in financing " + crypto::to_hex(f.id) +
          ": projected payout " + tools::format_amount(proj.projected_payout()) + " (" +
          std::to_string(proj.projected_roi_bps()) + " bps)");
    }
    auto subscribed = act(cast(s.key), "subscribe", [&](TransactionBody& b) {
      auto* sub = b.mutable_financing()->mutable_subscribe();
      sub->set_financing_id(f.id);
      sub->set_amount(s.amount);
    });
    if (subscribed && s.withdraws) {
      act(cast(s.key), "withdraw subscription", [&](TransactionBody& b) {
        b.mutable_financing()->mutable_withdraw()->set_financing_id(f.id);
      });
    }
  }
}

void Runner::financing_chores(bool at_stop) {
  Signer& ds = cast(kDataServerKey);
  for (LiveFinancing& f : financings_) {
    const std::uint64_t now = now_ms();
    // A usage payment after the deadline closes the round itself, and one after the term ends
    // completes it: ask the chain where the round is before acting on it.
    if (f.stage != LiveFinancing::Stage::kNone &&
        now >= (f.stage == LiveFinancing::Stage::kOpen ? f.deadline_ms : f.term_ends_ms)) {
      api::QueryRequest q;
      q.mutable_financing()->mutable_financing()->set_financing_id(f.id);
      if (auto answer = chain_.query(q)) {
        switch (answer->financing().financing().financing().status()) {
          case financing::FINANCING_OPEN: break;
          case financing::FINANCING_ACTIVE: f.stage = LiveFinancing::Stage::kActive; break;
          default:
            if (f.stage != LiveFinancing::Stage::kNone) f.next_offer_ms = now + kBetweenRoundsMs;
            f.stage = LiveFinancing::Stage::kNone;
        }
      }
    }
    switch (f.stage) {
      case LiveFinancing::Stage::kNone:
        if (!at_stop && now >= f.next_offer_ms) offer_round(f);
        break;
      case LiveFinancing::Stage::kOpen: {
        if (now >= f.deadline_ms + kSlackMs) {
          auto closed = act(ds, "close financing round", [&](TransactionBody& b) {
            b.mutable_financing()->mutable_close_round()->set_financing_id(f.id);
          });
          if (!closed) break;
          const bool active =
              event_attr(closed->receipt, "financing", "RoundClosed", "outcome") == "succeeded";
          f.stage = active ? LiveFinancing::Stage::kActive : LiveFinancing::Stage::kNone;
          f.next_offer_ms = now + kBetweenRoundsMs;
        } else if (at_stop) {
          // The run ends before the deadline: the investor withdraws the offer and every
          // financier is refunded, so nothing stays in escrow.
          auto cancelled = act(cast(assets_[f.plan->asset]->plan->owner), "cancel financing offer",
                               [&](TransactionBody& b) {
                                 auto* c = b.mutable_financing()->mutable_cancel();
                                 c->set_financing_id(f.id);
                                 c->set_reason("the platform is shutting down before the deadline");
                               });
          if (cancelled) f.stage = LiveFinancing::Stage::kNone;
        }
        break;
      }
      case LiveFinancing::Stage::kActive:
        if (now >= f.term_ends_ms + kSlackMs) {
          auto done = act(ds, "complete financing", [&](TransactionBody& b) {
            b.mutable_financing()->mutable_complete()->set_financing_id(f.id);
          });
          if (done) {
            f.stage = LiveFinancing::Stage::kNone;
            f.next_offer_ms = now + kBetweenRoundsMs;
          }
        }
        break;
    }
  }
}

}  // namespace sharechain::dataserver
