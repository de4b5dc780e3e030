// The pure part of SubscribeEvents (node/event_feed.hpp):
//   every event of a block gets its position (height, index counted over the block's receipts)
//   and the batch's next cursor is the start of the following block;
//   a cursor inside a block skips exactly the events before it;
//   filters by contract, event name, account (sender or named in an attribute) and object id,
//   each list an "any of", the lists together an "all of";
//   a filter naming an unknown contract, a short address, an empty id or too many entries is
//   refused with INVALID_ARGUMENT and a reason.
#include <catch2/catch.hpp>

#include "node/event_feed.hpp"
#include "proto/crypto.hpp"

using namespace sharechain;
using sharechain::node::EventFilter;
using sharechain::node::events_of;

namespace {

const std::string kAlice(20, 'a');
const std::string kBob(20, 'b');
const std::string kAsset = "\x01\x02\x03\x04";

Event make_event(const std::string& contract, const std::string& name,
                 std::vector<std::pair<std::string, std::string>> attrs) {
  Event e;
  e.set_contract(contract);
  e.set_name(name);
  for (auto& [k, v] : attrs) {
    auto* a = e.add_attributes();
    a->set_key(k);
    a->set_value(v);
  }
  return e;
}

// Block 7: tx 0 by alice (two events), tx 1 by bob failed (none), tx 2 by bob (one event).
api::BlockInfo block() {
  api::BlockInfo b;
  b.set_height(7);
  b.set_hash(std::string(32, 'h'));
  b.mutable_header()->set_timestamp_ms(1234);
  for (const std::string* sender : {&kAlice, &kBob, &kBob}) {
    TransactionBody body;
    body.set_sender(*sender);
    SignedTransaction tx;
    tx.set_body(body.SerializeAsString());
    b.mutable_block()->add_transactions(tx.SerializeAsString());
  }
  Receipt* r0 = b.add_receipts();
  r0->set_tx_hash("t0");
  *r0->add_events() = make_event("ledger", "Transferred",
                                 {{"from", crypto::format_address(kAlice)}, {"to", crypto::format_address(kBob)}});
  *r0->add_events() = make_event("assets", "AssetRegistered", {{"asset", crypto::to_hex(kAsset)}});
  Receipt* r1 = b.add_receipts();
  r1->set_tx_hash("t1");
  r1->set_status(RECEIPT_INSUFFICIENT_FUNDS);
  Receipt* r2 = b.add_receipts();
  r2->set_tx_hash("t2");
  *r2->add_events() = make_event("revenue", "RevenueDistributed", {{"asset", crypto::to_hex(kAsset)}});
  return b;
}

EventFilter compile(const api::EventFilter& f) {
  auto c = EventFilter::compile(f);
  INFO(c.status().to_string());
  REQUIRE(c.is_ok());
  return std::move(c).value();
}

std::vector<std::uint32_t> positions(const api::EventBatch& batch) {
  std::vector<std::uint32_t> out;
  for (const auto& r : batch.events()) out.push_back(r.position().index());
  return out;
}

}  // namespace

TEST_CASE("every event of a block has its position, and next is the following block") {
  const api::EventBatch batch = events_of(block(), 0, compile({}));
  CHECK(batch.height() == 7);
  CHECK(batch.timestamp_ms() == 1234);
  CHECK(positions(batch) == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(batch.events(0).sender() == kAlice);
  CHECK(batch.events(0).tx_hash() == "t0");
  CHECK(batch.events(2).sender() == kBob);
  CHECK(batch.events(2).tx_index() == 2);
  CHECK(batch.events(2).tx_hash() == "t2");
  CHECK(batch.events(2).position().height() == 7);
  CHECK(batch.next().height() == 8);
  CHECK(batch.next().index() == 0);
}

TEST_CASE("a cursor inside a block skips exactly the events before it") {
  CHECK(positions(events_of(block(), 1, compile({}))) == std::vector<std::uint32_t>{1, 2});
  CHECK(positions(events_of(block(), 2, compile({}))) == std::vector<std::uint32_t>{2});
  const api::EventBatch past = events_of(block(), 3, compile({}));
  CHECK(past.events().empty());
  CHECK(past.next().height() == 8);
}

TEST_CASE("filters select by contract, name, account and object, all lists together") {
  api::EventFilter f;
  f.add_contracts("ledger");
  CHECK(positions(events_of(block(), 0, compile(f))) == std::vector<std::uint32_t>{0});

  f.Clear();
  f.add_names("RevenueDistributed");
  f.add_names("AssetRegistered");
  CHECK(positions(events_of(block(), 0, compile(f))) == std::vector<std::uint32_t>{1, 2});

  f.Clear();
  f.add_accounts(kBob);  // named in event 0, sender of event 2
  CHECK(positions(events_of(block(), 0, compile(f))) == std::vector<std::uint32_t>{0, 2});

  f.Clear();
  f.add_accounts(std::string(20, 'z'));
  CHECK(events_of(block(), 0, compile(f)).events().empty());

  f.Clear();
  f.add_object_ids(kAsset);
  CHECK(positions(events_of(block(), 0, compile(f))) == std::vector<std::uint32_t>{1, 2});

  f.add_contracts("revenue");  // and, across lists
  CHECK(positions(events_of(block(), 0, compile(f))) == std::vector<std::uint32_t>{2});
}

TEST_CASE("a filter that cannot be right is refused with a reason") {
  auto refused = [](const api::EventFilter& f, const std::string& words) {
    auto c = EventFilter::compile(f);
    REQUIRE_FALSE(c.is_ok());
    CHECK(c.status().code() == Code::kInvalidArgument);
    CHECK_THAT(c.status().message(), Catch::Contains(words));
  };
  api::EventFilter f;
  f.add_contracts("bank");
  refused(f, "unknown contract 'bank'");
  f.Clear();
  f.add_accounts("short");
  refused(f, "20 bytes");
  f.Clear();
  f.add_object_ids("");
  refused(f, "empty");
  f.Clear();
  for (int i = 0; i <= EventFilter::kMaxEntries; ++i) f.add_names("N");
  refused(f, "at most");
}
