#include "node/event_feed.hpp"

#include <algorithm>
#include <array>

#include "proto/crypto.hpp"

namespace sharechain::node {

namespace {

constexpr std::array<std::string_view, 7> kContracts{"ledger", "assets", "usage", "revenue", "financing", "vehicles",
                                                   "governance"};

bool any_attribute_names(const Event& event, const std::vector<std::string>& texts) {
  for (const auto& a : event.attributes()) {
    for (const auto& t : texts) {
      if (a.value().find(t) != std::string::npos) return true;
    }
  }
  return false;
}

}  // namespace

Result<EventFilter> EventFilter::compile(const api::EventFilter& filter) {
  for (int size : {filter.contracts_size(), filter.names_size(), filter.accounts_size(), filter.object_ids_size()}) {
    if (size > kMaxEntries) {
      return Status::invalid_argument("an event filter list holds at most " + std::to_string(kMaxEntries) +
                                      " entries; subscribe with a wider filter and select on your side");
    }
  }
  EventFilter f;
  for (const auto& c : filter.contracts()) {
    if (std::find(kContracts.begin(), kContracts.end(), c) == kContracts.end()) {
      return Status::invalid_argument("unknown contract '" + c +
                                      "' in the event filter (ledger, assets, usage, revenue, financing, vehicles, governance)");
    }
    f.contracts_.insert(c);
  }
  for (const auto& n : filter.names()) {
    if (n.empty()) return Status::invalid_argument("an event name in the filter is empty");
    f.names_.insert(n);
  }
  for (const auto& a : filter.accounts()) {
    if (a.size() != crypto::kAddressSize) {
      return Status::invalid_argument("an account in the event filter is " + std::to_string(a.size()) +
                                      " bytes; an address is 20 bytes");
    }
    f.accounts_.insert(a);
    f.account_texts_.push_back(crypto::format_address(a));
  }
  for (const auto& id : filter.object_ids()) {
    if (id.empty()) return Status::invalid_argument("an object id in the event filter is empty");
    f.object_texts_.push_back(crypto::to_hex(id));
  }
  return f;
}

bool EventFilter::passes(const Event& event, std::string_view sender) const {
  if (!contracts_.empty() && !contracts_.contains(event.contract())) return false;
  if (!names_.empty() && !names_.contains(event.name())) return false;
  if (!accounts_.empty() && !accounts_.contains(sender) && !any_attribute_names(event, account_texts_)) return false;
  if (!object_texts_.empty() && !any_attribute_names(event, object_texts_)) return false;
  return true;
}

api::EventBatch events_of(const api::BlockInfo& block, std::uint32_t from_index, const EventFilter& filter) {
  api::EventBatch batch;
  batch.set_height(block.height());
  batch.set_block_hash(block.hash());
  batch.set_timestamp_ms(block.header().timestamp_ms());
  std::uint32_t position = 0;
  for (int i = 0; i < block.receipts_size(); ++i) {
    const Receipt& receipt = block.receipts(i);
    const auto count = static_cast<std::uint32_t>(receipt.events_size());
    if (position + count <= from_index) {
      position += count;
      continue;
    }
    std::string sender;
    if (i < block.block().transactions_size()) {
      SignedTransaction tx;
      TransactionBody body;
      if (tx.ParseFromString(block.block().transactions(i)) && body.ParseFromString(tx.body())) {
        sender = body.sender();
      }
    }
    for (std::uint32_t j = 0; j < count; ++j, ++position) {
      if (position < from_index) continue;
      const Event& event = receipt.events(static_cast<int>(j));
      if (!filter.passes(event, sender)) continue;
      api::EventRecord* r = batch.add_events();
      r->mutable_position()->set_height(block.height());
      r->mutable_position()->set_index(position);
      *r->mutable_event() = event;
      r->set_tx_hash(receipt.tx_hash());
      r->set_sender(sender);
      r->set_tx_index(static_cast<std::uint32_t>(i));
    }
  }
  batch.mutable_next()->set_height(block.height() + 1);
  batch.mutable_next()->set_index(0);
  return batch;
}

}  // namespace sharechain::node
