#include "tools/dataserver/audit.hpp"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "proto/crypto.hpp"
#include "tools/common/cli.hpp"
#include "tools/common/client.hpp"
#include "tools/common/files.hpp"
#include "tools/common/render.hpp"
#include "tools/dataserver/report.hpp"
#include "tools/dataserver/split.hpp"

namespace sharechain::dataserver {

namespace {

using tools::Json;
__extension__ using U128 = unsigned __int128;

std::string raw(std::string_view hex) {
  auto r = crypto::from_hex(hex);
  return r ? *r : "";
}

// An attribute value that is a formatted address.
std::optional<std::string> as_address(std::string_view v) { return crypto::parse_address(v); }

std::string units(std::uint64_t v) { return tools::format_amount(v); }

struct Check {
  std::string name;
  bool ok = true;
  std::string detail;
};

// What the history of the chain says, gathered from every block's receipts.
struct History {
  std::set<std::string> addresses;  // raw, every account the history names
  std::uint64_t issued = 0;         // sum of Issued events
  std::map<std::string, std::uint64_t> distributed;      // party -> RevenueDistributed amounts
  std::vector<std::string> sessions;                     // raw ids, in order of access
  std::vector<std::string> agreements;
  std::vector<std::string> models;
  std::map<std::string, std::string> reservation_agreement;
  std::map<std::string, std::uint64_t> fees;             // agreement -> forfeited deposits
  std::map<std::string, std::uint64_t> routed;           // model -> income routed
  std::vector<std::string> assets;
  std::vector<std::string> financings;
  std::map<std::string, std::uint64_t> financier_paid;   // financing -> FinancierPaid amounts
  struct Distribution {
    std::string financing;
    std::uint64_t investor_part = 0;
    std::uint64_t pool = 0;
    std::map<std::string, std::uint64_t> parts;  // financier (raw) -> part
  };
  std::vector<Distribution> distributions;
  std::vector<std::string> records;
  std::uint64_t transactions = 0;
};

// "sc..=12;sc..=7" -> {raw address: amount}.
std::map<std::string, std::uint64_t> parse_parts(std::string_view text) {
  std::map<std::string, std::uint64_t> out;
  while (!text.empty()) {
    const std::size_t semi = text.find(';');
    const std::string_view item = text.substr(0, semi);
    const std::size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      if (auto a = as_address(item.substr(0, eq))) out[*a] = tools::parse_decimal(item.substr(eq + 1)).value_or(0);
    }
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return out;
}

class Auditor {
 public:
  Auditor(const AuditOptions& options, std::ostream& err) : options_(options), err_(err) {
    for (const std::string& n : options.nodes) {
      clients_.push_back(std::make_unique<client::Node>(n, std::chrono::seconds(10)));
    }
  }

  int run(std::ostream& out) {
    Genesis genesis;
    if (int rc = read_genesis(genesis); rc != 0) return rc;
    for (auto& c : clients_) {
      auto st = c->status();
      if (!st) {
        err_ << "sharechain-dataserver audit: " << st.error().message << "\n";
        return tools::kExitUnreachable;
      }
      chain_id_ = st->chain_id();
    }
    const std::uint64_t height = converge();
    History h;
    if (!scan(height, h)) return tools::kExitUnreachable;
    compare_nodes(height);
    check_supply(genesis, h);
    check_income(h);
    check_assets(h);
    check_financing(h);
    check_vehicles(h);
    return report(out, height, h);
  }

 private:
  void check(std::string name, bool ok, std::string detail) {
    checks_.push_back({std::move(name), ok, std::move(detail)});
  }

  int read_genesis(Genesis& genesis) {
    Result<std::string> bytes = tools::read_file(options_.genesis);
    if (!bytes) {
      err_ << "sharechain-dataserver audit: cannot read the genesis file: " << bytes.status().message() << "\n";
      return tools::kExitUsage;
    }
    google::protobuf::util::JsonParseOptions o;
    o.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(*bytes, &genesis, o).ok()) {
      err_ << "sharechain-dataserver audit: " << options_.genesis << " is not a genesis file\n";
      return tools::kExitUsage;
    }
    return 0;
  }

