// The client API's v1 promises, on one in-process validator over gRPC on loopback:
//   an unknown account reads as a zero account; GetAccount's next_nonce counts the pending
//   transactions, so a client pipelines its nonces;
//   submission is idempotent: a pending transaction sent again is ALREADY_EXISTS with TX_PENDING
//   and its hash in the details (alone and in a SubmitTransactions message), a committed one is
//   ALREADY_EXISTS with its height; another transaction on a pending nonce is FAILED_PRECONDITION naming the pending one;
//   an account holds at most [mempool] max_pending_per_account pending (RESOURCE_EXHAUSTED);
//   the health service answers for the empty name and for sharechain.api.Client, and reflection
//   v1 lists the services and serves the client API's descriptors;
//   SubscribeEvents: from the first block, resumed from a stored cursor (also across a node
//   restart) with no event lost or repeated; filtered by account; a filter matching nothing still
//   moves the cursor to the tip; live events; bad filters refused;
//   the operations port: /version names the build and chain, /logspec reads and sets the log
//   level (400 for an unknown level), /metrics holds the storage statistics and peers connected
//   with exact numbers, an unknown path is 404 naming the paths served.
#include <catch2/catch.hpp>
#include <grpcpp/generic/generic_stub.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <grpcpp/grpcpp.h>

#include <future>
#include <set>
#include <thread>

#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "tests/node/ops_http.hpp"
#include "tests/node/running_node.hpp"

using namespace sharechain;
using sharechain::testing::Running;

