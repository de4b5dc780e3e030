// The client library without a cluster: node lists, how failures read and which move on to the
// next node, the exit codes the tools give them, and a network where no node answers.
//   node lists          - HOST:PORT checked, comma lists split, bad ones refused with the reason
//   errors              - transport failures name the node; a committed ALREADY_EXISTS carries
//                         the earlier commit; only UNAVAILABLE and an unanswered deadline move on
//   tool exit codes     - 3 for what moves on, 1 for a refusal
//   no node answers     - every read, a submission and an event stream fail UNAVAILABLE naming
//                         each node tried, within the time the options allow
#include <catch2/catch.hpp>

#include <chrono>

#include "client/client.hpp"
#include "proto/crypto.hpp"
#include "proto/transaction.hpp"
#include "tools/common/outcome.hpp"

using namespace sharechain;
using namespace std::chrono_literals;

TEST_CASE("node lists: HOST:PORT each, comma-separated") {
  auto one = client::parse_node_list("127.0.0.1:26600");
  REQUIRE(one);
  CHECK(*one == std::vector<std::string>{"127.0.0.1:26600"});
  auto two = client::parse_node_list("127.0.0.1:26600,[::1]:26610");
  REQUIRE(two);
  CHECK(two->size() == 2);
  for (const char* bad : {"", "no-port", ":26600", "host:0", "host:70000", "host:12ab", "a:1,", "[::1:5"}) {
    CAPTURE(bad);
    auto r = client::parse_node_list(bad);
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().find("is not HOST:PORT") != std::string::npos);
  }
}

TEST_CASE("errors: words for a person, and which ones move on to the next node") {
  const auto timeout = 1500ms;
  client::Error lost = client::error_from_grpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                                               "10.0.0.1:26600", timeout, false);
  CHECK(lost.message == "cannot reach the node at 10.0.0.1:26600: connection refused");
  CHECK(lost.moves_on());
  client::Error busy = client::error_from_grpc(grpc::Status(grpc::StatusCode::UNAVAILABLE, "catching up"),
                                               "10.0.0.1:26600", timeout, true);
  CHECK(busy.message == "the node at 10.0.0.1:26600 cannot serve this now: catching up");
  CHECK(busy.moves_on());
  client::Error silent = client::error_from_grpc(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""),
                                                 "10.0.0.1:26600", timeout, false);
  CHECK(silent.message == "cannot reach the node at 10.0.0.1:26600: no answer within 1500 ms");
  CHECK(silent.moves_on());
  client::Error waited = client::error_from_grpc(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "commit wait"),
                                                 "10.0.0.1:26600", timeout, true);
  CHECK_FALSE(waited.moves_on());  // the node answered: another node would not commit it sooner
  client::Error refused = client::error_from_grpc(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "insufficient funds"), "10.0.0.1:26600", timeout, true);
  CHECK(refused.message == "insufficient funds");
  CHECK_FALSE(refused.moves_on());
  CHECK_FALSE(refused.committed);

  api::SubmitResponse earlier;
  earlier.set_tx_hash(std::string(32, '\x07'));
  earlier.set_status(api::TX_COMMITTED);
  earlier.set_height(42);
  client::Error in = client::error_from_grpc(
      grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "committed at height 42", earlier.SerializeAsString()),
      "10.0.0.1:26600", timeout, true);
  REQUIRE(in.committed);
  CHECK(in.committed->height() == 42);
  CHECK_FALSE(in.moves_on());
  // Details that are not a committed SubmitResponse are not taken for one.
  client::Error garbled = client::error_from_grpc(
      grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "pending", std::string("\xff\xff\xff", 3)), "n:1", timeout, true);
  CHECK_FALSE(garbled.committed);
}