  // Waits until every node reports the same height twice in a row, a second apart.
  std::uint64_t converge() {
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(options_.settle_s);
    std::vector<std::uint64_t> previous;
    std::vector<std::uint64_t> heights;
    for (;;) {
      heights.clear();
      for (auto& c : clients_) {
        auto st = c->status();
        heights.push_back(st ? st->height() : 0);
      }
      const bool same = std::all_of(heights.begin(), heights.end(), [&](auto v) { return v == heights[0]; });
      if (same && heights == previous) break;
      if (std::chrono::steady_clock::now() >= limit) break;
      previous = heights;
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    std::string list;
    for (auto v : heights) list += (list.empty() ? "" : ", ") + std::to_string(v);
    bool same = std::all_of(heights.begin(), heights.end(), [&](auto v) { return v == heights[0]; });
    // At one height, every node reports the same last block and state root.
    std::string reported;
    for (auto& c : clients_) {
      auto st = c->status();
      const std::string mine = st ? std::to_string(st->height()) + " " + crypto::to_hex(st->last_block_hash()) + " " +
                                        crypto::to_hex(st->state_root())
                                  : "unreachable";
      if (reported.empty()) reported = mine;
      same = same && mine == reported;
    }
    check("the nodes report one height, last block and state root", same,
          std::to_string(clients_.size()) + " node(s) at height " + list + (same ? "; root " + reported.substr(reported.rfind(' ') + 1) : ""));
    return *std::min_element(heights.begin(), heights.end());
  }

  bool scan(std::uint64_t height, History& h) {
    for (std::uint64_t n = 1; n <= height; ++n) {
      auto block = clients_[0]->block_at(n);
      if (!block) {
        err_ << "sharechain-dataserver audit: block " << n << ": " << block.error().message << "\n";
        return false;
      }
      roots_.emplace_back(block->hash(), block->state_root());
      for (const std::string& bytes : block->block().transactions()) {
        SignedTransaction tx;
        TransactionBody body;
        if (tx.ParseFromString(bytes) && body.ParseFromString(tx.body())) h.addresses.insert(body.sender());
        ++h.transactions;
      }
      for (const Receipt& r : block->receipts()) {
        if (r.status() != RECEIPT_OK) continue;
        for (const Event& e : r.events()) note_event(e, h);
      }
    }
    return true;
  }

  static void note_event(const Event& e, History& h) {
    for (const Attribute& a : e.attributes()) {
      if (auto address = as_address(a.value())) h.addresses.insert(*address);
    }
    const std::string& c = e.contract();
    const std::string& n = e.name();
    if (c == "ledger" && n == "Issued") h.issued += attribute_number(e, "amount");
    if (c == "revenue" && n == "RevenueDistributed") {
      if (auto party = as_address(attribute(e, "party"))) h.distributed[*party] += attribute_number(e, "amount");
    }
    if (c == "revenue" && n == "ModelProposed") h.models.push_back(raw(attribute(e, "model")));
    if (c == "revenue" && n == "IncomeRouted") h.routed[raw(attribute(e, "model"))] += attribute_number(e, "amount");
    if (c == "usage" && n == "AgreementProposed") h.agreements.push_back(raw(attribute(e, "agreement")));
    if (c == "usage" && n == "AccessGranted") h.sessions.push_back(raw(attribute(e, "session")));
    if (c == "usage" && n == "Reserved") h.reservation_agreement[raw(attribute(e, "reservation"))] = raw(attribute(e, "agreement"));
    if (c == "assets" && n == "AssetRegistered") h.assets.push_back(raw(attribute(e, "asset")));
    if (c == "financing" && n == "FinancingOffered") h.financings.push_back(raw(attribute(e, "financing")));
    if (c == "financing" && n == "FinancierPaid") h.financier_paid[raw(attribute(e, "financing"))] += attribute_number(e, "amount");
    if (c == "financing" && n == "FinancingDistributed") {
      h.distributions.push_back({raw(attribute(e, "financing")), attribute_number(e, "investor_part"), attribute_number(e, "pool"),
                                 parse_parts(attribute(e, "parts"))});
    }
    if (c == "vehicles" && n == "RecordSubmitted") h.records.push_back(raw(attribute(e, "record")));
    if (c == "usage" && (n == "ReservationCancelled" || n == "ReservationExpired")) {
      const std::uint64_t fee = attribute_number(e, "fee");
      if (fee > 0) h.fees[h.reservation_agreement[raw(attribute(e, "reservation"))]] += fee;
    }
  }

  void compare_nodes(std::uint64_t height) {
    std::string problem;
    for (std::size_t i = 1; i < clients_.size() && problem.empty(); ++i) {
      for (std::uint64_t n = 1; n <= height; ++n) {
        auto block = clients_[i]->block_at(n);
        if (!block) {
          problem = "node " + std::to_string(i) + " has no block " + std::to_string(n) + ": " + block.error().message;
          break;
        }
        const auto& [hash, root] = roots_[n - 1];
        if (block->hash() != hash || block->state_root() != root) {
          problem = "node " + std::to_string(i) + " disagrees at height " + std::to_string(n) + ": block " +
                    crypto::to_hex(block->hash()) + " root " + crypto::to_hex(block->state_root()) +
                    " against " + crypto::to_hex(hash) + " root " + crypto::to_hex(root);
          break;
        }
      }
    }
    check("every node holds the same blocks and state roots", problem.empty(),
          problem.empty() ? std::to_string(clients_.size()) + " node(s) agree at heights 1.." + std::to_string(height)
                          : problem);
  }

  std::optional<api::QueryResponse> query(const api::QueryRequest& q) {
    auto ctx = clients_[0]->context(std::chrono::seconds(10));
    api::QueryResponse resp;
    if (!clients_[0]->stub().Query(ctx.get(), q, &resp).ok()) return std::nullopt;
    return resp;
  }

  std::optional<ledger::Account> account(const std::string& address) {
    auto a = clients_[0]->account(address);
    return a ? *a : std::nullopt;
  }

  void check_supply(const Genesis& genesis, History& h) {
    std::uint64_t genesis_total = 0;
    for (const GenesisAccount& a : genesis.accounts()) {
      genesis_total += a.balance();
      if (auto address = crypto::parse_address(a.address())) h.addresses.insert(*address);
    }
    api::QueryRequest vq;
    vq.mutable_ledger()->mutable_validators();
    if (auto v = query(vq)) {
      for (const auto& val : v->ledger().validators().validators()) h.addresses.insert(val.address());
    }
    api::QueryRequest sq;
    sq.mutable_ledger()->mutable_supply();
    auto s = query(sq);
    if (!s) {
      check("the ledger answers the supply query", false, "the supply query failed");
      return;
    }
    const ledger::Supply& supply = s->ledger().supply();
    figures_["supply"] = {{"genesis", genesis_total},
                          {"issued_since_genesis", h.issued},
                          {"issued", supply.issued()},
                          {"balances", supply.balances()},
                          {"escrow", supply.escrow()},
                          {"accounts", supply.accounts()}};
    check("issued total = genesis balances + every issuance", supply.issued() == genesis_total + h.issued,
          units(supply.issued()) + " issued; genesis " + units(genesis_total) + " + issued " + units(h.issued));
    check("balances + escrow = issued total", supply.balances() + supply.escrow() == supply.issued(),
          units(supply.balances()) + " + " + units(supply.escrow()) + " against " + units(supply.issued()));

    std::uint64_t balances = 0;
    std::uint64_t escrow = 0;
    std::uint64_t accounts = 0;
    std::string holds_problem;
    for (const std::string& address : h.addresses) {
      auto a = account(address);
      if (!a) continue;
      ++accounts;
      balances += a->balance();
      escrow += a->escrow();
      if (a->escrow() > 0 && holds_problem.empty()) {
        api::QueryRequest hq;
        hq.mutable_ledger()->mutable_holds()->set_owner(address);
        std::uint64_t held = 0;
        if (auto holds = query(hq)) {
          for (const auto& hold : holds->ledger().holds().holds()) held += hold.amount();
        }
        if (held != a->escrow()) {
          holds_problem = crypto::format_address(address) + " has escrow " + units(a->escrow()) + " but holds " + units(held);
        }
      }
    }
    check("every account read one by one sums to the supply",
          balances == supply.balances() && escrow == supply.escrow() && accounts == supply.accounts(),
          std::to_string(accounts) + " accounts hold " + units(balances) + " + escrow " + units(escrow) +
              "; the ledger counts " + std::to_string(supply.accounts()) + " accounts");
    check("each account's escrow equals its holds", holds_problem.empty(),
          holds_problem.empty() ? "every account with escrow checked" : holds_problem);
  }

  void check_income(const History& h) {
    // Paid sessions: recompute each split.
    std::map<std::string, std::uint64_t> session_income;  // party -> shares of paid sessions
    std::map<std::string, std::uint64_t> paid_by_agreement;
    std::uint64_t paid = 0;
    std::uint64_t split_checked = 0;
    std::string split_problem;
    for (const std::string& id : h.sessions) {
      api::QueryRequest q;
      q.mutable_usage()->mutable_session()->set_session_id(id);
      auto r = query(q);
      if (!r) {
        if (split_problem.empty()) split_problem = "session " + crypto::to_hex(id) + " cannot be read";
        continue;
      }
      const usage::Session& s = r->usage().session();
      if (s.status() != usage::PAID || s.charge() == 0) continue;
      ++paid;
      paid_by_agreement[s.agreement_id()] += s.charge();
      if (s.split_size() == 0) continue;  // income went to a PERIODIC pot
      std::vector<std::uint32_t> shares;
      for (const auto& p : s.partners()) shares.push_back(p.share_bps());
      auto parts = exact_split(s.charge(), shares);
      bool ok = parts && s.split_size() == s.partners_size();
      for (int i = 0; ok && i < s.split_size(); ++i) {
        ok = s.split(i).party() == s.partners(i).account() && s.split(i).amount() == (*parts)[static_cast<std::size_t>(i)];
      }
      if (!ok && split_problem.empty()) {
        split_problem = "session " + crypto::to_hex(id) + " of " + units(s.charge()) + " was not split exactly";
      }
      ++split_checked;
      for (const auto& p : s.split()) {
        if (p.amount() > 0) session_income[p.party()] += p.amount();
      }
    }
    check("every paid session's split is exact", split_problem.empty(),
          split_problem.empty() ? std::to_string(split_checked) + " splits recomputed" : split_problem);

    // Parties: their income history, totals and events.
    std::set<std::string> parties;
    for (const auto& [p, amount] : h.distributed) parties.insert(p);
    for (const auto& [p, amount] : session_income) parties.insert(p);
    std::map<std::string, std::uint64_t> by_source;  // source id -> income entries
    std::uint64_t income_total = 0;
    std::string history_problem;
    std::string events_problem;
    std::string sessions_problem;
    Json party_figures = Json::array();
    for (const std::string& party : parties) {
      std::uint64_t sum = 0;
      std::uint64_t from_sessions = 0;
      revenue::PartyStats stats;
      for (std::uint64_t seq = 0;;) {
        api::QueryRequest q;
        auto* inc = q.mutable_revenue()->mutable_income();
        inc->set_party(party);
        inc->set_from_seq(seq);
        inc->set_limit(1000);
        auto r = query(q);
        if (!r) {
          history_problem = "the income of " + crypto::format_address(party) + " cannot be read";
          break;
        }
        stats = r->revenue().income().stats();
        for (const auto& e : r->revenue().income().entries()) {
          sum += e.amount();
          passed_on_ += e.passed_on();
          if (!e.asset_id().empty()) investor_income_[e.asset_id()][party] += e.amount();
          if (!e.session_id().empty()) from_sessions += e.amount();
          by_source[e.source_id()] += e.amount();
          seq = e.seq() + 1;
        }
        if (r->revenue().income().entries_size() < 1000) break;
      }
      income_total += stats.income_total();
      const std::string who = crypto::format_address(party);
      if (sum != stats.income_total() && history_problem.empty()) {
        history_problem = who + ": history sums to " + units(sum) + ", total says " + units(stats.income_total());
      }
      auto d = h.distributed.find(party);
      const std::uint64_t events = d == h.distributed.end() ? 0 : d->second;
      if (events != stats.income_total() && events_problem.empty()) {
        events_problem = who + ": events say " + units(events) + ", total says " + units(stats.income_total());
      }
      auto si = session_income.find(party);
      const std::uint64_t shares = si == session_income.end() ? 0 : si->second;
      if (shares != from_sessions && sessions_problem.empty()) {
        sessions_problem = who + ": session income " + units(from_sessions) + ", shares of paid sessions " + units(shares);
      }
      party_figures.push_back({{"party", who},
                               {"income_total", stats.income_total()},
                               {"from_sessions", from_sessions},
                               {"entries", stats.income_entries()},
                               {"credit_history",
                                {{"payments_on_time", stats.payments_on_time()},
                                 {"payments_late", stats.payments_late()},
                                 {"overdue_sessions", stats.overdue_sessions()}}}});
    }
    figures_["parties"] = party_figures;
    figures_["income_total"] = income_total;
    figures_["sessions"] = {{"granted", h.sessions.size()}, {"paid", paid}};
    check("each party's income history sums to its total", history_problem.empty(),
          history_problem.empty() ? std::to_string(parties.size()) + " parties, " + units(income_total) : history_problem);
    check("each party's total equals its RevenueDistributed events", events_problem.empty(),
          events_problem.empty() ? "all parties match" : events_problem);
    check("each party's session income equals its shares of paid sessions", sessions_problem.empty(),
          sessions_problem.empty() ? "all parties match" : sessions_problem);

    // Sources: agreements and models.
    std::uint64_t reached = 0;
    std::string agreement_problem;
    for (const std::string& id : h.agreements) {
      api::QueryRequest q;
      q.mutable_usage()->mutable_agreement()->set_agreement_id(id);
      auto r = query(q);
      if (!r) continue;
      const usage::Agreement& a = r->usage().agreement();
      auto fee = h.fees.find(id);
      auto pd = paid_by_agreement.find(id);
      const std::uint64_t expected = (pd == paid_by_agreement.end() ? 0 : pd->second) + (fee == h.fees.end() ? 0 : fee->second);
      auto pot = account(a.pot());
      const std::uint64_t waiting = pot ? pot->balance() : 0;
      auto src = by_source.find(id);
      const std::uint64_t out = src == by_source.end() ? 0 : src->second;
      if (agreement_problem.empty() && a.income_total() != expected) {
        agreement_problem = "agreement " + crypto::to_hex(id) + " took " + units(a.income_total()) +
                            " but its paid sessions and forfeited deposits come to " + units(expected);
      }
      if (agreement_problem.empty() && out + waiting != a.income_total()) {
        agreement_problem = "agreement " + crypto::to_hex(id) + ": " + units(out) + " paid out + " + units(waiting) +
                            " in the pot, income " + units(a.income_total());
      }
      reached += out;
    }
    check("each agreement's income = its paid sessions + forfeited deposits, paid out or in its pot",
          agreement_problem.empty(),
          agreement_problem.empty() ? std::to_string(h.agreements.size()) + " agreements" : agreement_problem);

    std::string model_problem;
    for (const std::string& id : h.models) {
      api::QueryRequest q;
      q.mutable_revenue()->mutable_model()->set_model_id(id);
      auto r = query(q);
      if (!r) continue;
      const revenue::Model& m = r->revenue().model();
      auto routed = h.routed.find(id);
      const std::uint64_t in = routed == h.routed.end() ? 0 : routed->second;
      auto pot = account(m.pot());
      const std::uint64_t waiting = pot ? pot->balance() : 0;
      auto src = by_source.find(id);
      const std::uint64_t out = src == by_source.end() ? 0 : src->second;
      if (model_problem.empty() && (m.income_total() != in || out + waiting != in)) {
        model_problem = "split model " + crypto::to_hex(id) + ": routed " + units(in) + ", income " +
                        units(m.income_total()) + ", paid out " + units(out) + ", in the pot " + units(waiting);
      }
      reached += out;
    }
    check("each split model's income = what was routed to it, paid out or in its pot", model_problem.empty(),
          model_problem.empty() ? std::to_string(h.models.size()) + " split models" : model_problem);
    check("all party income comes from agreements and split models", reached == income_total,
          units(reached) + " paid out by sources, " + units(income_total) + " received by parties");
  }

  // The digital asset record keeps its investor's income and return on investment.
  void check_assets(const History& h) {
    std::string problem;
    for (const std::string& id : h.assets) {
      api::QueryRequest q;
      q.mutable_assets()->mutable_asset()->set_asset_id(id);
      auto r = query(q);
      if (!r) continue;
      const assets::Asset& a = r->assets().asset();
      std::uint64_t from_history = 0;
      if (auto it = investor_income_.find(id); it != investor_income_.end()) {
        if (auto p = it->second.find(a.owner()); p != it->second.end()) from_history = p->second;
      }
      const std::uint64_t cost = a.spec().investment_cost();
      const std::uint64_t roi = cost == 0 ? 0 : static_cast<std::uint64_t>(static_cast<U128>(a.investor_income()) * 10'000 / cost);
      if (problem.empty() && (a.investor_income() != from_history || a.roi_bps() != roi)) {
        problem = "asset " + crypto::to_hex(id) + " records investor income " + units(a.investor_income()) + " at " +
                  std::to_string(a.roi_bps()) + " bps; its owner's income history from it is " + units(from_history) +
                  " (" + std::to_string(roi) + " bps)";
      }
    }
    check("each asset's investor income and return on investment match its owner's income", problem.empty(),
          problem.empty() ? std::to_string(h.assets.size()) + " assets" : problem);
  }

  // Financing rounds: what was raised, refunded and paid out, and every pro-rata payout.
  void check_financing(const History& h) {
    std::string problem;
    std::uint64_t paid_out = 0;
    std::map<std::string, financing::FinancingView> views;
    for (const std::string& id : h.financings) {
      api::QueryRequest q;
      q.mutable_financing()->mutable_financing()->set_financing_id(id);
      auto r = query(q);
      if (!r) {
        if (problem.empty()) problem = "financing " + crypto::to_hex(id) + " cannot be read";
        continue;
      }
      const financing::FinancingView& v = r->financing().financing();
      views[id] = v;
      const financing::Financing& f = v.financing();
      std::uint64_t subscribed = 0;
      std::uint64_t sub_paid = 0;
      bool refunded_all = true;
      for (const auto& s : v.subscriptions()) {
        subscribed += s.amount();
        sub_paid += s.paid_out();
        refunded_all = refunded_all && (s.refunded() || s.amount() == 0) && s.holds_size() == 0;
      }
      auto ev = h.financier_paid.find(id);
      const std::uint64_t events = ev == h.financier_paid.end() ? 0 : ev->second;
      paid_out += f.paid_out();
      const std::string name = "financing " + crypto::to_hex(id);
      switch (f.status()) {
        case financing::FINANCING_ACTIVE:
        case financing::FINANCING_COMPLETED:
          if (problem.empty() && (f.raised() != subscribed || f.paid_out() != sub_paid || f.paid_out() != events)) {
            problem = name + ": raised " + units(f.raised()) + " of subscriptions " + units(subscribed) + "; paid out " +
                      units(f.paid_out()) + ", subscriptions received " + units(sub_paid) + ", FinancierPaid events " +
                      units(events);
          }
          break;
        case financing::FINANCING_FAILED:
        case financing::FINANCING_CANCELLED:
          if (problem.empty() && (!refunded_all || f.paid_out() != 0 || events != 0)) {
            problem = name + " ended without raising but not every subscription was refunded";
          }
          break;
        default: break;
      }
    }
    check("each financing's raise and payouts match its subscriptions", problem.empty(),
          problem.empty() ? std::to_string(h.financings.size()) + " financing rounds" : problem);
    check("income passed on by investors = payouts to financiers", passed_on_ == paid_out,
          units(passed_on_) + " passed on, " + units(paid_out) + " paid to financiers");

    std::string split_problem;
    for (const auto& d : h.distributions) {
      auto v = views.find(d.financing);
      if (v == views.end()) continue;
      const std::uint32_t share = v->second.financing().terms().share_bps();
      auto halves = exact_split_by_weights(d.investor_part, {10'000 - share, share});
      // Subscriptions in the chain's order (by financier address), as the pro-rata split uses.
      std::map<std::string, std::uint64_t> amounts;
      for (const auto& s : v->second.subscriptions()) {
        if (!s.refunded() && s.amount() > 0) amounts[s.financier()] = s.amount();
      }
      std::vector<std::uint64_t> weights;
      for (const auto& [who, amount] : amounts) weights.push_back(amount);
      auto parts = exact_split_by_weights(d.pool, weights);
      bool ok = halves && (*halves)[1] == d.pool && parts;
      std::size_t i = 0;
      for (const auto& [who, amount] : amounts) {
        if (!ok) break;
        auto it = d.parts.find(who);
        ok = (it == d.parts.end() ? 0 : it->second) == (*parts)[i++];
      }
      if (!ok && split_problem.empty()) {
        split_problem = "a distribution of " + units(d.investor_part) + " under financing " +
                        crypto::to_hex(d.financing) + " was not shared exactly";
      }
    }
    check("every financiers' share is split exactly and pro rata", split_problem.empty(),
          split_problem.empty() ? std::to_string(h.distributions.size()) + " distributions recomputed" : split_problem);
  }

  // Vehicle records: attested ones carry enough TRUE endorsements from attesters other than
  // their parties; owners are the latest attested registration or transfer.
  void check_vehicles(const History& h) {
    std::string problem;
    std::map<std::string, std::pair<std::uint64_t, std::string>> owner_by_vin;  // vin -> (height, owner)
    std::uint64_t attested = 0;
    for (const std::string& id : h.records) {
      api::QueryRequest q;
      q.mutable_vehicles()->mutable_record()->set_record_id(id);
      auto r = query(q);
      if (!r) continue;
      const vehicles::Record& rec = r->vehicles().record();
      if (rec.status() != vehicles::RECORD_ATTESTED) continue;
      ++attested;
      std::set<std::string> endorsers;
      std::uint32_t trues = 0;
      for (const auto& e : rec.endorsements()) {
        const bool party = e.attester() == rec.submitter() || e.attester() == rec.from_owner() ||
                           e.attester() == rec.new_owner();
        if (party || !endorsers.insert(e.attester()).second) {
          if (problem.empty()) problem = "record " + crypto::to_hex(id) + " has an endorsement by a party or a repeat";
        }
        if (e.verdict() == vehicles::VERDICT_TRUE) ++trues;
      }
      if (problem.empty() && (trues < rec.threshold() || trues != rec.true_count())) {
        problem = "record " + crypto::to_hex(id) + " was attested with " + std::to_string(trues) +
                  " TRUE endorsements against a threshold of " + std::to_string(rec.threshold());
      }
      const bool changes_owner = (rec.kind() == vehicles::REGISTRATION && !rec.new_owner().empty()) ||
                                 rec.kind() == vehicles::OWNERSHIP_TRANSFER;
      if (changes_owner) {
        auto& slot = owner_by_vin[rec.vin()];
        if (rec.decided_height() >= slot.first) slot = {rec.decided_height(), rec.new_owner()};
      }
    }
    for (const auto& [vin, owner] : owner_by_vin) {
      api::QueryRequest q;
      q.mutable_vehicles()->mutable_vehicle()->set_vin(vin);
      auto r = query(q);
      if (problem.empty() && (!r || r->vehicles().vehicle().owner() != owner.second)) {
        problem = "vehicle " + vin + " is not owned by the buyer of its last attested registration or transfer";
      }
    }
    check("attested vehicle records have enough endorsements and owners follow attested transfers", problem.empty(),
          problem.empty() ? std::to_string(attested) + " attested records, " + std::to_string(owner_by_vin.size()) +
                                " owned vehicles"
                          : problem);
  }

  int report(std::ostream& out, std::uint64_t height, const History& h) {
    bool ok = true;
    for (const Check& c : checks_) ok = ok && c.ok;
    figures_["transactions"] = h.transactions;
    figures_["accounts_named"] = h.addresses.size();
    if (options_.json) {
      Json checks = Json::array();
      for (const Check& c : checks_) checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
      out << Json{{"ok", ok},
                  {"chain_id", chain_id_},
                  {"height", height},
                  {"nodes", clients_.size()},
                  {"checks", checks},
                  {"figures", figures_}}
                 .dump(2)
          << std::endl;
    } else {
      out << "audit of chain " << chain_id_ << " at height " << height << " over " << clients_.size()
          << " node(s): " << (ok ? "all checks passed" : "CHECKS FAILED") << "\n";
      for (const Check& c : checks_) out << "  [" << (c.ok ? "ok" : "FAIL") << "] " << c.name << ": " << c.detail << "\n";
    }
    return ok ? tools::kExitOk : tools::kExitRefused;
  }

  const AuditOptions& options_;
  std::ostream& err_;
  std::vector<std::unique_ptr<client::Node>> clients_;
  std::string chain_id_;
  std::vector<std::pair<std::string, std::string>> roots_;  // node 0: hash, state root by height
  std::vector<Check> checks_;
  Json figures_ = Json::object();
  std::uint64_t passed_on_ = 0;  // income entries' parts passed on to financiers
  std::map<std::string, std::map<std::string, std::uint64_t>> investor_income_;  // asset -> party -> income
};

}  // namespace

int audit(const AuditOptions& options, std::ostream& out, std::ostream& err) {
  if (options.nodes.empty()) {
    err << "sharechain-dataserver audit: give at least one --node\n";
    return tools::kExitUsage;
  }
  Auditor auditor(options, err);
  return auditor.run(out);
}

}  // namespace sharechain::dataserver