namespace {

ledger::Account account_of(Running& r, const std::string& address) {
  grpc::ClientContext ctx;
  api::GetAccountRequest req;
  req.set_address(address);
  ledger::Account acct;
  const grpc::Status s = r.stub->GetAccount(&ctx, req, &acct);
  INFO(s.error_message());
  REQUIRE(s.ok());
  return acct;
}

std::string hash_of(const SignedTransaction& t) { return crypto::hash_bytes(tx::hash_of(t)); }

// grpc.health.v1.Health/Check by hand: the request is field 1 (service name), the answer field 1
// (1 = SERVING). Debian's gRPC serves health without shipping its client stubs.
std::pair<grpc::Status, std::string> health_check(Running& r, const std::string& service) {
  auto channel = grpc::CreateChannel(r.home->api_address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::string req = "\x0a" + std::string(1, static_cast<char>(service.size())) + service;
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status s = done.get_future().get();
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (s.ok() && response.Dump(&slices).ok()) {
    for (const auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
  }
  return {s, bytes};
}

struct EventReader {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<api::EventBatch>> reader;
  EventReader(Running& r, const api::SubscribeEventsRequest& req) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    reader = r.stub->SubscribeEvents(&ctx, req);
  }
};

api::SubscribeEventsRequest from(std::uint64_t height, std::uint32_t index, api::EventFilter filter = {}) {
  api::SubscribeEventsRequest req;
  req.mutable_cursor()->set_height(height);
  req.mutable_cursor()->set_index(index);
  *req.mutable_filter() = std::move(filter);
  return req;
}

using Position = std::pair<std::uint64_t, std::uint32_t>;

// Reads batches until the stream's cursor passes `tip`; every event's position, in order.
std::vector<Position> read_until(EventReader& s, std::uint64_t tip, api::EventCursor* last = nullptr,
                                 std::size_t max_batches = SIZE_MAX) {
  std::vector<Position> seen;
  api::EventBatch batch;
  for (std::size_t n = 0; n < max_batches && s.reader->Read(&batch); ++n) {
    for (const auto& e : batch.events()) seen.emplace_back(e.position().height(), e.position().index());
    if (last) *last = batch.next();
    if (batch.next().height() > tip) break;
  }
  return seen;
}

// One HTTP request to the node's operations port: status code and body.
std::pair<int, std::string> http_call(Running& r, boost::beast::http::verb method, const std::string& target,
                                      const std::string& body = "") {
  auto a = testing::ops_request(r.home->metrics_address, method, target, body);
  return {a.status, std::move(a.body)};
}

}  // namespace

TEST_CASE("accounts read as zero until used, and next_nonce counts pending transactions") {
  // A slow batch delay keeps transactions pending long enough to look at them.
  Running r(27220, "[consensus]\nbatch_delay_ms = 4000\nview_timeout_ms = 10000\n[mempool]\nmax_pending_per_account = 4\n");
  const std::string nobody = crypto::PrivateKey::generate().address();
  const ledger::Account zero = account_of(r, nobody);
  CHECK(zero.address() == nobody);
  CHECK(zero.balance() == 0);
  CHECK(zero.nonce() == 0);
  CHECK(zero.next_nonce() == 0);
  CHECK(zero.roles().empty());

  auto& user1 = r.home->keys.at("user1");
  const std::string u2 = r.home->keys.at("user2").address();
  const ledger::Account before = account_of(r, user1.address());
  const std::uint64_t n = before.nonce();
  CHECK(before.next_nonce() == n);

  std::vector<SignedTransaction> t;
  for (std::uint64_t i = 0; i < 5; ++i) t.push_back(tx::sign(r.transfer_body("user1", u2, 10 + i, n + i), user1));
  for (int i = 0; i < 3; ++i) {
    api::SubmitResponse resp;
    const grpc::Status s = r.submit(t[i], false, &resp);
    INFO(s.error_message());
    REQUIRE(s.ok());
  }
  const ledger::Account pending = account_of(r, user1.address());
  CHECK(pending.nonce() == n);
  CHECK(pending.next_nonce() == n + 3);

  SECTION("a pending transaction sent again is ALREADY_EXISTS, pending, with the same hash") {
    const grpc::Status s = r.submit(t[1], false);
    CHECK(s.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK_THAT(s.error_message(), Catch::Contains("already pending") && Catch::Contains("new nonce"));
    api::SubmitResponse details;
    REQUIRE(details.ParseFromString(s.error_details()));
    CHECK(details.status() == api::TX_PENDING);
    CHECK(details.tx_hash() == hash_of(t[1]));
    CHECK(r.node->mempool().size() == 3);
    auto [status, batch] = r.submit_batch({t[0], t[2]});
    REQUIRE(status.ok());
    REQUIRE(batch.results_size() == 2);
    for (int i = 0; i < 2; ++i) {
      CHECK(batch.results(i).code() == static_cast<std::uint32_t>(grpc::StatusCode::ALREADY_EXISTS));
      CHECK(batch.results(i).status() == api::TX_PENDING);
    }
    CHECK(batch.results(1).tx_hash() == hash_of(t[2]));
    CHECK(r.node->mempool().size() == 3);
  }
  SECTION("another transaction on a pending nonce is refused, naming the pending one") {
    const grpc::Status s = r.submit(tx::sign(r.transfer_body("user1", u2, 99, n + 1), user1), false);
    CHECK(s.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
    CHECK_THAT(s.error_message(), Catch::Contains("taken by pending transaction " + crypto::to_hex(hash_of(t[1]))));
    CHECK_THAT(s.error_message(), Catch::Contains("next free nonce is " + std::to_string(n + 3)));
  }
  SECTION("an account holds at most max_pending_per_account pending, then commits them all") {
    REQUIRE(r.submit(t[3], false).ok());
    const grpc::Status s = r.submit(t[4], false);
    CHECK(s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_THAT(s.error_message(), Catch::Contains("max_pending_per_account"));
    // All four commit together once the batch delay is over.
    for (int i = 0; i < 200 && !r.node->chain().store().find_tx(tx::hash_of(t[3])); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const ledger::Account after = account_of(r, user1.address());
    CHECK(after.nonce() == n + 4);
    CHECK(after.next_nonce() == n + 4);
    // And a committed one sent again says where it is.
    const grpc::Status again = r.submit(t[0], false);
    CHECK(again.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK_THAT(again.error_message(), Catch::Contains("already committed at height"));
  }
}

TEST_CASE("health answers per service name, and reflection v1 serves the client API") {
  Running r(27230);
  for (const std::string service : {"", "sharechain.api.Client"}) {
    auto [s, bytes] = health_check(r, service);
    INFO("service '" << service << "': " << s.error_message());
    CHECK(s.ok());
    CHECK(bytes == std::string("\x08\x01", 2));  // SERVING
  }
  CHECK(health_check(r, "sharechain.api.Nothing").first.error_code() == grpc::StatusCode::NOT_FOUND);

  namespace rv1 = grpc::reflection::v1;
  auto stub = rv1::ServerReflection::NewStub(
      grpc::CreateChannel(r.home->api_address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&ctx);
  rv1::ServerReflectionRequest req;
  rv1::ServerReflectionResponse resp;

  req.set_list_services("");
  REQUIRE(stream->Write(req));
  REQUIRE(stream->Read(&resp));
  std::set<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.insert(s.name());
  CHECK(services.contains("sharechain.api.Client"));
  CHECK(services.contains("grpc.reflection.v1.ServerReflection"));
  CHECK(services.contains("grpc.reflection.v1alpha.ServerReflection"));

  req.set_file_containing_symbol("sharechain.api.Client");
  REQUIRE(stream->Write(req));
  REQUIRE(stream->Read(&resp));
  REQUIRE(resp.has_file_descriptor_response());
  std::set<std::string> files;
  for (const auto& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto f;
    REQUIRE(f.ParseFromString(bytes));
    files.insert(f.name());
    if (f.name() == "sharechain/api.proto") {
      bool has_events = false;
      for (const auto& m : f.service(0).method()) has_events |= m.name() == "SubscribeEvents";
      CHECK(has_events);
    }
  }
  CHECK(files.contains("sharechain/api.proto"));
  CHECK(files.contains("sharechain/types.proto"));

  req.set_file_containing_symbol("sharechain.api.NoSuchThing");
  REQUIRE(stream->Write(req));
  REQUIRE(stream->Read(&resp));
  CHECK(resp.error_response().error_code() == static_cast<int>(grpc::StatusCode::NOT_FOUND));
  CHECK_THAT(resp.error_response().error_message(), Catch::Contains("NoSuchThing"));
  stream->WritesDone();
  CHECK(stream->Finish().ok());
}

TEST_CASE("SubscribeEvents resumes from a stored cursor without losing or repeating an event") {
  Running r(27240, "[consensus]\nbatch_delay_ms = 200\n");
  auto& user1 = r.home->keys.at("user1");
  const std::string u2 = r.home->keys.at("user2").address();
  // Single commits, then three in one message (one block, several events in it).
  for (std::uint64_t a = 1; a <= 3; ++a) REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, a), user1), true).ok());
  const std::uint64_t n = r.nonce_of("user1");
  std::vector<SignedTransaction> three;
  for (std::uint64_t i = 0; i < 3; ++i) three.push_back(tx::sign(r.transfer_body("user1", u2, 10 + i, n + i), user1));
  REQUIRE(r.submit_batch(three).first.ok());
  for (int i = 0; i < 200 && !r.node->chain().store().find_tx(tx::hash_of(three.back())); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(r.node->chain().store().find_tx(tx::hash_of(three.back())));
  std::uint64_t tip = r.node->chain().store().height();

  std::vector<Position> all;
  {
    EventReader s(r, from(0, 0));
    all = read_until(s, tip);
  }
  REQUIRE(all.size() >= 6);
  std::map<std::uint64_t, int> per_block;
  for (const auto& [h, i] : all) ++per_block[h];
  const auto crowded = std::find_if(per_block.begin(), per_block.end(), [](auto& kv) { return kv.second >= 2; });
  REQUIRE(crowded != per_block.end());

  SECTION("resumed after two batches: the rest, exactly") {
    api::EventCursor cursor;
    std::vector<Position> got;
    {
      EventReader s(r, from(0, 0));
      got = read_until(s, tip, &cursor, 2);
      s.ctx.TryCancel();
    }
    EventReader s(r, from(cursor.height(), cursor.index()));
    for (auto& p : read_until(s, tip)) got.push_back(p);
    CHECK(got == all);
  }
  SECTION("resumed inside a block: only the events after the cursor") {
    EventReader s(r, from(crowded->first, 1));
    const std::vector<Position> got = read_until(s, tip);
    std::vector<Position> expect;
    for (const auto& p : all) {
      if (p.first > crowded->first || (p.first == crowded->first && p.second >= 1)) expect.push_back(p);
    }
    CHECK(got == expect);
  }
  SECTION("resumed after the node restarted, and then live") {
    api::EventCursor cursor;
    std::vector<Position> got;
    {
      EventReader s(r, from(0, 0));
      got = read_until(s, tip, &cursor, 1);
      s.ctx.TryCancel();
    }
    r.node->stop();
    r.node.reset();
    r.start();
    EventReader s(r, from(cursor.height(), cursor.index()));
    for (auto& p : read_until(s, tip, &cursor)) got.push_back(p);
    CHECK(got == all);
    // Live: the next transfer's event arrives on the same stream.
    REQUIRE(r.submit(tx::sign(r.transfer_body("user1", u2, 77), user1), true).ok());
    api::EventBatch batch;
    bool live = false;
    while (!live && s.reader->Read(&batch)) {
      for (const auto& e : batch.events()) {
        for (const auto& a : e.event().attributes()) live |= a.key() == "amount" && a.value() == "77";
      }
    }
    CHECK(live);
  }
  SECTION("a filter by account; a filter matching nothing still moves the cursor to the tip") {
    api::EventFilter mine;
    mine.add_accounts(u2);
    EventReader s(r, from(0, 0, mine));
    CHECK(read_until(s, tip).size() == all.size());  // every transfer here paid user2

    api::EventFilter none;
    none.add_accounts(crypto::PrivateKey::generate().address());
    EventReader quiet(r, from(0, 0, none));
    api::EventCursor cursor;
    CHECK(read_until(quiet, tip, &cursor).empty());
    CHECK(cursor.height() == tip + 1);
  }
  SECTION("a filter that cannot be right is refused") {
    api::EventFilter bad;
    bad.add_contracts("bank");
    EventReader s(r, from(0, 0, bad));
    api::EventBatch batch;
    CHECK_FALSE(s.reader->Read(&batch));
    const grpc::Status st = s.reader->Finish();
    CHECK(st.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(st.error_message(), Catch::Contains("unknown contract 'bank'"));
  }
}

TEST_CASE("the operations port serves /version, /logspec and exact metrics") {
  namespace http = boost::beast::http;
  Running r(27250);
  const auto [vcode, vbody] = http_call(r, http::verb::get, "/version");
  CHECK(vcode == 200);
  const auto version = nlohmann::json::parse(vbody);
  CHECK(version["version"] == SHARECHAIN_VERSION);
  CHECK(version["chain_id"] == r.home->chain_id);
  CHECK(version["node"] == "node0");
  CHECK(version["genesis_hash"].get<std::string>().size() == 64);

  const auto before = spdlog::get_level();
  CHECK(nlohmann::json::parse(http_call(r, http::verb::get, "/logspec").second)["level"] ==
        std::string(spdlog::level::to_string_view(before).data()));
  auto [code, body] = http_call(r, http::verb::put, "/logspec", "debug");
  CHECK(code == 200);
  CHECK(spdlog::get_level() == spdlog::level::debug);
  std::tie(code, body) = http_call(r, http::verb::put, "/logspec", R"({"level": "error"})");
  CHECK(code == 200);
  CHECK(nlohmann::json::parse(body)["previous"] == "debug");
  CHECK(spdlog::get_level() == spdlog::level::err);
  std::tie(code, body) = http_call(r, http::verb::put, "/logspec", "loud");
  CHECK(code == 400);
  CHECK_THAT(body, Catch::Contains("unknown log level 'loud'"));
  CHECK(spdlog::get_level() == spdlog::level::err);  // unchanged
  spdlog::set_level(before);

  std::tie(code, body) = http_call(r, http::verb::get, "/metrics");
  CHECK(code == 200);
  CHECK_THAT(body, Catch::Contains("sharechain_peers_connected 0\n"));
  CHECK_THAT(body, Catch::Contains("sharechain_storage_height "));
  CHECK_THAT(body, Catch::Contains("sharechain_mempool_bytes 0\n"));
  CHECK_THAT(body, !Catch::Contains("e+"));

  std::tie(code, body) = http_call(r, http::verb::get, "/nothing");
  CHECK(code == 404);
  CHECK_THAT(body, Catch::Contains("/logspec"));
  std::tie(code, body) = http_call(r, http::verb::post, "/metrics");
  CHECK(code == 405);
}
