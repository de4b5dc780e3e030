// The peer port of one in-process validator (of four; the other three never run), spoken to by
// a test that holds validator 1's key, as a faulty validator would:
//   - garbage envelopes, envelopes signed by another key and a flood of VIEW-CHANGEs for far
//     future views are dropped and counted under their reason, cost the sender nothing (none of
//     them proves misbehaviour) and do not move the node's view
//   - a NEW-VIEW whose VIEW-CHANGE proofs are forged proves it: the sender's stream is cut, a
//     new stream is refused with PERMISSION_DENIED naming the reason and the time left, and
//     /metrics shows the penalty and the rejection by reason
//   - throughout, the client API keeps answering
// and, on a single validator, messages that are truncated or larger than the port allows:
//   - the client port answers a truncated or mistyped request (unary, streaming, or one message
//     of a batch stream) with INVALID_ARGUMENT naming the message type, and one beyond its size
//     limit with RESOURCE_EXHAUSTED, and the peer port cuts a stream whose message is beyond [p2p]
//     max_message_bytes with RESOURCE_EXHAUSTED; the node keeps serving and nothing changed
#include <catch2/catch.hpp>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>

#include <boost/asio.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "consensus/signing.hpp"
#include "node/config.hpp"
#include "node/genesis.hpp"
#include "node/node.hpp"
#include "node/peer_network.hpp"
#include "sharechain/api.grpc.pb.h"
#include "sharechain/peer.grpc.pb.h"
#include "tests/node/test_home.hpp"

using namespace sharechain;

namespace {

constexpr int kPort = 27140;
constexpr int kSizesPort = 27160;
constexpr int kBundlePort = 27190;

// A unary call with raw request bytes, as a client with another (or a broken) encoder sends it.
grpc::Status raw_call(const std::string& address, const std::string& method,
                      const std::string& bytes) {
  grpc::GenericStub stub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

// The same for a server-streaming method: reads the stream to its end and returns its status.
grpc::Status raw_server_stream(const std::string& address, const std::string& method,
                               const std::string& bytes) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING, channel);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(channel.get(), rpc, &ctx, request));
  grpc::ByteBuffer message;
  while (reader->Read(&message)) {
  }
  return reader->Finish();
}

// A bidirectional stream that sends `messages` as raw bytes and reads every answer.
grpc::Status raw_bidi(const std::string& address, const std::string& method,
                      const std::vector<std::string>& messages, int* answers) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::BIDI_STREAMING, channel);
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(channel.get(), rpc, &ctx));
  *answers = 0;
  grpc::ByteBuffer answer;
  for (const std::string& m : messages) {
    grpc::Slice slice(m);
    if (!stream->Write(grpc::ByteBuffer(&slice, 1))) break;
    // One message at a time: the node reads the next only after answering this one.
    if (!stream->Read(&answer)) break;
    ++*answers;
  }
  stream->WritesDone();
  while (stream->Read(&answer)) ++*answers;
  return stream->Finish();
}

std::string http_get(const std::string& host_port, const std::string& path) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  const auto colon = host_port.rfind(':');
  asio::ip::tcp::resolver resolver(io);
  asio::connect(socket, resolver.resolve(host_port.substr(0, colon), host_port.substr(colon + 1)));
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: test\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string response;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    const std::size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec) break;
    response.append(buf, n);
  }
  return response;
}

// Validator 1 of the test's genesis, on the node's peer port.
class FaultyPeer {
 public:
  FaultyPeer(const testing::TestHome& home, const std::string& genesis_hash)
      : home_(home), genesis_hash_(genesis_hash), key_(home.other_validators.at(0)),
        stub_(peer::Peer::NewStub(
            grpc::CreateChannel(home.p2p_address, grpc::InsecureChannelCredentials()))) {}

