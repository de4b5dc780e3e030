// Financing agreements: the offer, subscriptions held in escrow, the close of the round, and the
// financiers' share of every distribution to the investor while the financing is ACTIVE.
#include <algorithm>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/financing/detail.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/split.hpp"

namespace sharechain::contracts::financing {

namespace detail {

namespace {

constexpr std::uint64_t kDayMs = 86'400'000;
// A subscription period longer than a year, or a term longer than fifty years, is almost
// certainly a unit mistake (seconds for milliseconds); both bounds keep the arithmetic small.
constexpr std::uint64_t kMaxSubscriptionPeriodMs = 366 * kDayMs;
constexpr std::uint64_t kMaxTermMs = 50 * 366 * kDayMs;

Outcome validate_terms(const pb::FinancingTerms& t, std::uint64_t now_ms) {
  if (t.amount_sought() == 0) {
    return Refusal::invalid("the amount sought must be greater than zero");
  }
  if (t.minimum_raise() > t.amount_sought()) {
    return Refusal::invalid("the minimum raise (" + format_units(t.minimum_raise()) +
                            ") exceeds the amount sought (" + format_units(t.amount_sought()) +
                            ")");
  }
  if (t.share_bps() == 0 || t.share_bps() > kBasisPoints) {
    return Refusal::invalid(
        "the financiers' share of the investor's income must be 1 to 10,000 basis points");
  }
  if (t.min_subscription() > t.amount_sought()) {
    return Refusal::invalid("the minimum subscription (" + format_units(t.min_subscription()) +
                            ") exceeds the amount sought (" + format_units(t.amount_sought()) +
                            ")");
  }
  if (t.deadline_ms() <= now_ms) {
    return Refusal::invalid("the subscription deadline (" + std::to_string(t.deadline_ms()) +
                            " ms) must be later than the block time (" + std::to_string(now_ms) +
                            " ms)");
  }
  if (t.deadline_ms() - now_ms > kMaxSubscriptionPeriodMs) {
    return Refusal::invalid("the subscription period may last at most 366 days");
  }
  if (t.term_ends_ms() <= t.deadline_ms()) {
    return Refusal::invalid("the term must end after the subscription deadline");
  }
  if (t.term_ends_ms() - t.deadline_ms() > kMaxTermMs) {
    return Refusal::invalid("the term may last at most 50 years after the deadline");
  }
  if (t.note().size() > 256) return Refusal::invalid("the note exceeds 256 bytes");
  return Outcome::ok();
}

Outcome refuse_closed(const pb::Financing& f, std::string_view what) {
  return Refusal::precondition("financing " + show_id(f.id()) + " is " + status_name(f.status()) +
                               "; " + std::string(what));
}

void save_subscription(Overlay& state, const pb::Subscription& s) {
  save(state, sub_key(s.financing_id(), s.financier()), s);
}

// Returns every escrow hold of a subscription to its financier.
Outcome release_holds(TxContext& ctx, pb::Subscription& s) {
  for (const auto& id : s.holds()) {
    SC_TRY(ledger::release_all(ctx, id, "a financing subscription"));
  }
  s.clear_holds();
  return Outcome::ok();
}

Outcome offer(TxContext& ctx, const pb::OfferFinancing& o) {
  auto asset = assets::require_asset(ctx.state(), o.asset_id());
  if (!asset.is_ok()) return asset.refusal();
  if (asset->owner() != ctx.sender()) {
    return Refusal::denied("only the owner of asset " + show_id(o.asset_id()) + ", " +
                           show_address(asset->owner()) +
                           ", its investor, may offer financing on it");
  }
  if (asset->status() != ::sharechain::assets::ASSET_ACTIVE) {
    return Refusal::precondition("asset " + show_id(o.asset_id()) + " is retired");
  }
  if (auto live = live_financing(ctx.state(), o.asset_id())) {
    // A financing whose term is over only waits for someone to complete it: this offer does.
    if (live->status() == pb::FINANCING_ACTIVE && ctx.now_ms() >= live->terms().term_ends_ms()) {
      SC_TRY(complete_term(ctx, *live));
    } else {
      std::string next =
          live->status() == pb::FINANCING_OPEN && ctx.now_ms() >= live->terms().deadline_ms()
              ? "; its deadline has passed: CloseRound settles it"
              : "";
      return Refusal::precondition("asset " + show_id(o.asset_id()) + " already has financing " +
                                   show_id(live->id()) + " (" + status_name(live->status()) +
                                   "); an asset carries one financing at a time" + next);
    }
  }
  SC_TRY(validate_terms(o.terms(), ctx.now_ms()));

  pb::Financing f;
  f.set_id(ctx.new_id("financing"));
  f.set_asset_id(o.asset_id());
  f.set_investor(ctx.sender());
  *f.mutable_terms() = o.terms();
  f.set_status(pb::FINANCING_OPEN);
  f.set_created_at_ms(ctx.now_ms());
  f.set_created_height(ctx.height());
  save_financing(ctx.state(), f);
  ctx.state().put(of_asset_key(f.asset_id(), f.created_at_ms(), f.id()), "");
  ctx.state().put(live_key(f.asset_id()), f.id());
  SC_TRY(assets::add_lien(ctx, f.asset_id(), f.id(), o.terms().term_ends_ms(),
                          "financing " + show_id(f.id()) +
                              " pledges its investor's income to financiers until block time " +
                              std::to_string(o.terms().term_ends_ms()) + " ms"));
  const auto& t = o.terms();
  ctx.emit(kContract, "FinancingOffered",
           {{"financing", id_value(f.id())},
            {"asset", id_value(f.asset_id())},
            {"investor", address_value(f.investor())},
            {"amount_sought", number(t.amount_sought())},
            {"minimum_raise", number(minimum_raise(t))},
            {"share_bps", number(t.share_bps())},
            {"min_subscription", number(std::max<std::uint64_t>(1, t.min_subscription()))},
            {"deadline_ms", number(t.deadline_ms())},
            {"term_ends_ms", number(t.term_ends_ms())}});
  return Outcome::ok();
}

Outcome subscribe(TxContext& ctx, const pb::Subscribe& s) {
  auto f = require_financing(ctx.state(), s.financing_id());
  if (!f.is_ok()) return f.refusal();
  if (f->status() != pb::FINANCING_OPEN) return refuse_closed(*f, "it takes no subscriptions");
  const pb::FinancingTerms& t = f->terms();
  if (ctx.now_ms() >= t.deadline_ms()) {
    return Refusal::precondition("the subscription period of financing " + show_id(f->id()) +
                                 " ended at " + std::to_string(t.deadline_ms()) +
                                 " ms; send CloseRound to settle the round");
  }
  if (ctx.sender() == f->investor()) {
    return Refusal::invalid("the investor cannot subscribe to its own financing");
  }
  if (s.amount() == 0) return Refusal::invalid("the subscription must be greater than zero");
  std::uint64_t remaining = t.amount_sought() - f->subscribed();
  if (s.amount() > remaining) {
    return Refusal::precondition("financing " + show_id(f->id()) + " seeks " +
                                 format_units(t.amount_sought()) + " and " +
                                 format_units(f->subscribed()) + " is subscribed; at most " +
                                 format_units(remaining) + " can still be subscribed");
  }
  std::uint64_t minimum = std::max<std::uint64_t>(1, t.min_subscription());
  // The last units of a round may be below the minimum, so a round can always be filled.
  if (s.amount() < minimum && s.amount() != remaining) {
    return Refusal::invalid("the minimum subscription is " + format_units(minimum) +
                            " (or exactly the " + format_units(remaining) + " still open)");
  }
  auto existing = load<pb::Subscription>(ctx.state(), sub_key(f->id(), ctx.sender()));
  if (!existing && f->subscribers() >= static_cast<std::uint32_t>(kMaxFinanciers)) {
    return Refusal::precondition("financing " + show_id(f->id()) + " already has " +
                                 std::to_string(kMaxFinanciers) +
                                 " financiers, the most one financing may have");
  }
  pb::Subscription sub;
  std::uint64_t to_hold = s.amount();
  if (existing && existing->holds_size() >= kMaxHoldsPerSubscription) {
    // Folded into one hold below; cannot overflow: the sum stays within the amount sought.
    SC_TRY(release_holds(ctx, *existing));
    to_hold += existing->amount();
  }
  auto hold = ledger::hold(ctx, ctx.sender(), to_hold, kContract,
                           "subscription to financing " + show_id(f->id()));
  if (!hold.is_ok()) return hold.refusal();

  if (existing) {
    sub = *existing;
  } else {
    sub.set_financing_id(f->id());
    sub.set_financier(ctx.sender());
    sub.set_first_at_ms(ctx.now_ms());
    f->set_subscribers(f->subscribers() + 1);
    ctx.state().put(of_financier_key(ctx.sender(), f->id()), "");
  }
  // Cannot overflow: the sum stays within the amount sought.
  sub.set_amount(sub.amount() + s.amount());
  sub.add_holds(*hold);
  sub.set_last_at_ms(ctx.now_ms());
  save_subscription(ctx.state(), sub);
  f->set_subscribed(f->subscribed() + s.amount());
  ctx.emit(kContract, "Subscribed",
           {{"financing", id_value(f->id())},
            {"financier", address_value(ctx.sender())},
            {"amount", number(s.amount())},
            {"subscription", number(sub.amount())},
            {"subscribed", number(f->subscribed())},
            {"remaining", number(t.amount_sought() - f->subscribed())}});
  // A fully subscribed round has nothing left to wait for.
  if (f->subscribed() == t.amount_sought()) SC_TRY(close_round(ctx, *f));
  save_financing(ctx.state(), *f);
  return Outcome::ok();
}

Outcome withdraw(TxContext& ctx, const pb::WithdrawSubscription& w) {
  auto f = require_financing(ctx.state(), w.financing_id());
  if (!f.is_ok()) return f.refusal();
  if (f->status() != pb::FINANCING_OPEN) {
    return refuse_closed(*f, "its subscriptions can no longer be withdrawn");
  }
  if (ctx.now_ms() >= f->terms().deadline_ms()) {
    return Refusal::precondition("the subscription period of financing " + show_id(f->id()) +
                                 " has ended; CloseRound decides the round and refunds "
                                 "everyone if it failed");
  }
  auto sub = load<pb::Subscription>(ctx.state(), sub_key(f->id(), ctx.sender()));
  if (!sub) {
    return Refusal::not_found(show_address(ctx.sender()) + " has not subscribed to financing " +
                              show_id(f->id()));
  }
  std::uint64_t amount = sub->amount();
  SC_TRY(release_holds(ctx, *sub));
  ctx.state().erase(sub_key(f->id(), ctx.sender()));
  ctx.state().erase(of_financier_key(ctx.sender(), f->id()));
  f->set_subscribed(f->subscribed() - amount);
  f->set_subscribers(f->subscribers() - 1);
  save_financing(ctx.state(), *f);
  ctx.emit(kContract, "SubscriptionWithdrawn",
           {{"financing", id_value(f->id())},
            {"financier", address_value(ctx.sender())},
            {"amount", number(amount)},
            {"subscribed", number(f->subscribed())}});
  return Outcome::ok();
}

Outcome close(TxContext& ctx, const pb::CloseRound& c) {
  auto f = require_financing(ctx.state(), c.financing_id());
  if (!f.is_ok()) return f.refusal();
  if (f->status() != pb::FINANCING_OPEN) return refuse_closed(*f, "its round is already closed");
  if (ctx.now_ms() < f->terms().deadline_ms()) {
    return Refusal::precondition("the subscription period of financing " + show_id(f->id()) +
                                 " runs until " + std::to_string(f->terms().deadline_ms()) +
                                 " ms; the block time is " + std::to_string(ctx.now_ms()) + " ms");
  }
  SC_TRY(close_round(ctx, *f));
  save_financing(ctx.state(), *f);
  return Outcome::ok();
}

Outcome cancel(TxContext& ctx, const pb::CancelOffer& c) {
  auto f = require_financing(ctx.state(), c.financing_id());
  if (!f.is_ok()) return f.refusal();
  if (ctx.sender() != f->investor()) {
    return Refusal::denied("only the investor " + show_address(f->investor()) +
                           " may cancel financing " + show_id(f->id()));
  }
  if (f->status() != pb::FINANCING_OPEN) {
    return refuse_closed(*f, "only an open round can be cancelled");
  }
  if (c.reason().size() > 256) return Refusal::invalid("the reason exceeds 256 bytes");
  std::uint64_t refunded = f->subscribed();
  SC_TRY(refund_all(ctx, *f));
  SC_TRY(end_financing(ctx, *f, pb::FINANCING_CANCELLED, c.reason()));
  ctx.emit(kContract, "FinancingCancelled",
           {{"financing", id_value(f->id())},
            {"reason", c.reason()},
            {"refunded", number(refunded)},
            {"subscribers", number(f->subscribers())}});
  return Outcome::ok();
}

Outcome complete(TxContext& ctx, const pb::CompleteFinancing& c) {
  auto f = require_financing(ctx.state(), c.financing_id());
  if (!f.is_ok()) return f.refusal();
  if (f->status() != pb::FINANCING_ACTIVE) {
    return refuse_closed(*f, "only an active financing completes");
  }
  if (ctx.now_ms() < f->terms().term_ends_ms()) {
    return Refusal::precondition("the term of financing " + show_id(f->id()) + " runs until " +
                                 std::to_string(f->terms().term_ends_ms()) +
                                 " ms; the block time is " + std::to_string(ctx.now_ms()) + " ms");
  }
  return complete_term(ctx, *f);
}

}  // namespace

std::string return_key(std::string_view asset_id) {
  return key(std::string_view("financing/return/"), asset_id);
}
std::string period_prefix(std::string_view asset_id) {
  return key(std::string_view("financing/period/"), asset_id);
}
std::string period_key(std::string_view asset_id, std::uint32_t period) {
  return key(period_prefix(asset_id), be32(period));
}
std::string financing_key(std::string_view id) {
  return key(std::string_view("financing/financing/"), id);
}
std::string of_asset_prefix(std::string_view asset_id) {
  return key(std::string_view("financing/of_asset/"), asset_id);
}
std::string of_asset_key(std::string_view asset_id, std::uint64_t created_ms, std::string_view id) {
  return key(of_asset_prefix(asset_id), be64(created_ms), id);
}
std::string live_key(std::string_view asset_id) {
  return key(std::string_view("financing/live/"), asset_id);
}
std::string sub_prefix(std::string_view id) { return key(std::string_view("financing/sub/"), id); }
std::string sub_key(std::string_view id, std::string_view financier) {
  return key(sub_prefix(id), financier);
}
std::string of_financier_prefix(std::string_view financier) {
  return key(std::string_view("financing/of_financier/"), financier);
}
std::string of_financier_key(std::string_view financier, std::string_view id) {
  return key(of_financier_prefix(financier), id);
}
std::string payout_prefix(std::string_view id, std::string_view financier) {
  return key(std::string_view("financing/payout/"), id, financier);
}
std::string payout_key(std::string_view id, std::string_view financier, std::uint64_t seq) {
  return key(payout_prefix(id, financier), be64(seq));
}

Checked<pb::Financing> require_financing(const StateReader& state, std::string_view id) {
  if (!is_id(id)) return Refusal::invalid("a financing id is 16 bytes (32 hex digits)");
  auto f = load<pb::Financing>(state, financing_key(id));
  if (!f) return Refusal::not_found("no financing " + show_id(id));
  return *f;
}

void save_financing(Overlay& state, const pb::Financing& f) {
  save(state, financing_key(f.id()), f);
}

std::vector<pb::Subscription> subscriptions_of(const StateReader& state, std::string_view id) {
  std::vector<pb::Subscription> out;
  state.scan(sub_prefix(id), [&](std::string_view, std::string_view raw) {
    pb::Subscription& s = out.emplace_back();
    if (!s.ParseFromString(std::string(raw))) halt("a financing subscription does not decode");
    return true;
  });
  return out;
}

std::optional<pb::Financing> live_financing(const StateReader& state, std::string_view asset_id) {
  auto id = state.get(live_key(asset_id));
  if (!id) return std::nullopt;
  auto f = load<pb::Financing>(state, financing_key(*id));
  if (!f) halt("an asset's live financing does not exist");
  return f;
}

std::string status_name(pb::FinancingStatus s) {
  switch (s) {
    case pb::FINANCING_OPEN:
      return "open for subscriptions";
    case pb::FINANCING_ACTIVE:
      return "active";
    case pb::FINANCING_FAILED:
      return "failed (everyone was refunded)";
    case pb::FINANCING_CANCELLED:
      return "cancelled (everyone was refunded)";
    case pb::FINANCING_COMPLETED:
      return "completed";
    default:
      return "unknown";
  }
}

std::uint64_t minimum_raise(const pb::FinancingTerms& t) {
  return t.minimum_raise() == 0 ? t.amount_sought() : t.minimum_raise();
}

Outcome close_round(TxContext& ctx, pb::Financing& f) {
  const pb::FinancingTerms& t = f.terms();
  f.set_closed_at_ms(ctx.now_ms());
  bool met = f.subscribed() > 0 && f.subscribed() >= minimum_raise(t);
  // A round closed after the term has nothing left to share: activating it would hand the
  // financiers' money to the investor for no return, so it fails instead.
  bool term_over = ctx.now_ms() >= t.term_ends_ms();
  if (met && !term_over) {
    auto subs = subscriptions_of(ctx.state(), f.id());
    for (auto& s : subs) {
      SC_TRY(release_holds(ctx, s));
      SC_TRY(ledger::transfer(ctx, s.financier(), f.investor(), s.amount(),
                              "subscription to financing " + show_id(f.id())));
      save_subscription(ctx.state(), s);
    }
    f.set_status(pb::FINANCING_ACTIVE);
    f.set_raised(f.subscribed());
    f.set_status_reason("raised " + format_units(f.raised()) + " of " +
                        format_units(t.amount_sought()) + " sought");
    ctx.emit(kContract, "RoundClosed",
             {{"financing", id_value(f.id())},
              {"outcome", "succeeded"},
              {"subscribed", number(f.subscribed())},
              {"minimum_raise", number(minimum_raise(t))},
              {"subscribers", number(f.subscribers())},
              {"reason", f.status_reason()}});
    ctx.emit(kContract, "FinancingActivated",
             {{"financing", id_value(f.id())},
              {"asset", id_value(f.asset_id())},
              {"investor", address_value(f.investor())},
              {"raised", number(f.raised())},
              {"share_bps", number(t.share_bps())},
              {"term_ends_ms", number(t.term_ends_ms())}});
    save_financing(ctx.state(), f);
    return Outcome::ok();
  }
  std::string reason = term_over ? "the round was closed after its term had ended"
                                 : "subscriptions of " + format_units(f.subscribed()) +
                                       " did not reach the minimum raise of " +
                                       format_units(minimum_raise(t));
  ctx.emit(kContract, "RoundClosed",
           {{"financing", id_value(f.id())},
            {"outcome", "failed"},
            {"subscribed", number(f.subscribed())},
            {"minimum_raise", number(minimum_raise(t))},
            {"subscribers", number(f.subscribers())},
            {"reason", reason}});
  SC_TRY(refund_all(ctx, f));
  return end_financing(ctx, f, pb::FINANCING_FAILED, reason);
}

Outcome refund_all(TxContext& ctx, pb::Financing& f) {
  auto subs = subscriptions_of(ctx.state(), f.id());
  for (auto& s : subs) {
    SC_TRY(release_holds(ctx, s));
    s.set_refunded(true);
    save_subscription(ctx.state(), s);
    ctx.emit(kContract, "SubscriptionRefunded",
             {{"financing", id_value(f.id())},
              {"financier", address_value(s.financier())},
              {"amount", number(s.amount())}});
  }
  return Outcome::ok();
}

Outcome end_financing(TxContext& ctx, pb::Financing& f, pb::FinancingStatus status,
                      std::string_view reason) {
  f.set_status(status);
  f.set_status_reason(std::string(reason));
  if (status == pb::FINANCING_COMPLETED) {
    f.set_completed_at_ms(ctx.now_ms());
  } else {
    f.set_closed_at_ms(ctx.now_ms());
  }
  ctx.state().erase(live_key(f.asset_id()));
  SC_TRY(assets::remove_lien(ctx, f.asset_id(), f.id()));
  save_financing(ctx.state(), f);
  return Outcome::ok();
}

Outcome complete_term(TxContext& ctx, pb::Financing& f) {
  SC_TRY(end_financing(ctx, f, pb::FINANCING_COMPLETED, "the term ended"));
  ctx.emit(kContract, "FinancingCompleted",
           {{"financing", id_value(f.id())},
            {"asset", id_value(f.asset_id())},
            {"raised", number(f.raised())},
            {"paid_out", number(f.paid_out())},
            {"distributions", number(f.distributions())},
            {"roi_bps", number(basis_points(f.paid_out(), f.raised()))}});
  return Outcome::ok();
}

Checked<std::uint64_t> share_with_financiers(TxContext& ctx, pb::Financing& f,
                                             const InvestorDistribution& d) {
  const std::uint32_t share = f.terms().share_bps();
  // The investor's part and the financiers' pool by the exact split (investor first, so an
  // even tie leaves the odd unit with the investor).
  auto halves = revenue::split_by_weights(d.amount, {kBasisPoints - share, share});
  if (!halves.is_ok()) return halves.refusal();
  std::uint64_t pool = (*halves)[1];
  auto distributions = checked_add(f.distributions(), 1);
  if (!distributions) return Refusal::range("the financing's distribution counter would overflow");
  f.set_distributions(*distributions);
  if (pool == 0) {
    save_financing(ctx.state(), f);
    return std::uint64_t{0};
  }
  auto subs = subscriptions_of(ctx.state(), f.id());
  if (subs.empty()) halt("an active financing has no subscriptions");
  std::vector<std::uint64_t> weights;
  weights.reserve(subs.size());
  for (const auto& s : subs) weights.push_back(s.amount());
  auto parts = revenue::split_by_weights(pool, weights);
  if (!parts.is_ok()) return parts.refusal();
  auto paid = checked_add(f.paid_out(), pool);
  if (!paid) return Refusal::range("the financing's payout total would overflow");
  f.set_paid_out(*paid);

  std::string summary;
  for (std::size_t i = 0; i < subs.size(); ++i) {
    if (!summary.empty()) summary += ";";
    summary += show_address(subs[i].financier()) + "=" + std::to_string((*parts)[i]);
  }
  ctx.emit(kContract, "FinancingDistributed",
           {{"financing", id_value(f.id())},
            {"asset", id_value(f.asset_id())},
            {"investor_part", number(d.amount)},
            {"pool", number(pool)},
            {"parts", summary}});

  for (std::size_t i = 0; i < subs.size(); ++i) {
    pb::Subscription& s = subs[i];
    std::uint64_t part = (*parts)[i];
    if (part == 0) continue;
    // A financier who is also the payer keeps its part where it already is.
    if (s.financier() != d.source) {
      SC_TRY(ledger::transfer(ctx, d.source, s.financier(), part,
                              "financing " + show_id(f.id()) + " share of investor income"));
    }
    auto total = checked_add(s.paid_out(), part);
    if (!total) return Refusal::range("a financier's payout total would overflow");
    pb::Payout p;
    p.set_seq(s.payouts());
    p.set_financing_id(f.id());
    p.set_financier(s.financier());
    p.set_amount(part);
    p.set_investor_part(d.amount);
    p.set_pool(pool);
    p.set_source_kind(d.source_kind);
    p.set_source_id(d.source_id);
    p.set_height(ctx.height());
    p.set_timestamp_ms(ctx.now_ms());
    p.set_tx_hash(ctx.tx_hash());
    save(ctx.state(), payout_key(f.id(), s.financier(), p.seq()), p);
    s.set_paid_out(*total);
    s.set_payouts(s.payouts() + 1);
    save_subscription(ctx.state(), s);
    ctx.emit(kContract, "FinancierPaid",
             {{"financing", id_value(f.id())},
              {"financier", address_value(s.financier())},
              {"amount", number(part)},
              {"seq", number(p.seq())},
              {"paid_out", number(s.paid_out())}});
  }
  save_financing(ctx.state(), f);
  return pool;
}

}  // namespace detail

Outcome execute(TxContext& ctx, const pb::Call& call) {
  using namespace detail;
  switch (call.action_case()) {
    case pb::Call::kOffer:
      return offer(ctx, call.offer());
    case pb::Call::kSubscribe:
      return subscribe(ctx, call.subscribe());
    case pb::Call::kWithdraw:
      return withdraw(ctx, call.withdraw());
    case pb::Call::kCloseRound:
      return close(ctx, call.close_round());
    case pb::Call::kCancel:
      return cancel(ctx, call.cancel());
    case pb::Call::kComplete:
      return complete(ctx, call.complete());
    case pb::Call::ACTION_NOT_SET:
      break;
  }
  return Refusal::invalid("the financing call names no action");
}

}  // namespace sharechain::contracts::financing
