#include "contracts/executor.hpp"

#include <limits>
#include <map>

#include "contracts/amounts.hpp"
#include "contracts/assets/assets.hpp"
#include "contracts/encoding.hpp"
#include "contracts/financing/financing.hpp"
#include "contracts/governance/governance.hpp"
#include "contracts/invariants.hpp"
#include "contracts/ledger/ledger.hpp"
#include "contracts/ledger/validator_set.hpp"
#include "contracts/overlay.hpp"
#include "contracts/revenue/revenue.hpp"
#include "contracts/usage/usage.hpp"
#include "contracts/vehicles/vehicles.hpp"

namespace sharechain::contracts {

namespace {

Outcome dispatch(TxContext& ctx, const TransactionBody& body) {
  switch (body.call_case()) {
    case TransactionBody::kLedger:
      return ledger::execute(ctx, body.ledger());
    case TransactionBody::kAssets:
      return assets::execute(ctx, body.assets());
    case TransactionBody::kUsage:
      return usage::execute(ctx, body.usage());
    case TransactionBody::kRevenue:
      return revenue::execute(ctx, body.revenue());
    case TransactionBody::kFinancing:
      return financing::execute(ctx, body.financing());
    case TransactionBody::kVehicles:
      return vehicles::execute(ctx, body.vehicles());
    case TransactionBody::kGovernance:
      return governance::execute(ctx, body.governance());
    case TransactionBody::CALL_NOT_SET:
      break;
  }
  return Refusal::invalid("the transaction calls no contract");
}

}  // namespace

const Hooks& standard_hooks() {
  static const Hooks hooks{&financing::on_investor_distribution};
  return hooks;
}

BlockResult execute_block(const StateReader& state, const BlockContext& ctx,
                          const std::vector<tx::VerifiedTransaction>& txs) {
  return execute_block(state, ctx, txs, standard_hooks());
}

BlockResult execute_block(const StateReader& state, const BlockContext& ctx,
                          const std::vector<tx::VerifiedTransaction>& txs, const Hooks& hooks) {
  BlockResult result;
  Overlay block(state);
  result.receipts.reserve(txs.size());
  result.money_changes.resize(txs.size());
  result.issued_before = ledger::issued_total(state);
  for (std::size_t i = 0; i < txs.size(); ++i) {
    const tx::VerifiedTransaction& tx = txs[i];
    const TransactionBody& body = tx.body;
    Receipt& r = result.receipts.emplace_back();
    r.set_tx_hash(crypto::hash_bytes(tx.hash));
    r.set_height(ctx.height);
    r.set_index(static_cast<std::uint32_t>(i));

    if (body.chain_id() != ctx.chain_id) {
      r.set_status(RECEIPT_INVALID_ARGUMENT);
      r.set_error("the transaction is for chain \"" + body.chain_id() + "\", this chain is \"" +
                  ctx.chain_id + "\"");
      continue;
    }
    if (body.expires_at_height() != 0 && body.expires_at_height() < ctx.height) {
      r.set_status(RECEIPT_EXPIRED);
      r.set_error("the transaction expired at height " + std::to_string(body.expires_at_height()) +
                  "; this block is height " + std::to_string(ctx.height));
      continue;
    }
    std::uint64_t expected = ledger::next_nonce(block, tx.sender);
    if (body.nonce() != expected) {
      r.set_status(RECEIPT_BAD_NONCE);
      r.set_error("nonce " + std::to_string(body.nonce()) + " is not the next nonce of " +
                  show_address(tx.sender) + ": expected " + std::to_string(expected) + ", got " +
                  std::to_string(body.nonce()));
      continue;
    }
    if (expected == std::numeric_limits<std::uint64_t>::max()) {
      r.set_status(RECEIPT_BAD_NONCE);
      r.set_error("the account " + show_address(tx.sender) + " has used every nonce");
      continue;
    }
    // The nonce is consumed whatever the call does; the call's own writes live in `scope`.
    ledger::consume_nonce(block, tx.sender);
    Overlay scope(static_cast<const StateReader&>(block));
    TxContext tctx(ctx, tx, static_cast<std::uint32_t>(i), scope, hooks);
    Outcome outcome = dispatch(tctx, body);
    r.set_state_reads(scope.reads());
    if (outcome.is_ok()) {
      r.set_status(RECEIPT_OK);
      r.set_state_writes(scope.writes().size() + 1);
      for (auto& e : tctx.take_events()) *r.add_events() = std::move(e);
      for (auto& c : tctx.take_created()) *r.add_created() = std::move(c);
      // Before the merge, `block` still reads as the state before this transaction.
      for (const auto& [k, after] : scope.writes()) {
        if (is_money_key(k)) result.money_changes[i].push_back(KeyChange{k, block.get(k), after});
      }
      block.merge_from(scope);
    } else {
      r.set_status(outcome.refusal().status);
      r.set_error(outcome.refusal().message);
      r.set_state_writes(1);
      scope.discard();
    }
  }
  // After the block's transactions: a validator-set change whose switch height this block is
  // takes effect in this block's writes, the same on every node.
  ledger::promote_due_validator_change(block, ctx.height);
  result.writes = block.take_writes();
  return result;
}

Result<::sharechain::ledger::Account> get_account(const StateReader& state,
                                                  std::string_view address20) {
  if (!is_address(address20)) return Status::invalid_argument("an account address is 20 bytes");
  auto a = ledger::find_account(state, address20);
  if (!a) {
    return Status::not_found("no account " + show_address(address20) +
                             ": it has never held funds or sent a transaction");
  }
  return *a;
}

std::uint64_t next_nonce(const StateReader& state, std::string_view address20) {
  return ledger::next_nonce(state, address20);
}

std::uint64_t total_supply(const StateReader& state) {
  auto s = ledger::supply(state);
  auto total = checked_add(s.balances(), s.escrow());
  if (!total) halt("balances plus escrow exceed the largest possible supply");
  return *total;
}

Status verify_supply(const StateReader& state) {
  auto s = ledger::supply(state);
  auto total = checked_add(s.balances(), s.escrow());
  if (!total || *total != s.issued()) {
    return Status::internal("balances (" + std::to_string(s.balances()) + ") plus escrow (" +
                            std::to_string(s.escrow()) + ") differ from the issued total (" +
                            std::to_string(s.issued()) + ")");
  }
  std::map<std::string, std::uint64_t, std::less<>> held;
  bool overflow = false;
  state.scan("ledger/hold/", [&](std::string_view, std::string_view raw) {
    ::sharechain::ledger::EscrowHold h;
    if (!h.ParseFromString(std::string(raw))) halt("an escrow hold does not decode");
    auto sum = checked_add(held[h.owner()], h.amount());
    if (!sum) overflow = true;
    held[h.owner()] = sum.value_or(0);
    return !overflow;
  });
  if (overflow) return Status::internal("the escrow holds of one account overflow");
  Status result = Status::ok();
  state.scan(ledger::account_key(""), [&](std::string_view, std::string_view raw) {
    ::sharechain::ledger::Account a;
    if (!a.ParseFromString(std::string(raw))) halt("an account record does not decode");
    auto it = held.find(a.address());
    std::uint64_t h = it == held.end() ? 0 : it->second;
    if (h != a.escrow()) {
      result = Status::internal("account " + show_address(a.address()) + " shows escrow " +
                                std::to_string(a.escrow()) + " but its holds sum to " +
                                std::to_string(h));
      return false;
    }
    if (it != held.end()) held.erase(it);
    return true;
  });
  if (!result.is_ok()) return result;
  if (!held.empty()) {
    return Status::internal("escrow holds name " + show_address(held.begin()->first) +
                            ", which has no account");
  }
  return Status::ok();
}

ChainParams chain_params(const StateReader& state) {
  auto p = load<ChainParams>(state, "chain/params");
  return p ? *p : ChainParams{};
}

std::uint64_t checkpoint_interval(const ChainParams& params) {
  return params.checkpoint_interval() > 0 ? params.checkpoint_interval() : kDefaultCheckpointInterval;
}

std::uint64_t consensus_window(const ChainParams& params) {
  return params.window() > 0 ? params.window() : kDefaultWindow;
}

}  // namespace sharechain::contracts
