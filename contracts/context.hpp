// What a contract action sees while it runs: the block, the transaction, a state overlay that
// is dropped if the action fails, and the events it emits.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "contracts/outcome.hpp"
#include "contracts/overlay.hpp"
#include "proto/transaction.hpp"
#include "sharechain/types.pb.h"

namespace sharechain::contracts {

struct BlockContext {
  std::string chain_id;
  std::uint64_t height = 0;
  std::uint64_t timestamp_ms = 0;
  std::uint32_t proposer = 0;
  // Whether the governance contract records validator-set changes (docs/governance.md, "Epochs").
  // The daemon passes true: it starts the next epoch's engine at each switch height. A host that
  // cannot switch (a tool replaying blocks with one fixed set) passes false, and such a proposal
  // is then refused with nothing recorded.
  bool validator_changes = false;
};

class TxContext;

// A distribution of income to the investor (owner) of an asset, about to be paid. Financing
// hooks here: it may pass part of `amount` to financiers (moving it out of `source` itself)
// and returns how much is left for the investor.
struct InvestorDistribution {
  std::string asset_id;        // 16 bytes
  std::string investor;        // the asset's owner, a partner of the sharing rule
  std::string source;          // account the income is paid from
  std::uint64_t amount = 0;
  std::string source_kind;     // "agreement" or "model"
  std::string source_id;
};

struct Hooks {
  std::function<Checked<std::uint64_t>(TxContext&, const InvestorDistribution&)>
      investor_distribution;
};

// An event attribute's value: the text every client has always read, and the same value typed
// (a number, or the bytes of an address or an object id) for clients that want no parsing.
struct AttrValue {
  enum class Kind : std::uint8_t { kText, kNumber, kAddress, kId };
  std::string text;
  Kind kind = Kind::kText;
  std::uint64_t number = 0;
  std::string bytes;  // kAddress, kId

  AttrValue(std::string t) : text(std::move(t)) {}  // NOLINT(google-explicit-constructor): plain text
  AttrValue(const char* t) : text(t) {}             // NOLINT(google-explicit-constructor)
};

// A count or an amount. A negative value (none is emitted today) stays text only.
template <std::integral T>
AttrValue number(T n) {
  AttrValue v(std::to_string(n));
  if (n >= 0) {
    v.kind = AttrValue::Kind::kNumber;
    v.number = static_cast<std::uint64_t>(n);
  }
  return v;
}
AttrValue address_value(std::string_view address20);  // text as show_address writes it
AttrValue id_value(std::string_view id);              // text as show_id writes it

using Attributes = std::initializer_list<std::pair<std::string_view, AttrValue>>;

class TxContext {
 public:
  TxContext(const BlockContext& block, const tx::VerifiedTransaction& tx, std::uint32_t index,
            Overlay& state, const Hooks& hooks)
      : block_(block), tx_(tx), index_(index), state_(state), hooks_(hooks) {}
  TxContext(const TxContext&) = delete;
  TxContext& operator=(const TxContext&) = delete;

  const BlockContext& block() const { return block_; }
  std::uint64_t now_ms() const { return block_.timestamp_ms; }
  std::uint64_t height() const { return block_.height; }
  const std::string& chain_id() const { return block_.chain_id; }
  std::uint32_t index() const { return index_; }
  const std::string& sender() const { return tx_.sender; }
  std::string tx_hash() const { return crypto::hash_bytes(tx_.hash); }
  const TransactionBody& body() const { return tx_.body; }

  Overlay& state() { return state_; }
  const Overlay& state() const { return state_; }
  const Hooks& hooks() const { return hooks_; }

  // A 16-byte id unique on the chain: derived from the transaction hash, the purpose and a
  // per-transaction counter, so one action may create several distinct ids. The receipt of a
  // transaction that succeeds lists every id made here, with `purpose` as its kind.
  std::string new_id(std::string_view purpose);
  std::vector<CreatedObject> take_created() { return std::move(created_); }

  void emit(std::string_view contract, std::string_view name, Attributes attributes);
  const std::vector<Event>& events() const { return events_; }
  std::vector<Event> take_events() { return std::move(events_); }

 private:
  const BlockContext& block_;
  const tx::VerifiedTransaction& tx_;
  std::uint32_t index_;
  Overlay& state_;
  const Hooks& hooks_;
  std::vector<Event> events_;
  std::vector<CreatedObject> created_;
  std::uint32_t id_counter_ = 0;
};

// A broken internal invariant (state the contracts wrote that no longer decodes, a sum that
// cannot differ): continuing would fork this node silently, so it stops loudly instead.
[[noreturn]] void halt(std::string_view why);

// Typed access to protobuf values in state. A value that does not decode halts.
template <typename M>
std::optional<M> load(const StateReader& state, std::string_view k) {
  auto raw = state.get(k);
  if (!raw) return std::nullopt;
  M m;
  if (!m.ParseFromString(*raw)) halt("state value under a contract key does not decode");
  return m;
}

template <typename M>
void save(Overlay& state, std::string k, const M& m) {
  std::string raw;
  if (!m.SerializeToString(&raw)) halt("a contract value does not serialise");
  state.put(std::move(k), std::move(raw));
}

}  // namespace sharechain::contracts
