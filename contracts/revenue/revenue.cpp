// Distributions, income history and credit scores.
#include "contracts/revenue/revenue.hpp"

#include <algorithm>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/split.hpp"

namespace sharechain::contracts::revenue {

namespace {

std::string stats_key(std::string_view party) {
  return key(std::string_view("revenue/party/"), party);
}
std::string income_key(std::string_view party, std::uint64_t seq) {
  return key(std::string_view("revenue/income/"), party, be64(seq));
}

void save_stats(Overlay& state, const pb::PartyStats& s) { save(state, stats_key(s.party()), s); }

// Counters saturate: a credit history cannot fail a payment.
std::uint64_t bump(std::uint64_t v, std::uint64_t by = 1) {
  auto r = checked_add(v, by);
  return r ? *r : UINT64_MAX;
}

}  // namespace

pb::PartyStats party_stats(const StateReader& state, std::string_view party) {
  if (auto s = load<pb::PartyStats>(state, stats_key(party))) return *s;
  pb::PartyStats s;
  s.set_party(std::string(party));
  return s;
}

void record_payment(Overlay& state, std::string_view payer, bool on_time) {
  pb::PartyStats s = party_stats(state, payer);
  if (on_time) {
    s.set_payments_on_time(bump(s.payments_on_time()));
  } else {
    s.set_payments_late(bump(s.payments_late()));
  }
  save_stats(state, s);
}

void record_overdue(Overlay& state, std::string_view party) {
  pb::PartyStats s = party_stats(state, party);
  s.set_overdue_sessions(bump(s.overdue_sessions()));
  save_stats(state, s);
}

void record_dispute_raised(Overlay& state, std::string_view party) {
  pb::PartyStats s = party_stats(state, party);
  s.set_disputes_raised(bump(s.disputes_raised()));
  save_stats(state, s);
}

void record_dispute_lost(Overlay& state, std::string_view party) {
  pb::PartyStats s = party_stats(state, party);
  s.set_disputes_lost(bump(s.disputes_lost()));
  save_stats(state, s);
}

std::uint32_t credit_score(const pb::PartyStats& s) {
  // Every term is capped before it is weighted, so the arithmetic stays far from overflow.
  auto cap = [](std::uint64_t v, std::uint64_t limit) { return std::min(v, limit); };
  std::int64_t score = 500;
  score += 10 * static_cast<std::int64_t>(cap(s.payments_on_time(), 30));
  score += 5 * static_cast<std::int64_t>(cap(s.income_entries(), 20));
  score -= 40 * static_cast<std::int64_t>(cap(s.payments_late(), 100));
  score -= 100 * static_cast<std::int64_t>(cap(s.overdue_sessions(), 100));
  score -= 150 * static_cast<std::int64_t>(cap(s.disputes_lost(), 100));
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(score, 0, 1000));
}

Checked<std::vector<std::uint64_t>> distribute(TxContext& ctx, std::string_view from,
                                               std::uint64_t amount,
                                               const std::vector<Recipient>& recipients,
                                               const IncomeSource& source) {
  std::vector<std::uint32_t> shares;
  shares.reserve(recipients.size());
  for (const auto& r : recipients) shares.push_back(r.share_bps);
  auto parts = split_by_shares(amount, shares);
  if (!parts.is_ok()) return parts.refusal();

  std::string investor;
  if (!source.asset_id.empty()) {
    auto a = assets::require_asset(ctx.state(), source.asset_id);
    if (!a.is_ok()) return a.refusal();
    investor = a->owner();
  }

  std::string summary;
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    if (!summary.empty()) summary += ";";
    summary += show_address(recipients[i].party) + "=" + std::to_string((*parts)[i]);
  }
  ctx.emit(kContract, "IncomeSplit",
           {{"source_kind", source.kind},
            {"source", id_value(source.id)},
            {"session", source.session_id.empty() ? "" : show_id(source.session_id)},
            {"amount", number(amount)},
            {"parts", summary}});

  for (std::size_t i = 0; i < recipients.size(); ++i) {
    const Recipient& r = recipients[i];
    std::uint64_t part = (*parts)[i];
    if (part == 0) continue;
    const std::string& payout = r.payout.empty() ? r.party : r.payout;
    std::uint64_t keep = part;
    bool to_investor = !investor.empty() && r.party == investor;
    if (to_investor && ctx.hooks().investor_distribution) {
      InvestorDistribution d{source.asset_id, r.party, std::string(from), part, source.kind,
                             source.id};
      auto left = ctx.hooks().investor_distribution(ctx, d);
      if (!left.is_ok()) return left.refusal();
      if (*left > part) halt("the investor-distribution hook returned more than it was given");
      keep = *left;
    }
    if (keep > 0 && payout != from) {
      SC_TRY(ledger::transfer(ctx, from, payout, keep,
                              "revenue share from " + source.kind + " " + show_id(source.id)));
    }
    if (to_investor) SC_TRY(assets::add_investor_income(ctx, source.asset_id, part));

    pb::PartyStats stats = party_stats(ctx.state(), r.party);
    pb::IncomeEntry e;
    e.set_seq(stats.income_entries());
    e.set_amount(part);
    e.set_passed_on(part - keep);
    e.set_source_kind(source.kind);
    e.set_source_id(source.id);
    e.set_session_id(source.session_id);
    e.set_asset_id(source.asset_id);
    e.set_paid_to(payout);
    e.set_height(ctx.height());
    e.set_timestamp_ms(ctx.now_ms());
    e.set_tx_hash(ctx.tx_hash());
    e.set_share_bps(r.share_bps);
    save(ctx.state(), income_key(r.party, e.seq()), e);
    stats.set_income_entries(bump(stats.income_entries()));
    stats.set_income_total(bump(stats.income_total(), part));
    save_stats(ctx.state(), stats);

    ctx.emit(kContract, "RevenueDistributed",
             {{"source_kind", source.kind},
              {"source", id_value(source.id)},
              {"party", address_value(r.party)},
              {"paid_to", address_value(payout)},
              {"amount", number(part)},
              {"share_bps", number(r.share_bps)},
              {"passed_on", number(part - keep)},
              {"investor", to_investor ? "true" : "false"}});
  }
  return std::move(parts).value();
}

}  // namespace sharechain::contracts::revenue
