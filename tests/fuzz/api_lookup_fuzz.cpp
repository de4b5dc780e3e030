// Fuzz target api_lookup: the client API's lookups (api.proto GetBlockRequest,
// GetTransactionRequest, GetAccountRequest, SubscribeRequest) against a node's store holding
// the chain world's honest blocks, answered as node/api_service.cpp answers them: through
// node::Chain::block_info, storage::Store::find_tx / receipt_at and contracts::get_account.
// The input is records (support/records.hpp), at most 16; a record's tag picks the request
// (0 block, 1 transaction, 2 account, 3 subscription; the rest wrap around).
//  - decode -> encode -> decode is stable for every request and every answer
//  - every refusal has a message
//  - an answer is the thing asked for: a block at the height asked (or the block whose hash was
//    asked), with its hash, decoded header and one receipt per transaction; a transaction
//    whose body hashes to the hash asked, in the block that the index names; an account with
//    the address asked; a subscription streams consecutive heights from where it starts
#include <cstdint>
#include <memory>

#include "contracts/executor.hpp"
#include "node/chain.hpp"
#include "sharechain/api.pb.h"
#include "tests/fuzz/support/chain_world.hpp"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/records.hpp"

using namespace sharechain;

namespace {

struct Node {
  fuzz::ScratchStore scratch{"api-lookup"};
  std::unique_ptr<node::Chain> chain;
  explicit Node(const fuzz::ChainWorld& world) {
    scratch.reset(world);
    chain = std::make_unique<node::Chain>(world.chain_id(), scratch.take());
    for (std::size_t i = 0; i < world.blocks().size(); ++i) {
      const Block& b = world.blocks()[i];
      auto executed = chain->execute(b, crypto::sha256(b.header()), i + 1);
      FUZZ_CHECK(executed.is_ok(), "the honest chain does not execute: " + executed.status().message());
    }
  }
};

void check_info(const api::BlockInfo& info, std::uint64_t height) {
  fuzz::check_round_trip(info);
  FUZZ_CHECK(info.height() == height, "asked for block " + std::to_string(height) + ", got " +
                                          std::to_string(info.height()));
  FUZZ_CHECK(info.hash() == crypto::hash_bytes(crypto::sha256(info.block().header())),
             "a block's hash is not SHA-256 of its header");
  BlockHeader header;
  FUZZ_CHECK(header.ParseFromString(info.block().header()) &&
                 header.SerializeAsString() == info.header().SerializeAsString(),
             "a block's decoded header is not its header");
  FUZZ_CHECK(info.receipts_size() == info.block().transactions_size(),
             "a block's receipts do not match its transactions");
}

Status get_block(const node::Chain& chain, const api::GetBlockRequest& request) {
  const auto& store = chain.store();
  std::uint64_t height = 0;
  if (request.latest() || request.by_case() == api::GetBlockRequest::BY_NOT_SET) {
    height = store.height();
    if (height == 0) return Status::not_found("no block has been committed yet");
  } else if (request.by_case() == api::GetBlockRequest::kHeight) {
    height = request.height();
    if (height == 0) return Status::invalid_argument("block heights start at 1 (0 is genesis state)");
  } else {
    auto hash = crypto::hash_from_bytes(request.hash());
    if (!hash) return Status::invalid_argument("block hash must be 32 bytes");
    auto h = store.height_of(*hash);
    if (!h) return Status::not_found("no block with hash " + crypto::to_hex(*hash));
    height = *h;
  }
  auto info = chain.block_info(height);
  if (!info) return Status::not_found("no block at height " + std::to_string(height));
  check_info(*info, height);
  if (!request.latest() && request.by_case() == api::GetBlockRequest::kHash) {
    FUZZ_CHECK(info->hash() == request.hash(), "asked for one block hash, got another");
  }
  return Status::ok();
}

Status get_transaction(const node::Chain& chain, const api::GetTransactionRequest& request) {
  auto hash = crypto::hash_from_bytes(request.tx_hash());
  if (!hash) return Status::invalid_argument("tx_hash must be 32 bytes");
  const auto& store = chain.store();
  auto loc = store.find_tx(*hash);
  if (!loc) return Status::not_found("no transaction " + crypto::to_hex(*hash));
  auto block = store.block_at(loc->height);
  if (!block || loc->index >= static_cast<std::uint32_t>(block->transactions_size())) {
    return Status::internal("transaction index points at a missing block");
  }
  api::TransactionInfo info;
  info.mutable_transaction()->ParseFromString(block->transactions(static_cast<int>(loc->index)));
  info.mutable_body()->ParseFromString(info.transaction().body());
  FUZZ_CHECK(crypto::sha256(info.transaction().body()) == *hash,
             "the transaction found is not the one asked for");
  if (auto receipt = store.receipt_at(loc->height, loc->index)) {
    FUZZ_CHECK(receipt->tx_hash() == request.tx_hash(), "the receipt found names another transaction");
    *info.mutable_receipt() = *receipt;
  }
  fuzz::check_round_trip(info);
  return Status::ok();
}

Status get_account(const node::Chain& chain, const api::GetAccountRequest& request) {
  if (request.address().size() != crypto::kAddressSize) {
    return Status::invalid_argument("address must be 20 bytes");
  }
  auto account = contracts::get_account(chain.store(), request.address());
  if (!account) return account.status();
  FUZZ_CHECK(account->address() == request.address(), "asked for one account, got another");
  fuzz::check_round_trip(*account);
  return Status::ok();
}

Status subscribe(const node::Chain& chain, const api::SubscribeRequest& request) {
  const std::uint64_t top = chain.store().height();
  const std::uint64_t from = request.from_height() == 0 ? top + 1 : request.from_height();
  // The stream writes what block_info gives, height by height, until it gives nothing.
  for (std::uint64_t h = from, sent = 0; sent < 3; ++h, ++sent) {
    auto info = chain.block_info(h);
    if (!info) break;
    check_info(*info, h);
    if (h == UINT64_MAX) break;
  }
  return Status::ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ChainWorld& world = fuzz::chain_world();
  static Node* node = new Node(world);
  const node::Chain& chain = *node->chain;
  for (const fuzz::Record& record :
       fuzz::split_records(std::string_view(reinterpret_cast<const char*>(data), size), 16)) {
    Status answer;
    switch (record.tag % 4) {
      case 0: {
        auto r = fuzz::decode_stable<api::GetBlockRequest>(record.bytes);
        if (!r) continue;
        answer = get_block(chain, *r);
        break;
      }
      case 1: {
        auto r = fuzz::decode_stable<api::GetTransactionRequest>(record.bytes);
        if (!r) continue;
        answer = get_transaction(chain, *r);
        break;
      }
      case 2: {
        auto r = fuzz::decode_stable<api::GetAccountRequest>(record.bytes);
        if (!r) continue;
        answer = get_account(chain, *r);
        break;
      }
      default: {
        auto r = fuzz::decode_stable<api::SubscribeRequest>(record.bytes);
        if (!r) continue;
        answer = subscribe(chain, *r);
        break;
      }
    }
    if (!answer) FUZZ_CHECK(!answer.message().empty(), "a lookup refused without a reason");
  }
  return 0;
}
