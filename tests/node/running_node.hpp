// One in-process validator with its client API on loopback, for tests that drive it over gRPC.
#pragma once

#include <catch2/catch.hpp>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/config.hpp"
#include "node/node.hpp"
#include "sharechain/api.grpc.pb.h"
#include "tests/node/test_home.hpp"

namespace sharechain::testing {

struct Running {
  std::unique_ptr<TestHome> home;
  std::unique_ptr<node::Node> node;
  std::unique_ptr<api::Client::Stub> stub;

  explicit Running(int port, const std::string& extra = "") : home(TestHome::create(port, extra)) {
    start();
  }
  struct NoStateTree {};
  Running(int port, NoStateTree) : home(TestHome::create(port, "", 1, /*state_tree=*/false)) { start(); }
  // `patch` edits config.toml before the node reads it (a key in a table the home already has).
  Running(int port, const std::function<void(std::string&)>& patch)
      : home(TestHome::create(port)) {
    std::string text;
    {
      std::ifstream in(home->config);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    patch(text);
    std::ofstream(home->config, std::ios::trunc) << text;
    start();
  }
  void start() {
    auto config = node::load_config(home->config);
    REQUIRE(config.is_ok());
    auto created = node::Node::create(*config);
    INFO(created.status().to_string());
    REQUIRE(created.is_ok());
    node = std::move(created).value();
    REQUIRE(node->start().is_ok());
    stub = api::Client::NewStub(grpc::CreateChannel(home->api_address, grpc::InsecureChannelCredentials()));
  }
  ~Running() {
    if (node) node->stop();
  }

  std::uint64_t nonce_of(const std::string& name) {
    grpc::ClientContext ctx;
    api::GetAccountRequest req;
    req.set_address(home->keys.at(name).address());
    ledger::Account acct;
    auto s = stub->GetAccount(&ctx, req, &acct);
    return s.ok() ? acct.nonce() : 0;
  }
  std::uint64_t balance_of(const std::string& address) {
    grpc::ClientContext ctx;
    api::GetAccountRequest req;
    req.set_address(address);
    ledger::Account acct;
    auto s = stub->GetAccount(&ctx, req, &acct);
    return s.ok() ? acct.balance() : 0;
  }
  TransactionBody transfer_body(const std::string& from, const std::string& to_address, std::uint64_t amount,
                                std::optional<std::uint64_t> nonce = std::nullopt) {
    TransactionBody body;
    body.set_chain_id(home->chain_id);
    body.set_sender(home->keys.at(from).address());
    body.set_nonce(nonce ? *nonce : nonce_of(from));
    auto* t = body.mutable_ledger()->mutable_transfer();
    t->set_to(to_address);
    t->set_amount(amount);
    return body;
  }
  // One SubmitTransactions message on a fresh stream: the answer, or the status that ended the
  // stream instead.
  std::pair<grpc::Status, api::SubmitBatchResponse> submit_batch(const std::vector<SignedTransaction>& txs) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto stream = stub->SubmitTransactions(&ctx);
    api::SubmitBatchRequest req;
    for (const auto& t : txs) *req.add_transactions() = t;
    api::SubmitBatchResponse resp;
    const bool answered = stream->Write(req) && stream->Read(&resp);
    stream->WritesDone();
    grpc::Status s = stream->Finish();
    if (answered && !s.ok()) resp.Clear();
    return {s, resp};
  }
  grpc::Status submit(const SignedTransaction& tx, bool wait, api::SubmitResponse* out = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    api::SubmitRequest req;
    *req.mutable_transaction() = tx;
    req.set_wait_for_commit(wait);
    api::SubmitResponse resp;
    auto s = stub->SubmitTransaction(&ctx, req, &resp);
    if (out) *out = resp;
    return s;
  }
};

}  // namespace sharechain::testing