  // Opens a stream and sends a valid Hello; false if the write already failed.
  bool connect() {
    context_ = std::make_unique<grpc::ClientContext>();
    writer_ = stub_->Connect(context_.get(), &ack_);
    peer::PeerMessage msg;
    peer::Hello* hello = msg.mutable_hello();
    hello->set_chain_id(home_.chain_id);
    hello->set_genesis_hash(genesis_hash_);
    hello->set_public_key(key_.public_key());
    hello->set_nonce(++nonce_);
    hello->set_signature(key_.sign(crypto::tagged_hash(
        crypto::kHelloTag, node::hello_signing_bytes(home_.chain_id, genesis_hash_, key_.public_key(), nonce_))));
    return writer_->Write(msg);
  }
  bool send(const consensus::Envelope& envelope) {
    peer::PeerMessage msg;
    *msg.mutable_consensus() = envelope;
    return writer_->Write(msg);
  }
  bool send(const peer::PeerMessage& msg) { return writer_->Write(msg); }
  // Ends the stream and returns how the node ended it.
  grpc::Status finish() {
    writer_->WritesDone();
    return writer_->Finish();
  }
  consensus::Envelope seal(const consensus::Message& m, const crypto::PrivateKey& by) {
    consensus::Envelope env;
    env.set_payload(m.SerializeAsString());
    env.set_validator(1);
    consensus::KeySigner signer(by, /*deterministic=*/true);
    env.set_signature(signer.sign(consensus::envelope_digest(home_.chain_id, env.payload())));
    return env;
  }
  consensus::Envelope seal(const consensus::Message& m) { return seal(m, key_); }

 private:
  const testing::TestHome& home_;
  std::string genesis_hash_;
  crypto::PrivateKey key_;
  std::unique_ptr<peer::Peer::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  peer::Ack ack_;
  std::unique_ptr<grpc::ClientWriter<peer::PeerMessage>> writer_;
  std::uint64_t nonce_ = 0;
};

