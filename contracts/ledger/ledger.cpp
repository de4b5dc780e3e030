// Accounts and money movements: the only code that changes a balance or an escrow.
#include "contracts/ledger/ledger.hpp"

#include <algorithm>
#include <array>

#include "contracts/amounts.hpp"
#include "contracts/encoding.hpp"
#include "proto/crypto.hpp"

namespace sharechain::contracts::ledger {

namespace {

constexpr std::string_view kAccountPrefix = "ledger/acct/";
constexpr std::string_view kHoldsOfPrefix = "ledger/holds_of/";

std::string holds_of_key(std::string_view owner, std::string_view hold_id) {
  return key(kHoldsOfPrefix, owner, hold_id);
}

void set_issued(Overlay& state, std::uint64_t v) { state.put(std::string(kIssuedKey), be64(v)); }

}  // namespace

bool is_known_role(std::string_view role) {
  return role == kOperator || role == kDataServer || role == kAttester || role == kValidator;
}

std::string account_key(std::string_view address) { return key(kAccountPrefix, address); }
std::string role_key(std::string_view role, std::string_view address) {
  return key(std::string_view("ledger/role/"), role, std::string_view("/"), address);
}
std::string issue_key(std::string_view reference) {
  return key(std::string_view("ledger/issue/"), reference);
}
std::string hold_key(std::string_view hold_id) {
  return key(std::string_view("ledger/hold/"), hold_id);
}

std::string validator_key(std::uint32_t index) { return "chain/validator/" + be32(index); }

std::string derived_address(std::string_view kind, std::string_view id) {
  std::string tag = "sharechain/derived-account/";
  tag += kind;
  return crypto::hash_bytes(crypto::tagged_hash(tag, id)).substr(0, crypto::kAddressSize);
}

std::optional<pb::Account> find_account(const StateReader& state, std::string_view address) {
  return load<pb::Account>(state, account_key(address));
}

pb::Account account_or_new(const StateReader& state, std::string_view address) {
  if (auto a = find_account(state, address)) return *a;
  pb::Account a;
  a.set_address(std::string(address));
  return a;
}

void save_account(Overlay& state, const pb::Account& account) {
  save(state, account_key(account.address()), account);
}

std::uint64_t balance_of(const StateReader& state, std::string_view address) {
  auto a = find_account(state, address);
  return a ? a->balance() : 0;
}

bool has_role(const pb::Account& account, std::string_view role) {
  return std::any_of(account.roles().begin(), account.roles().end(),
                     [&](const std::string& r) { return r == role; });
}

bool has_role(const StateReader& state, std::string_view address, std::string_view role) {
  auto a = find_account(state, address);
  return a && has_role(*a, role);
}

Outcome require_role(const StateReader& state, std::string_view address, std::string_view role,
                     std::string_view action) {
  if (has_role(state, address, role)) return Outcome::ok();
  return Refusal::denied(std::string(action) + " needs the " + std::string(role) + " role; " +
                         show_address(address) + " does not hold it");
}

Outcome require_either_role(const StateReader& state, std::string_view address,
                            std::string_view role_a, std::string_view role_b,
                            std::string_view action) {
  if (has_role(state, address, role_a) || has_role(state, address, role_b)) return Outcome::ok();
  return Refusal::denied(std::string(action) + " needs the " + std::string(role_a) + " or " +
                         std::string(role_b) + " role; " + show_address(address) +
                         " holds neither");
}

bool has_qualification(const StateReader& state, std::string_view address, std::string_view name,
                       std::uint64_t now_ms) {
  auto a = find_account(state, address);
  if (!a) return false;
  for (const auto& q : a->qualifications()) {
    if (q.name() == name) return q.expires_at_ms() == 0 || now_ms < q.expires_at_ms();
  }
  return false;
}

std::uint64_t issued_total(const StateReader& state) {
  auto raw = state.get(kIssuedKey);
  if (!raw) return 0;
  auto v = read_be64(*raw);
  if (!v) halt("ledger/issued is not an 8-byte counter");
  return *v;
}

std::optional<pb::EscrowHold> find_hold(const StateReader& state, std::string_view hold_id) {
  return load<pb::EscrowHold>(state, hold_key(hold_id));
}

std::vector<Validator> validators(const StateReader& state) {
  std::vector<Validator> set;
  state.scan("chain/validator/", [&](std::string_view, std::string_view raw) {
    Validator v;
    if (!v.ParseFromString(std::string(raw))) halt("a validator record does not decode");
    set.push_back(std::move(v));
    return true;
  });
  return set;
}

Outcome transfer(TxContext& ctx, std::string_view from, std::string_view to,
                 std::uint64_t amount, std::string_view memo) {
  if (!is_address(to)) return Refusal::invalid("the recipient must be a 20-byte address");
  if (amount == 0) return Refusal::invalid("the amount must be greater than zero");
  if (from == to) {
    return Refusal::invalid("a transfer from " + show_address(from) +
                            " to itself would move nothing");
  }
  if (memo.size() > 256) return Refusal::invalid("the memo is longer than 256 bytes");
  Overlay& state = ctx.state();
  auto payer = find_account(state, from);
  std::uint64_t have = payer ? payer->balance() : 0;
  if (!payer || have < amount) {
    return Refusal::funds("insufficient funds: " + show_address(from) + " holds " +
                          format_units(have) + ", the payment needs " + format_units(amount));
  }
  pb::Account payee = account_or_new(state, to);
  auto credited = checked_add(payee.balance(), amount);
  if (!credited) return Refusal::range("the balance of " + show_address(to) + " would overflow");
  payer->set_balance(have - amount);
  payee.set_balance(*credited);
  save_account(state, *payer);
  save_account(state, payee);
  ctx.emit(kContract, "Transferred",
           {{"from", address_value(from)},
            {"to", address_value(to)},
            {"amount", number(amount)},
            {"memo", std::string(memo)}});
  return Outcome::ok();
}

Outcome mint(TxContext& ctx, std::string_view to, std::uint64_t amount,
             std::string_view reference, std::string_view purpose) {
  if (!is_address(to)) return Refusal::invalid("the recipient must be a 20-byte address");
  if (amount == 0) return Refusal::invalid("the amount must be greater than zero");
  if (reference.empty()) {
    return Refusal::invalid("an issuance needs the reference of the off-chain payment");
  }
  if (reference.size() > 128) return Refusal::invalid("the reference is longer than 128 bytes");
  Overlay& state = ctx.state();
  if (auto prior = load<pb::IssueRecord>(state, issue_key(reference))) {
    return Refusal::exists("the off-chain payment \"" + std::string(reference) +
                           "\" was already turned into credits at height " +
                           std::to_string(prior->height()));
  }
  auto issued = checked_add(issued_total(state), amount);
  if (!issued) {
    return Refusal::range("issuing " + format_units(amount) +
                          " would overflow the chain's total supply");
  }
  pb::Account payee = account_or_new(state, to);
  // Cannot overflow once the total did not, but the check costs nothing.
  auto credited = checked_add(payee.balance(), amount);
  if (!credited) return Refusal::range("the balance of " + show_address(to) + " would overflow");
  payee.set_balance(*credited);
  save_account(state, payee);
  set_issued(state, *issued);

  pb::IssueRecord rec;
  rec.set_reference(std::string(reference));
  rec.set_to(std::string(to));
  rec.set_amount(amount);
  rec.set_issuer(ctx.sender());
  rec.set_height(ctx.height());
  rec.set_timestamp_ms(ctx.now_ms());
  rec.set_tx_hash(ctx.tx_hash());
  rec.set_purpose(std::string(purpose));
  save(state, issue_key(reference), rec);
  ctx.emit(kContract, "Issued",
           {{"to", address_value(to)},
            {"amount", number(amount)},
            {"reference", std::string(reference)},
            {"issuer", address_value(ctx.sender())},
            {"purpose", std::string(purpose)}});
  return Outcome::ok();
}

Checked<std::string> hold(TxContext& ctx, std::string_view owner, std::uint64_t amount,
                          std::string_view contract, std::string_view purpose) {
  if (amount == 0) return Refusal::invalid("an escrow hold must be greater than zero");
  Overlay& state = ctx.state();
  auto account = find_account(state, owner);
  std::uint64_t have = account ? account->balance() : 0;
  if (!account || have < amount) {
    return Refusal::funds("insufficient funds: " + show_address(owner) + " holds " +
                          format_units(have) + ", the deposit needs " + format_units(amount));
  }
  auto escrow = checked_add(account->escrow(), amount);
  if (!escrow) return Refusal::range("the escrow of " + show_address(owner) + " would overflow");
  account->set_balance(have - amount);
  account->set_escrow(*escrow);
  save_account(state, *account);

  std::string id = ctx.new_id("escrow-hold");
  pb::EscrowHold h;
  h.set_id(id);
  h.set_owner(std::string(owner));
  h.set_amount(amount);
  h.set_contract(std::string(contract));
  h.set_purpose(std::string(purpose));
  h.set_created_height(ctx.height());
  h.set_created_at_ms(ctx.now_ms());
  save(state, hold_key(id), h);
  state.put(holds_of_key(owner, id), "");
  ctx.emit(kContract, "EscrowHeld",
           {{"hold", id_value(id)},
            {"owner", address_value(owner)},
            {"amount", number(amount)},
            {"contract", std::string(contract)},
            {"purpose", std::string(purpose)}});
  return id;
}

namespace {

// Returns `amount` (at most the hold's) of the loaded hold `h` to its owner.
Outcome release_loaded(TxContext& ctx, std::string_view hold_id, pb::EscrowHold& h, std::uint64_t amount) {
  Overlay& state = ctx.state();
  auto account = find_account(state, h.owner());
  if (!account || account->escrow() < amount) {
    halt("an escrow hold is larger than its owner's escrow");
  }
  auto credited = checked_add(account->balance(), amount);
  if (!credited) {
    return Refusal::range("the balance of " + show_address(h.owner()) + " would overflow");
  }
  account->set_escrow(account->escrow() - amount);
  account->set_balance(*credited);
  save_account(state, *account);
  std::uint64_t remaining = h.amount() - amount;
  if (remaining == 0) {
    state.erase(hold_key(hold_id));
    state.erase(holds_of_key(h.owner(), hold_id));
  } else {
    h.set_amount(remaining);
    save(state, hold_key(hold_id), h);
  }
  ctx.emit(kContract, "EscrowReleased",
           {{"hold", id_value(hold_id)},
            {"owner", address_value(h.owner())},
            {"amount", number(amount)},
            {"remaining", number(remaining)}});
  return Outcome::ok();
}

}  // namespace

Outcome release(TxContext& ctx, std::string_view hold_id, std::uint64_t amount) {
  auto h = find_hold(ctx.state(), hold_id);
  if (!h) return Refusal::not_found("no escrow hold " + show_id(hold_id));
  if (amount == 0 || amount > h->amount()) {
    return Refusal::invalid("cannot release " + format_units(amount) + " from hold " +
                            show_id(hold_id) + ", which holds " + format_units(h->amount()));
  }
  return release_loaded(ctx, hold_id, *h, amount);
}

Checked<std::uint64_t> release_all(TxContext& ctx, std::string_view hold_id, std::string_view holder) {
  auto h = find_hold(ctx.state(), hold_id);
  if (!h) halt(std::string(holder) + " names an escrow hold that does not exist");
  const std::uint64_t amount = h->amount();
  SC_TRY(release_loaded(ctx, hold_id, *h, amount));
  return amount;
}

std::uint64_t next_nonce(const StateReader& state, std::string_view address) {
  auto a = find_account(state, address);
  return a ? a->nonce() : 0;
}

void consume_nonce(Overlay& state, std::string_view address) {
  pb::Account a = account_or_new(state, address);
  // The executor refuses a nonce of 2^64-1 before calling here, so this cannot wrap.
  a.set_nonce(a.nonce() + 1);
  save_account(state, a);
}

pb::Supply supply(const StateReader& state) {
  pb::Supply s;
  s.set_issued(issued_total(state));
  std::uint64_t balances = 0;
  std::uint64_t escrow = 0;
  std::uint64_t accounts = 0;
  state.scan(kAccountPrefix, [&](std::string_view, std::string_view raw) {
    pb::Account a;
    if (!a.ParseFromString(std::string(raw))) halt("an account record does not decode");
    auto b = checked_add(balances, a.balance());
    auto e = checked_add(escrow, a.escrow());
    if (!b || !e) halt("the sum of balances overflows");
    balances = *b;
    escrow = *e;
    ++accounts;
    return true;
  });
  s.set_balances(balances);
  s.set_escrow(escrow);
  s.set_accounts(accounts);
  return s;
}

}  // namespace sharechain::contracts::ledger