TEST_CASE("tools: what moves on exits 3, a refusal exits 1") {
  CHECK(tools::Failure::from_client({grpc::StatusCode::UNAVAILABLE, "x", false, {}}).exit_code == tools::kExitUnreachable);
  CHECK(tools::Failure::from_client({grpc::StatusCode::DEADLINE_EXCEEDED, "x", false, {}}).exit_code ==
        tools::kExitUnreachable);
  CHECK(tools::Failure::from_client({grpc::StatusCode::DEADLINE_EXCEEDED, "x", true, {}}).exit_code ==
        tools::kExitRefused);
  CHECK(tools::Failure::from_client({grpc::StatusCode::NOT_FOUND, "x", true, {}}).exit_code == tools::kExitRefused);
  // A client::Reply lifts into a tool's Outcome with the same mapping.
  tools::Outcome<int> lifted = client::Reply<int>(client::Error{grpc::StatusCode::UNAVAILABLE, "gone", false, {}});
  REQUIRE_FALSE(lifted);
  CHECK(lifted.failure().exit_code == tools::kExitUnreachable);
  CHECK(lifted.failure().message == "gone");
  tools::Outcome<int> value = client::Reply<int>(7);
  REQUIRE(value);
  CHECK(*value == 7);
}

TEST_CASE("no node answers: every call fails UNAVAILABLE naming the nodes tried") {
  // Ports 1 and 2 on loopback: nothing listens there.
  client::Client c(client::Options({"127.0.0.1:1", "127.0.0.1:2"}, 1s));
  auto status = c.status();
  REQUIRE_FALSE(status);
  CHECK(status.error().code == grpc::StatusCode::UNAVAILABLE);
  CHECK(status.error().message.find("127.0.0.1:1") != std::string::npos);
  CHECK(status.error().message.find("127.0.0.1:2") != std::string::npos);

  const auto key = crypto::PrivateKey::generate();
  TransactionBody body;
  body.set_chain_id("offline");
  body.set_sender(key.address());
  body.mutable_ledger()->mutable_transfer()->set_to(std::string(20, '\x01'));
  body.mutable_ledger()->mutable_transfer()->set_amount(5);
  auto submitted = c.submit(tx::sign(body, key), false);
  REQUIRE_FALSE(submitted);
  CHECK(submitted.error().code == grpc::StatusCode::UNAVAILABLE);

  // send() needs the chain id and the nonce first: it fails there, before signing anything.
  auto sent = c.send(key, [](TransactionBody& b) { b.mutable_ledger()->mutable_transfer()->set_amount(1); });
  REQUIRE_FALSE(sent);
  CHECK(sent.error().code == grpc::StatusCode::UNAVAILABLE);

  api::EventCursor from;
  from.set_height(1);
  client::EventStream events = c.events(api::EventFilter(), from);
  auto batch = events.next();
  REQUIRE_FALSE(batch);
  CHECK(batch.error().code == grpc::StatusCode::UNAVAILABLE);
  CHECK(events.cursor().height() == 1);  // nothing read, nothing skipped
  // Without a cursor the stream starts at the next block, which only a node can say.
  client::EventStream from_tip = c.events(api::EventFilter());
  CHECK(from_tip.cursor().height() == 0);
  auto tip = from_tip.next();
  REQUIRE_FALSE(tip);
  CHECK(tip.error().code == grpc::StatusCode::UNAVAILABLE);
  CHECK(from_tip.cursor().height() == 0);

  client::Client single(client::Options({"127.0.0.1:1"}, 1s));
  auto one = single.status();
  REQUIRE_FALSE(one);
  CHECK(one.error().message.rfind("cannot reach the node at 127.0.0.1:1", 0) == 0);
}

TEST_CASE("retry_for keeps going round the nodes, then gives up") {
  client::Client c(client::Options({"127.0.0.1:1", "127.0.0.1:2"}, 500ms, 1200ms));
  const auto start = std::chrono::steady_clock::now();
  auto status = c.status();
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(status);
  // At least the retry period, and not without bound (behaviour, not a timing benchmark).
  CHECK(took >= 1200ms);
  CHECK(took < 30s);
}