std::uint64_t metric(const std::string& page, const std::string& series) {
  const auto at = page.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(page.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("a faulty validator on the peer port: dropped, counted, and cut off once proven") {
  auto home = testing::TestHome::create(kPort, "", 4);
  auto config = node::load_config(home->config);
  REQUIRE(config.is_ok());
  auto genesis = node::load_genesis(home->dir / "genesis.json");
  REQUIRE(genesis.is_ok());
  auto created = node::Node::create(*config);
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  auto n = std::move(created).value();
  REQUIRE(n->start().is_ok());
  auto api = api::Client::NewStub(
      grpc::CreateChannel(home->api_address, grpc::InsecureChannelCredentials()));
  auto status = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    api::NodeStatus s;
    const grpc::Status st = api->GetStatus(&ctx, api::GetStatusRequest(), &s);
    REQUIRE(st.ok());
    return s;
  };
  auto metrics = [&] { return http_get(home->metrics_address, "/metrics"); };
  auto wait_for_metric = [&](const std::string& series, std::uint64_t at_least) {
    for (int i = 0; i < 100 && metric(metrics(), series) < at_least; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return metric(metrics(), series);
  };

  FaultyPeer peer(*home, genesis->hash);
  REQUIRE(peer.connect());

  // Garbage: a payload that decodes to nothing, signed by validator 1.
  consensus::Envelope garbage;
  garbage.set_validator(1);
  garbage.set_payload("\xff\xff\xff not a consensus message");
  consensus::KeySigner signer(home->other_validators.at(0), true);
  garbage.set_signature(signer.sign(consensus::envelope_digest(home->chain_id, garbage.payload())));
  REQUIRE(peer.send(garbage));
  // A message signed by another key than validator 1's.
  consensus::Message vc;
  vc.mutable_view_change()->set_new_view(3);
  REQUIRE(peer.send(peer.seal(vc, home->other_validators.at(1))));
  // A flood of VIEW-CHANGEs for views far ahead: one validator alone moves nobody.
  for (std::uint64_t v = 1000; v < 1300; ++v) {
    vc.mutable_view_change()->set_new_view(v);
    REQUIRE(peer.send(peer.seal(vc)));
  }
  CHECK(wait_for_metric("sharechain_consensus_rejections_total{reason=\"malformed\"}", 1) >= 1);
  CHECK(wait_for_metric("sharechain_consensus_rejections_total{reason=\"bad_signature\"}", 1) >= 1);
  CHECK(metric(metrics(), "sharechain_peer_penalties_total") == 0);
  CHECK(status().view() < 1000);

  // A NEW-VIEW for view 1 (validator 1 is its primary) whose VIEW-CHANGE proofs are forged:
  // three "VIEW-CHANGEs" all signed with validator 1's key but claiming validators 0, 2, 3.
  consensus::Message nv;
  nv.mutable_new_view()->set_view(1);
  for (std::uint32_t claimed : {0u, 2u, 3u}) {
    consensus::Message inner;
    inner.mutable_view_change()->set_new_view(1);
    consensus::Envelope e = peer.seal(inner);
    e.set_validator(claimed);
    *nv.mutable_new_view()->add_view_changes() = e;
  }
  peer.send(peer.seal(nv));
  CHECK(wait_for_metric("sharechain_peer_penalties_total", 1) == 1);
  CHECK(metric(metrics(), "sharechain_consensus_rejections_total{reason=\"bad_new_view\"}") == 1);
  // The node cut the stream: a write fails soon, and the stream ends cancelled.
  bool cut = false;
  for (int i = 0; i < 100 && !cut; ++i) {
    cut = !peer.send(garbage);
    if (!cut) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(cut);
  peer.finish();

  // Reconnecting during the ban is refused, with the reason and the time left.
  peer.connect();
  const grpc::Status refused = peer.finish();
  CHECK(refused.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(refused.error_message(),
             Catch::Contains("is disconnected for another") &&
                 Catch::Contains("provable misbehaviour: bad_new_view"));

  // The client API kept serving throughout.
  CHECK(status().height() == 0);
  CHECK(metrics().find("# TYPE sharechain_consensus_rejections_total counter") !=
        std::string::npos);
  n->stop();
}

TEST_CASE("a bundle is taken apart: gossip first, then each envelope as if sent alone") {
  auto home = testing::TestHome::create(kBundlePort, "", 4);
  auto config = node::load_config(home->config);
  REQUIRE(config.is_ok());
  auto genesis = node::load_genesis(home->dir / "genesis.json");
  REQUIRE(genesis.is_ok());
  auto created = node::Node::create(*config);
  REQUIRE(created.is_ok());
  auto n = std::move(created).value();
  REQUIRE(n->start().is_ok());
  auto metrics = [&] { return http_get(home->metrics_address, "/metrics"); };
  const std::string malformed = "sharechain_consensus_rejections_total{reason=\"malformed\"}";

  FaultyPeer peer(*home, genesis->hash);
  REQUIRE(peer.connect());
  peer::PeerMessage msg;
  peer::Bundle* bundle = msg.mutable_bundle();
  TransactionBody body;
  body.set_chain_id(home->chain_id);
  body.set_sender(home->keys.at("user1").address());
  body.set_nonce(0);
  body.mutable_ledger()->mutable_transfer()->set_to(home->keys.at("user2").address());
  body.mutable_ledger()->mutable_transfer()->set_amount(1);
  *bundle->add_txs()->add_transactions() = tx::sign(body, home->keys.at("user1"));
  consensus::Envelope garbage;
  garbage.set_validator(1);
  garbage.set_payload("\xff\xff\xff not a consensus message");
  consensus::KeySigner signer(home->other_validators.at(0), true);
  garbage.set_signature(signer.sign(consensus::envelope_digest(home->chain_id, garbage.payload())));
  *bundle->add_consensus() = garbage;
  *bundle->add_consensus() = garbage;
  REQUIRE(peer.send(msg));
  for (int i = 0; i < 100 && (metric(metrics(), malformed) < 2 || n->mempool().size() < 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(metric(metrics(), malformed) == 2);
  CHECK(n->mempool().size() == 1);

  // An envelope in a bundle that names another validator than the stream's ends the stream.
  peer::PeerMessage forged;
  consensus::Envelope other = garbage;
  other.set_validator(2);
  *forged.mutable_bundle()->add_consensus() = garbage;
  *forged.mutable_bundle()->add_consensus() = other;
  peer.send(forged);
  const grpc::Status ended = peer.finish();
  CHECK(ended.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(ended.error_message(), Catch::Contains("names validator 2 on validator 1's stream"));
  // Nothing of the forged bundle reached the engine.
  CHECK(metric(metrics(), malformed) == 2);
  n->stop();
}

TEST_CASE("truncated and oversized messages on both ports get a status and change nothing") {
  auto home = testing::TestHome::create(kSizesPort, "", 4);
  // A smaller peer limit than the default, so the test sends kilobytes rather than megabytes.
  auto text = [&] {
    std::ifstream in(home->config);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  text.replace(text.find("[p2p]\n"), 6, "[p2p]\nmax_message_bytes = 65536\n");
  std::ofstream(home->config, std::ios::trunc) << text;
  auto config = node::load_config(home->config);
  REQUIRE(config.is_ok());
  REQUIRE(config->max_message_bytes == 65536);
  auto genesis = node::load_genesis(home->dir / "genesis.json");
  REQUIRE(genesis.is_ok());
  auto created = node::Node::create(*config);
  REQUIRE(created.is_ok());
  auto n = std::move(created).value();
  REQUIRE(n->start().is_ok());
  auto api = api::Client::NewStub(
      grpc::CreateChannel(home->api_address, grpc::InsecureChannelCredentials()));
  auto status = [&] {
    grpc::ClientContext ctx;
    api::NodeStatus s;
    REQUIRE(api->GetStatus(&ctx, api::GetStatusRequest(), &s).ok());
    return s;
  };

  SECTION("the client port") {
    api::SubmitRequest req;
    req.mutable_transaction()->set_body(std::string(200, 'b'));
    req.mutable_transaction()->set_public_key(std::string(32, 'k'));
    req.mutable_transaction()->set_signature(std::string(64, 's'));
    const std::string whole = req.SerializeAsString();
    const grpc::Status truncated = raw_call(
        home->api_address, "/sharechain.api.Client/SubmitTransaction", whole.substr(0, 150));
    CHECK(truncated.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(truncated.error_message(),
               Catch::Contains("not a valid sharechain.api.SubmitRequest (150 bytes") &&
                   Catch::Contains("nothing was done"));
    // Every unary method reads its own bytes: a varint cut short is refused the same way.
    const grpc::Status wrong_type =
        raw_call(home->api_address, "/sharechain.api.Client/GetTransaction", std::string("\x08\x96", 2));
    CHECK(wrong_type.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(wrong_type.error_message(), Catch::Contains("sharechain.api.GetTransactionRequest"));
    // The streams too: a truncated subscription request, and a batch stream whose second
    // message is cut short (the first, empty, is answered).
    const grpc::Status blocks = raw_server_stream(
        home->api_address, "/sharechain.api.Client/SubscribeBlocks", std::string("\x08", 1));
    CHECK(blocks.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(blocks.error_message(), Catch::Contains("sharechain.api.SubscribeRequest"));
    const grpc::Status events = raw_server_stream(
        home->api_address, "/sharechain.api.Client/SubscribeEvents", std::string("\x0a\x05" "ab", 4));
    CHECK(events.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(events.error_message(), Catch::Contains("sharechain.api.SubscribeEventsRequest"));
    api::SubmitBatchRequest batch;
    *batch.add_transactions() = req.transaction();
    int answers = 0;
    const grpc::Status stream = raw_bidi(home->api_address, "/sharechain.api.Client/SubmitTransactions",
                                         {"", batch.SerializeAsString().substr(0, 100)}, &answers);
    CHECK(answers == 1);
    CHECK(stream.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(stream.error_message(), Catch::Contains("message 2 of this stream is not a valid "
                                                       "sharechain.api.SubmitBatchRequest (100 bytes"));
    const grpc::Status valid = raw_call(home->api_address, "/sharechain.api.Client/GetStatus", "");
    CHECK(valid.ok());
    req.mutable_transaction()->set_body(std::string(8 << 20, 'b'));
    const grpc::Status oversized = raw_call(
        home->api_address, "/sharechain.api.Client/SubmitTransaction", req.SerializeAsString());
    CHECK(oversized.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    CHECK_FALSE(oversized.error_message().empty());
  }
  SECTION("the peer port") {
    FaultyPeer peer(*home, genesis->hash);
    REQUIRE(peer.connect());
    consensus::Message vc;
    vc.mutable_view_change()->set_new_view(1);
    consensus::Envelope big = peer.seal(vc);
    big.set_payload(big.payload() + std::string(70'000, 'x'));
    peer.send(big);
    const grpc::Status cut = peer.finish();
    CHECK(cut.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    // A new stream of well-sized messages is welcome: a size error proves nothing.
    REQUIRE(peer.connect());
    CHECK(peer.send(peer.seal(vc)));
    peer.finish();
  }
  CHECK(status().height() == 0);
  CHECK(status().mempool_size() == 0);
  n->stop();
}
