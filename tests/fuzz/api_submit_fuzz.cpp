// Fuzz target api_submit: SubmitTransaction requests of the client API (api.proto) as a node
// handles them, one mempool per input. The input is a limits byte (nonce gap 0-3, room for 4-11
// transactions), then records (support/records.hpp) of serialized SubmitRequest, at most 16.
// Each request goes the node's way (node/api_service.cpp, node/admission.cpp): a
// missing transaction is refused, tx::verify, a dry run against the contract world when the nonce
// is the sender's next committed one, then the real node::Mempool.
//  - decode -> encode -> decode is stable for every request
//  - every refusal has a message
//  - an admitted transaction is pending under SHA-256 of its body; the mempool never holds more
//    transactions or bytes than its limits
//  - a sender's pending nonces never reach more than the nonce gap beyond its first missing one
//    (the mempool's promise: "at most max_nonce_gap beyond" the sender's next nonce)
//  - take_ready releases admitted transactions only, once each, in nonce order per sender with
//    no hole from the committed nonce; committing them (on_committed) removes them and keeps
//    the rest consistent
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "contracts/executor.hpp"
#include "node/admission.hpp"
#include "node/mempool.hpp"
#include "sharechain/api.pb.h"
#include "tests/fuzz/support/check.hpp"
#include "tests/fuzz/support/contract_world.hpp"
#include "tests/fuzz/support/records.hpp"

using namespace sharechain;

namespace {

// Admission::dry_run: a transaction with the sender's next committed nonce runs alone first,
// and a refusal there is the API's answer.
Status dry_run(const fuzz::ContractWorld& world, const tx::VerifiedTransaction& vtx) {
  if (vtx.body.nonce() != contracts::next_nonce(world.state(), vtx.sender)) return Status::ok();
  const auto result = fuzz::execute_on(world.state(), world, 0, {vtx});
  FUZZ_CHECK(result.receipts.size() == 1, "a dry run gave no receipt");
  return node::dry_run_verdict(result.receipts.front());
}

Status submit(const fuzz::ContractWorld& world, node::Mempool& mempool, const api::SubmitRequest& request,
              tx::VerifiedTransaction* admitted) {
  if (!request.has_transaction()) return Status::invalid_argument("SubmitRequest.transaction is missing");
  auto verified = tx::verify(request.transaction(), world.chain_id());
  if (!verified) return verified.status();
  if (Status s = dry_run(world, *verified); !s) return s;
  auto added = mempool.add_verified(*verified);
  if (!added) return added.status();
  FUZZ_CHECK(*added == verified->hash && verified->hash == crypto::sha256(verified->signed_tx.body()),
             "the mempool admitted a transaction under another hash");
  *admitted = std::move(verified).value();
  return Status::ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::ContractWorld& world = fuzz::contract_world();
  if (size < 1) return 0;
  node::Mempool::Limits limits;
  limits.max_nonce_gap = data[0] & 3;
  limits.max_txs = 4 + ((data[0] >> 2) & 7);
  limits.max_bytes = 16 * 1024;
  // Nonces the harness has committed on top of the world's (see the end).
  std::map<std::string, std::uint64_t> committed;
  auto committed_nonce = [&](std::string_view address) {
    auto it = committed.find(std::string(address));
    return it != committed.end() ? it->second : contracts::next_nonce(world.state(), address);
  };
  node::Mempool mempool(limits, world.chain_id(), committed_nonce);

  std::map<crypto::Hash, tx::VerifiedTransaction> pending;
  std::map<std::string, std::set<std::uint64_t>> nonces;  // pending, by sender
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (const fuzz::Record& record : fuzz::split_records(rest, 16)) {
    const auto request = fuzz::decode_stable<api::SubmitRequest>(record.bytes);
    if (!request) continue;
    tx::VerifiedTransaction admitted;
    const Status s = submit(world, mempool, *request, &admitted);
    if (!s) {
      FUZZ_CHECK(!s.message().empty(), "a submission refused without a reason");
      continue;
    }
    FUZZ_CHECK(mempool.contains(admitted.hash), "an admitted transaction is not pending");
    FUZZ_CHECK(pending.count(admitted.hash) == 0, "the same transaction was admitted twice");
    FUZZ_CHECK(nonces[admitted.sender].insert(admitted.body.nonce()).second,
               "two pending transactions of one sender share a nonce");
    pending.emplace(admitted.hash, admitted);
    FUZZ_CHECK(mempool.size() == pending.size() && mempool.size() <= limits.max_txs &&
                   mempool.bytes() <= limits.max_bytes,
               "the mempool holds " + std::to_string(mempool.size()) + " transactions and " +
                   std::to_string(mempool.bytes()) + " bytes");
    const std::set<std::uint64_t>& mine = nonces[admitted.sender];
    std::uint64_t first_missing = committed_nonce(admitted.sender);
    while (mine.count(first_missing) != 0) ++first_missing;
    FUZZ_CHECK(*mine.rbegin() <= first_missing + limits.max_nonce_gap,
               "pending nonce " + std::to_string(*mine.rbegin()) + " is more than " +
                   std::to_string(limits.max_nonce_gap) + " beyond the first missing nonce " +
                   std::to_string(first_missing));
  }

  // Release, then commit what was released, as a node does with a block.
  const std::vector<node::PendingTx> ready = mempool.take_ready();
  std::map<std::string, std::uint64_t> released_next;
  std::vector<crypto::Hash> hashes;
  std::vector<std::string> senders;
  std::set<crypto::Hash> seen;
  for (const node::PendingTx& p : ready) {
    auto it = pending.find(p.hash);
    FUZZ_CHECK(it != pending.end(), "take_ready released a transaction never admitted");
    FUZZ_CHECK(seen.insert(p.hash).second, "take_ready released a transaction twice");
    const tx::VerifiedTransaction& v = it->second;
    FUZZ_CHECK(p.bytes == v.signed_tx.SerializeAsString(), "take_ready changed a transaction's bytes");
    auto [next, fresh] = released_next.try_emplace(v.sender, committed_nonce(v.sender));
    FUZZ_CHECK(v.body.nonce() == next->second, "released nonce " + std::to_string(v.body.nonce()) +
                                                   ", expected " + std::to_string(next->second));
    ++next->second;
    hashes.push_back(p.hash);
    senders.push_back(v.sender);
  }
  for (const auto& [sender, next] : released_next) committed[sender] = next;
  const std::vector<crypto::Hash> dropped = mempool.on_committed(hashes, senders);
  for (const crypto::Hash& h : hashes) {
    FUZZ_CHECK(!mempool.contains(h), "a committed transaction is still pending");
  }
  for (const crypto::Hash& h : dropped) {
    FUZZ_CHECK(pending.count(h) != 0 && seen.count(h) == 0 && !mempool.contains(h),
               "on_committed dropped a transaction it did not hold or that was committed");
  }
  FUZZ_CHECK(mempool.size() + hashes.size() + dropped.size() == pending.size(),
             "after the commit the mempool holds " + std::to_string(mempool.size()) + " of " +
                 std::to_string(pending.size()) + " admitted, " + std::to_string(hashes.size()) +
                 " committed and " + std::to_string(dropped.size()) + " dropped");
  return 0;
}
