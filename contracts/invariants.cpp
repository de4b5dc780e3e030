// The money invariants. Amounts are uint64 in state and events; every sum and difference here
// is taken in 128 bits, so a wrapped or overflowing value is seen as what it is.
#include "contracts/invariants.hpp"

#include <charconv>
#include <vector>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/revenue/split.hpp"
#include "proto/crypto.hpp"
#include "sharechain/financing.pb.h"
#include "sharechain/ledger.pb.h"

namespace sharechain::contracts {

namespace {

__extension__ typedef __int128 Wide;
__extension__ typedef unsigned __int128 UWide;

constexpr std::string_view kAccountPrefix = "ledger/acct/";
constexpr std::string_view kFinancingPrefix = "financing/financing/";
constexpr Wide kMaxUnits = static_cast<Wide>(UINT64_MAX);

std::string show(Wide v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  UWide u = negative ? static_cast<UWide>(-(v + 1)) + 1 : static_cast<UWide>(v);
  std::string digits;
  while (u != 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + digits : digits;
}

std::string signed_show(Wide v) { return v > 0 ? "+" + show(v) : show(v); }

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Violation make(std::string_view invariant, std::uint64_t height, const Receipt& r,
               std::string message) {
  return Violation{std::string(invariant), height, r.index(), r.tx_hash(), std::move(message)};
}

const Attribute* find_attr(const Event& e, std::string_view key) {
  for (const auto& a : e.attributes()) {
    if (a.key() == key) return &a;
  }
  return nullptr;
}

// A typed number; falls back to the decimal text for events written without the typed value.
std::optional<std::uint64_t> number_attr(const Event& e, std::string_view key) {
  const Attribute* a = find_attr(e, key);
  if (!a) return std::nullopt;
  if (a->typed_case() == Attribute::kNumber) return a->number();
  std::uint64_t v = 0;
  const std::string& t = a->value();
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || t.empty()) return std::nullopt;
  return v;
}

std::optional<std::string> address_attr(const Event& e, std::string_view key) {
  const Attribute* a = find_attr(e, key);
  if (!a || a->typed_case() != Attribute::kAddress || !is_address(a->address())) {
    return std::nullopt;
  }
  return a->address();
}

std::string id_text(const Event& e, std::string_view key) {
  const Attribute* a = find_attr(e, key);
  if (!a) return "?";
  return a->typed_case() == Attribute::kId ? show_id(a->id()) : a->value();
}

std::string id_raw(const Event& e, std::string_view key) {
  const Attribute* a = find_attr(e, key);
  if (!a) return {};
  return a->typed_case() == Attribute::kId ? a->id() : a->value();
}

// "scA=5000;scB=4000" -> {5000, 4000}; nullopt when malformed. Empty text is no parts.
std::optional<std::vector<std::uint64_t>> parse_parts(std::string_view text) {
  std::vector<std::uint64_t> out;
  while (!text.empty()) {
    std::size_t end = text.find(';');
    std::string_view item = text.substr(0, end);
    std::size_t eq = item.rfind('=');
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view digits = item.substr(eq + 1);
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
      return std::nullopt;
    }
    out.push_back(v);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

Wide sum(const std::vector<std::uint64_t>& v) {
  Wide s = 0;
  for (auto x : v) s += x;
  return s;
}

std::string list(const std::vector<std::uint64_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : " / ") + std::to_string(x);
  return s;
}

bool add_to(std::uint64_t& total, std::uint64_t amount) {
  auto r = checked_add(total, amount);
  if (!r) return false;
  total = *r;
  return true;
}

// --- split_sum ----------------------------------------------------------------------------

// One IncomeSplit and the RevenueDistributed events that pay it out.
struct RevenueGroup {
  std::string source;
  std::uint64_t amount = 0;
  std::vector<std::uint64_t> parts;   // from the IncomeSplit summary, every partner
  std::vector<std::uint64_t> paid;    // RevenueDistributed amounts (zero parts emit none)
  std::vector<std::uint32_t> shares;  // their share_bps
  bool shares_known = true;
};

std::optional<std::string> close_revenue(const RevenueGroup& g) {
  if (sum(g.paid) != g.amount) {
    return "income " + std::to_string(g.amount) + " of " + g.source + " was split, but " +
           show(sum(g.paid)) + " was distributed (" + list(g.paid) + ")";
  }
  if (g.paid.size() != g.parts.size() || !g.shares_known) return std::nullopt;  // zero parts
  for (std::size_t i = 0; i < g.parts.size(); ++i) {
    if (g.parts[i] != g.paid[i]) {
      return "the split of " + g.source + " announced parts " + list(g.parts) +
             " but distributed " + list(g.paid);
    }
  }
  auto exact = revenue::split_by_shares(g.amount, g.shares);
  if (!exact.is_ok()) {
    return "the shares of " + g.source + " do not form a sharing rule: " + exact.refusal().message;
  }
  if (*exact != g.paid) {
    return "income " + std::to_string(g.amount) + " of " + g.source + " was distributed as " +
           list(g.paid) + "; the exact split by its shares is " + list(*exact);
  }
  return std::nullopt;
}

// One FinancingDistributed and the FinancierPaid events that pay its pool.
struct PoolGroup {
  std::string financing;
  std::uint64_t pool = 0;
  std::vector<std::uint64_t> paid;
};

std::optional<std::string> close_pool(const PoolGroup& g) {
  if (sum(g.paid) != g.pool) {
    return "the financiers' pool of " + std::to_string(g.pool) + " of financing " + g.financing +
           " was paid out as " + show(sum(g.paid)) + " (" + list(g.paid) + ")";
  }
  return std::nullopt;
}

// --- supply and negative_balance ------------------------------------------------------------

struct AccountChange {
  Holdings before;
  Holdings after;
};

Holdings holdings_of(const ::sharechain::ledger::Account& a) { return {a.balance(), a.escrow()}; }

}  // namespace

bool is_money_key(std::string_view key) {
  return starts_with(key, kAccountPrefix) || key == ledger::kIssuedKey ||
         starts_with(key, kFinancingPrefix);
}

std::string Violation::describe() const {
  std::string s = "invariant " + invariant + " violated at height " + std::to_string(height);
  if (!tx_hash.empty()) {
    s += ", transaction " + std::to_string(tx_index) + " (" + crypto::to_hex(tx_hash) + ")";
  }
  return s + ": " + message;
}

Result<LedgerFlows> ledger_flows(const Receipt& receipt) {
  LedgerFlows out;
  int index = -1;
  for (const Event& e : receipt.events()) {
    ++index;
    if (e.contract() != ledger::kContract) continue;
    const std::string& n = e.name();
    if (n != "Transferred" && n != "Issued" && n != "EscrowHeld" && n != "EscrowReleased") continue;
    auto bad = [&](std::string_view what) {
      return Status::invalid_argument("ledger event " + n + " (event " + std::to_string(index) +
                                      ") " + std::string(what));
    };
    auto amount = number_attr(e, "amount");
    if (!amount) return bad("has no amount");
    bool ok = true;
    if (n == "Transferred") {
      auto from = address_attr(e, "from");
      auto to = address_attr(e, "to");
      if (!from || !to) return bad("lacks a typed from or to address");
      ok = add_to(out.accounts[*from].balance_out, *amount) &&
           add_to(out.accounts[*to].balance_in, *amount);
    } else if (n == "Issued") {
      auto to = address_attr(e, "to");
      if (!to) return bad("lacks a typed to address");
      ok = add_to(out.accounts[*to].balance_in, *amount) && add_to(out.issued, *amount);
    } else {
      auto owner = address_attr(e, "owner");
      if (!owner) return bad("lacks a typed owner address");
      AccountFlow& f = out.accounts[*owner];
      ok = n == "EscrowHeld" ? add_to(f.balance_out, *amount) && add_to(f.escrow_in, *amount)
                             : add_to(f.escrow_out, *amount) && add_to(f.balance_in, *amount);
    }
    if (!ok) return bad("takes the transaction's totals past 2^64 units");
  }
  return out;
}

std::optional<Violation> check_receipt_events(std::uint64_t height, const Receipt& r,
                                              FinancingCaps& caps) {
  std::optional<RevenueGroup> revenue;
  std::optional<PoolGroup> pool;
  auto split_violation = [&](std::string m) {
    return make(kInvariantSplitSum, height, r, std::move(m));
  };
  auto cap_violation = [&](std::string m) {
    return make(kInvariantFinancingCap, height, r, std::move(m));
  };
  auto missing = [&](const Event& e, std::string_view key) {
    return split_violation("event " + e.name() + " has no readable " + std::string(key));
  };

  for (const Event& e : r.events()) {
    const std::string& c = e.contract();
    const std::string& n = e.name();
    if (c == "revenue" && n == "IncomeSplit") {
      if (revenue) {
        if (auto m = close_revenue(*revenue)) return split_violation(*m);
      }
      auto amount = number_attr(e, "amount");
      const Attribute* parts_attr = find_attr(e, "parts");
      if (!amount) return missing(e, "amount");
      auto parts = parse_parts(parts_attr ? parts_attr->value() : "");
      if (!parts) return missing(e, "parts");
      revenue = RevenueGroup{};
      const Attribute* kind = find_attr(e, "source_kind");
      revenue->source = (kind ? kind->value() : std::string("source")) + " " + id_text(e, "source");
      revenue->amount = *amount;
      revenue->parts = *parts;
      if (sum(*parts) != *amount) {
        return split_violation("income " + std::to_string(*amount) + " of " + revenue->source +
                               " was split into " + list(*parts) + ", which sum to " +
                               show(sum(*parts)));
      }
    } else if (c == "revenue" && n == "RevenueDistributed") {
      if (!revenue) return split_violation("a revenue distribution without its IncomeSplit");
      auto amount = number_attr(e, "amount");
      if (!amount) return missing(e, "amount");
      revenue->paid.push_back(*amount);
      auto share = number_attr(e, "share_bps");
      if (share && *share <= kBasisPoints) {
        revenue->shares.push_back(static_cast<std::uint32_t>(*share));
      } else {
        revenue->shares_known = false;
      }
    } else if (c == "financing" && n == "FinancingDistributed") {
      if (pool) {
        if (auto m = close_pool(*pool)) return split_violation(*m);
      }
      auto amount = number_attr(e, "pool");
      auto investor_part = number_attr(e, "investor_part");
      const Attribute* parts_attr = find_attr(e, "parts");
      if (!amount || !investor_part) return missing(e, "pool or investor_part");
      auto parts = parse_parts(parts_attr ? parts_attr->value() : "");
      if (!parts) return missing(e, "parts");
      pool = PoolGroup{id_text(e, "financing"), *amount, {}};
      if (*amount > *investor_part) {
        return split_violation("financing " + pool->financing + " took a pool of " +
                               std::to_string(*amount) + " from an investor part of " +
                               std::to_string(*investor_part));
      }
      if (sum(*parts) != *amount) {
        return split_violation("the financiers' pool of " + std::to_string(*amount) +
                               " of financing " + pool->financing + " was split into " +
                               list(*parts) + ", which sum to " + show(sum(*parts)));
      }
    } else if (c == "financing" && n == "FinancierPaid") {
      if (!pool) return split_violation("a financier paid without its FinancingDistributed");
      auto amount = number_attr(e, "amount");
      if (!amount) return missing(e, "amount");
      pool->paid.push_back(*amount);
    } else if (c == "usage" && n == "SessionPaid") {
      auto amount = number_attr(e, "amount");
      const Attribute* split = find_attr(e, "split");
      if (!amount) return missing(e, "amount");
      auto parts = parse_parts(split ? split->value() : "");
      if (!parts) return missing(e, "split");
      // Income that accrues to a periodic pot is split later (IncomeSplit): no parts here.
      if (!parts->empty() && sum(*parts) != *amount) {
        return split_violation("session " + id_text(e, "session") + " was paid " +
                               std::to_string(*amount) + " and split into " + list(*parts) +
                               ", which sum to " + show(sum(*parts)));
      }
    } else if (c == "financing" && n == "FinancingOffered") {
      auto sought = number_attr(e, "amount_sought");
      auto minimum = number_attr(e, "minimum_raise");
      if (!sought) return cap_violation("FinancingOffered has no readable amount_sought");
      caps[id_raw(e, "financing")] = *sought;
      if (minimum && *minimum > *sought) {
        return cap_violation("financing " + id_text(e, "financing") + " needs a minimum of " +
                             std::to_string(*minimum) + " but seeks only " +
                             std::to_string(*sought));
      }
    } else if (c == "financing" && n == "Subscribed") {
      auto subscribed = number_attr(e, "subscribed");
      auto remaining = number_attr(e, "remaining");
      if (!subscribed || !remaining) {
        return cap_violation("Subscribed has no readable subscribed or remaining");
      }
      auto it = caps.find(id_raw(e, "financing"));
      // The contract writes remaining = sought - subscribed; as unsigned numbers their sum
      // gives back the amount sought even when the subtraction wrapped.
      std::uint64_t sought = it != caps.end() ? it->second : *subscribed + *remaining;
      if (*subscribed > sought) {
        return cap_violation("financing " + id_text(e, "financing") + " offered " +
                             std::to_string(sought) + " but subscriptions now total " +
                             std::to_string(*subscribed) + ", " +
                             std::to_string(*subscribed - sought) + " more than offered");
      }
      if (*remaining != sought - *subscribed) {
        return cap_violation("financing " + id_text(e, "financing") + " seeks " +
                             std::to_string(sought) + " with " + std::to_string(*subscribed) +
                             " subscribed, yet reports " + std::to_string(*remaining) +
                             " remaining");
      }
    } else if (c == "financing" && (n == "RoundClosed" || n == "FinancingActivated")) {
      auto total = number_attr(e, n == "RoundClosed" ? "subscribed" : "raised");
      auto it = caps.find(id_raw(e, "financing"));
      if (total && it != caps.end() && *total > it->second) {
        return cap_violation("financing " + id_text(e, "financing") + " offered " +
                             std::to_string(it->second) + " but its round closed with " +
                             std::to_string(*total));
      }
    }
  }
  if (revenue) {
    if (auto m = close_revenue(*revenue)) return split_violation(*m);
  }
  if (pool) {
    if (auto m = close_pool(*pool)) return split_violation(*m);
  }
  return std::nullopt;
}

namespace {

// The state-side checks of one successful transaction: supply and negative_balance from its
// account and issued-counter changes against its ledger events, financing_cap from the
// financing records it wrote. `issued` is the counter before it, and after it on return.
std::optional<Violation> check_tx_state(std::uint64_t height, const Receipt& r,
                                        const std::vector<KeyChange>& changes,
                                        std::uint64_t& issued, FinancingCaps& caps,
                                        std::uint64_t& issued_in_block) {
  auto violation = [&](std::string_view inv, std::string m) {
    return make(inv, height, r, std::move(m));
  };
  if (r.status() != RECEIPT_OK) {
    if (!changes.empty()) {
      return violation(kInvariantSupply, "a failed transaction changed " +
                                             std::to_string(changes.size()) + " money keys");
    }
    return std::nullopt;
  }
  auto flows = ledger_flows(r);
  if (!flows.is_ok()) return violation(kInvariantSupply, flows.status().message());

  std::map<std::string, AccountChange, std::less<>> accounts;
  std::optional<std::uint64_t> issued_before_tx;
  std::optional<std::uint64_t> issued_after_tx;
  std::vector<::sharechain::financing::Financing> financings;
  for (const KeyChange& c : changes) {
    if (starts_with(c.key, kAccountPrefix)) {
      std::string addr = c.key.substr(kAccountPrefix.size());
      AccountChange& a = accounts[addr];
      for (auto [value, into] : {std::pair{&c.before, &a.before}, std::pair{&c.after, &a.after}}) {
        if (!value->has_value()) continue;
        ::sharechain::ledger::Account acct;
        if (!acct.ParseFromString(**value)) {
          return violation(kInvariantSupply,
                           "the account record of " + show_address(addr) + " does not decode");
        }
        *into = holdings_of(acct);
      }
    } else if (c.key == ledger::kIssuedKey) {
      auto b = c.before ? read_be64(*c.before) : std::optional<std::uint64_t>(0);
      auto a = c.after ? read_be64(*c.after) : std::optional<std::uint64_t>(0);
      if (!b || !a) return violation(kInvariantSupply, "ledger/issued is not an 8-byte counter");
      issued_before_tx = b;
      issued_after_tx = a;
    } else if (starts_with(c.key, kFinancingPrefix) && c.after) {
      auto& f = financings.emplace_back();
      if (!f.ParseFromString(*c.after)) {
        return violation(kInvariantFinancingCap, "a financing record does not decode");
      }
    }
  }
  if (issued_before_tx && *issued_before_tx != issued) {
    return violation(kInvariantSupply, "the issued counter read " +
                                           std::to_string(*issued_before_tx) +
                                           " before the transaction, but " +
                                           std::to_string(issued) + " after the one before it");
  }
  const std::uint64_t before_total = issued;
  const std::uint64_t after_total = issued_after_tx.value_or(issued);

  // negative_balance: no movement takes more than the account held, and no value is larger
  // than everything ever issued (how a negative looks once it wrapped to an unsigned number).
  for (const auto& [addr, f] : flows->accounts) {
    auto it = accounts.find(addr);
    if (it == accounts.end()) {
      return violation(kInvariantSupply, "ledger events move money of " + show_address(addr) +
                                             " but the transaction wrote no account record of it");
    }
    const Holdings& b = it->second.before;
    Wide balance = static_cast<Wide>(b.balance) + f.balance_in - f.balance_out;
    Wide escrow = static_cast<Wide>(b.escrow) + f.escrow_in - f.escrow_out;
    if (balance < 0 || escrow < 0) {
      bool bal = balance < 0;
      return violation(
          kInvariantNegativeBalance,
          "the " + std::string(bal ? "balance" : "escrow") + " of " + show_address(addr) + " was " +
              std::to_string(bal ? b.balance : b.escrow) + "; this transaction moved " +
              std::to_string(bal ? f.balance_in : f.escrow_in) + " in and " +
              std::to_string(bal ? f.balance_out : f.escrow_out) + " out, which leaves " +
              show(bal ? balance : escrow));
    }
  }
  for (const auto& [addr, a] : accounts) {
    Wide held = static_cast<Wide>(a.after.balance) + a.after.escrow;
    if (held > after_total) {
      return violation(kInvariantNegativeBalance,
                       show_address(addr) + " now holds " + show(held) + " (balance " +
                           std::to_string(a.after.balance) + ", escrow " +
                           std::to_string(a.after.escrow) + "), more than the " +
                           std::to_string(after_total) +
                           " units ever issued: a balance went below zero and wrapped");
    }
  }

  // supply
  Wide issued_delta = static_cast<Wide>(after_total) - before_total;
  Wide by_events = static_cast<Wide>(flows->issued) - flows->burned;
  if (issued_delta != by_events) {
    return violation(kInvariantSupply,
                     "the issued counter moved from " + std::to_string(before_total) + " to " +
                         std::to_string(after_total) + " (" + signed_show(issued_delta) +
                         ") but the transaction's Issued events total " +
                         std::to_string(flows->issued));
  }
  Wide moved = 0;
  for (const auto& [addr, a] : accounts) {
    moved += static_cast<Wide>(a.after.balance) + a.after.escrow;
    moved -= static_cast<Wide>(a.before.balance) + a.before.escrow;
  }
  if (moved != issued_delta) {
    return violation(kInvariantSupply,
                     "balances plus escrow changed by " + signed_show(moved) +
                         " units, but issuance minus burns was " + signed_show(issued_delta) +
                         " (issued " + std::to_string(flows->issued) + ", burned " +
                         std::to_string(flows->burned) + "): " + signed_show(moved - issued_delta) +
                         " units " + (moved > issued_delta ? "appeared" : "vanished") +
                         "; total supply before the transaction " + std::to_string(before_total));
  }
  for (const auto& [addr, a] : accounts) {
    AccountFlow f;
    if (auto it = flows->accounts.find(addr); it != flows->accounts.end()) f = it->second;
    Wide db = static_cast<Wide>(a.after.balance) - a.before.balance;
    Wide de = static_cast<Wide>(a.after.escrow) - a.before.escrow;
    Wide eb = static_cast<Wide>(f.balance_in) - f.balance_out;
    Wide ee = static_cast<Wide>(f.escrow_in) - f.escrow_out;
    if (db != eb || de != ee) {
      return violation(kInvariantSupply, show_address(addr) + " changed by " + signed_show(db) +
                                             " balance and " + signed_show(de) +
                                             " escrow, but its ledger events account for " +
                                             signed_show(eb) + " and " + signed_show(ee) +
                                             " (every movement of money must emit its event)");
    }
  }

  // financing_cap, from the records as stored.
  for (const auto& f : financings) {
    const std::uint64_t sought = f.terms().amount_sought();
    caps[f.id()] = sought;
    if (f.subscribed() > sought || f.raised() > sought) {
      bool sub = f.subscribed() > sought;
      return violation(kInvariantFinancingCap,
                       "financing " + show_id(f.id()) + " offered " + std::to_string(sought) +
                           " but records " + std::to_string(sub ? f.subscribed() : f.raised()) +
                           (sub ? " subscribed" : " raised") + ", " +
                           std::to_string((sub ? f.subscribed() : f.raised()) - sought) +
                           " more than offered");
    }
  }
  issued = after_total;
  issued_in_block += flows->issued;  // cannot overflow: the counter itself did not
  return std::nullopt;
}

}  // namespace

std::optional<Violation> unwind_receipt(std::uint64_t height, const Receipt& receipt,
                                        std::map<std::string, Holdings, std::less<>>& holdings) {
  auto flows = ledger_flows(receipt);
  if (!flows.is_ok()) return make(kInvariantSupply, height, receipt, flows.status().message());
  std::map<std::string, Holdings, std::less<>> before;
  for (const auto& [addr, f] : flows->accounts) {
    const Holdings after = holdings[addr];
    Wide balance = static_cast<Wide>(after.balance) - f.balance_in + f.balance_out;
    Wide escrow = static_cast<Wide>(after.escrow) - f.escrow_in + f.escrow_out;
    if (balance > kMaxUnits || escrow > kMaxUnits) {
      // Only a wrapped negative explains it: the movement took more than the account held.
      bool bal = balance > kMaxUnits;
      return make(kInvariantNegativeBalance, height, receipt,
                  "the events of this transaction take " +
                      std::to_string(bal ? f.balance_out : f.escrow_out) + " out of the " +
                      (bal ? "balance" : "escrow") + " of " + show_address(addr) +
                      ", more than it can have held: it went below zero and wrapped");
    }
    if (balance < 0 || escrow < 0) {
      bool bal = balance < 0;
      return make(kInvariantSupply, height, receipt,
                  "the events of this transaction put " +
                      std::to_string(bal ? f.balance_in : f.escrow_in) + " into the " +
                      (bal ? "balance" : "escrow") + " of " + show_address(addr) + " and took " +
                      std::to_string(bal ? f.balance_out : f.escrow_out) + " out, but it holds " +
                      std::to_string(bal ? after.balance : after.escrow) +
                      " after it (as replayed back from the current state): money left it "
                      "without an event");
    }
    before[addr] =
        Holdings{static_cast<std::uint64_t>(balance), static_cast<std::uint64_t>(escrow)};
  }
  for (auto& [addr, h] : before) holdings[addr] = h;
  return std::nullopt;
}

InvariantReport check_block(std::uint64_t height, const BlockResult& result) {
  InvariantReport report;
  report.issued_before = result.issued_before;
  std::uint64_t issued = result.issued_before;
  FinancingCaps caps;
  static const std::vector<KeyChange> kNone;
  for (std::size_t i = 0; i < result.receipts.size(); ++i) {
    const Receipt& r = result.receipts[i];
    const auto& changes = i < result.money_changes.size() ? result.money_changes[i] : kNone;
    report.violation = check_tx_state(height, r, changes, issued, caps, report.issued_in_block);
    if (!report.violation) report.violation = check_receipt_events(height, r, caps);
    if (report.violation) {
      // The executor numbers receipts; a hand-built one may not be.
      report.violation->tx_index = static_cast<std::uint32_t>(i);
      break;
    }
  }
  report.issued_after = issued;
  return report;
}

}  // namespace sharechain::contracts
