// JSON and text rendering of client API answers (tools/common/render.hpp).
//   block: the INTERFACES.md fields (height, hash, prev_hash, state_root, transactions) with hex
//     hashes; state_root is the node's root after the block, the header's root kept apart;
//     each transaction decoded with sender address, nonce, call and receipt status; a
//     transaction that does not decode is marked, not fatal; the header is read from the block
//     bytes when the answer carries no decoded header
//   transaction, account, status and submit answers carry their INTERFACES.md fields
//   generic messages: 20-byte bytes as addresses, other bytes as hex, enums by name, 64-bit
//     integers as numbers, defaults present, unset sub-messages absent
//   status names, credits and times format as documented
#include <catch2/catch.hpp>

#include "proto/transaction.hpp"
#include "sharechain/ledger.pb.h"
#include "tools/common/render.hpp"

using namespace sharechain;
using tools::Json;

namespace {

std::string bytes_of(char c, std::size_t n) { return std::string(n, c); }

struct SampleTx {
  crypto::PrivateKey key = crypto::PrivateKey::generate();
  std::string to = bytes_of('\x22', crypto::kAddressSize);
  SignedTransaction signed_tx;

  SampleTx() {
    TransactionBody body;
    body.set_chain_id("sharechain-test");
    body.set_nonce(4);
    body.set_sender(key.address());
    ledger::Transfer* t = body.mutable_ledger()->mutable_transfer();
    t->set_to(to);
    t->set_amount(12345);
    t->set_memo("rent");
    signed_tx = tx::sign(body, key);
  }
};

Receipt ok_receipt(const SignedTransaction& t, std::uint64_t height) {
  Receipt r;
  r.set_tx_hash(crypto::hash_bytes(tx::hash_of(t)));
  r.set_status(RECEIPT_OK);
  r.set_height(height);
  Event* e = r.add_events();
  e->set_contract("ledger");
  e->set_name("Transferred");
  Attribute* a = e->add_attributes();
  a->set_key("amount");
  a->set_value("12345");
  return r;
}

api::BlockInfo sample_block(const SampleTx& s, bool with_decoded_header) {
  BlockHeader h;
  h.set_chain_id("sharechain-test");
  h.set_height(7);
  h.set_view(2);
  h.set_prev_hash(bytes_of('\x01', 32));
  h.set_timestamp_ms(1'700'000'000'123);
  h.set_tx_root(bytes_of('\x02', 32));
  h.set_state_height(6);
  h.set_state_root(bytes_of('\x03', 32));
  h.set_proposer(2);
  api::BlockInfo info;
  info.set_height(7);
  info.set_hash(bytes_of('\x04', 32));
  info.set_state_root(bytes_of('\x05', 32));
  if (with_decoded_header) *info.mutable_header() = h;
  info.mutable_block()->set_header(h.SerializeAsString());
  info.mutable_block()->add_transactions(s.signed_tx.SerializeAsString());
  info.mutable_block()->add_transactions("\xff\xff not a transaction");
  *info.add_receipts() = ok_receipt(s.signed_tx, 7);
  Receipt failed;
  failed.set_status(RECEIPT_INSUFFICIENT_FUNDS);
  failed.set_error("balance too low");
  *info.add_receipts() = failed;
  CommitCertificate* cert = info.mutable_block()->mutable_certificate();
  cert->set_view(2);
  for (std::uint32_t v : {0u, 1u, 3u}) cert->add_votes()->set_validator(v);
  return info;
}

}  // namespace

TEST_CASE("a block renders with the documented fields", "[render]") {
  SampleTx s;
  const bool decoded = GENERATE(true, false);
  CAPTURE(decoded);
  const Json b = tools::block_json(sample_block(s, decoded));

  CHECK(b["height"] == 7);
  CHECK(b["hash"] == crypto::to_hex(bytes_of('\x04', 32)));
  CHECK(b["prev_hash"] == crypto::to_hex(bytes_of('\x01', 32)));
  CHECK(b["state_root"] == crypto::to_hex(bytes_of('\x05', 32)));
  CHECK(b["certified_state_root"] == crypto::to_hex(bytes_of('\x03', 32)));
  CHECK(b["state_height"] == 6);
  CHECK(b["timestamp_ms"] == 1'700'000'000'123ULL);
  CHECK(b["proposer"] == 2);
  CHECK(b["view"] == 2);
  CHECK(b["chain_id"] == "sharechain-test");
  CHECK(b["certificate"]["votes"] == Json::array({0, 1, 3}));

  REQUIRE(b["transactions"].size() == 2);
  const Json& t = b["transactions"][0];
  CHECK(t["hash"] == crypto::to_hex(tx::hash_of(s.signed_tx)));
  CHECK(t["sender"] == crypto::format_address(s.key.address()));
  CHECK(t["nonce"] == 4);
  CHECK(t["chain_id"] == "sharechain-test");
  CHECK(t["call"]["contract"] == "ledger");
  CHECK(t["call"]["action"] == "transfer");
  CHECK(t["call"]["args"]["to"] == crypto::format_address(s.to));
  CHECK(t["call"]["args"]["amount"] == 12345);
  CHECK(t["call"]["args"]["memo"] == "rent");
  CHECK(t["status"] == "ok");
  CHECK(t["events"][0]["name"] == "Transferred");
  CHECK(t["events"][0]["attributes"]["amount"] == "12345");

  const Json& bad = b["transactions"][1];
  CHECK(bad.contains("error"));
  CHECK(bad["status"] == "insufficient_funds");
  CHECK(bad["error"] == "balance too low");
}

TEST_CASE("a transaction renders with its receipt", "[render]") {
  SampleTx s;
  api::TransactionInfo info;
  info.set_tx_hash(crypto::hash_bytes(tx::hash_of(s.signed_tx)));
  info.set_status(api::TX_COMMITTED);
  *info.mutable_transaction() = s.signed_tx;
  info.set_height(9);
  info.set_block_hash(bytes_of('\x09', 32));
  info.set_timestamp_ms(5);
  *info.mutable_receipt() = ok_receipt(s.signed_tx, 9);

  const Json j = tools::transaction_info_json(info);
  const std::string hash = crypto::to_hex(tx::hash_of(s.signed_tx));
  CHECK(j["tx_hash"] == hash);
  CHECK(j["hash"] == hash);
  CHECK(j["status"] == "committed");
  CHECK(j["height"] == 9);
  CHECK(j["block_hash"] == crypto::to_hex(bytes_of('\x09', 32)));
  // The body is decoded from the signed bytes when the answer carries no decoded copy.
  CHECK(j["sender"] == crypto::format_address(s.key.address()));
  CHECK(j["call"]["action"] == "transfer");
  CHECK(j["public_key"] == crypto::to_hex(s.key.public_key()));
  CHECK(j["signature"].get<std::string>().size() == 128);
  CHECK(j["receipt"]["status"] == "ok");
  CHECK(j["receipt"]["ok"] == true);
  CHECK(j["receipt"]["tx_hash"] == hash);
}

TEST_CASE("an account renders, known or not", "[render]") {
  const std::string address = bytes_of('\x33', crypto::kAddressSize);
  ledger::Account a;
  a.set_address(address);
  a.set_balance(100'000'000);
  a.set_nonce(3);
  a.add_roles("attester");
  a.set_organisation("Acme Motors");
  ledger::Qualification* q = a.add_qualifications();
  q->set_name("certified_technician");
  q->set_expires_at_ms(1'893'456'000'000);
  Json j = tools::account_json(address, a);
  CHECK(j["address"] == crypto::format_address(address));
  CHECK(j["balance"] == 100'000'000);
  CHECK(j["nonce"] == 3);
  CHECK(j["roles"] == Json::array({"attester"}));
  CHECK(j["organisation"] == "Acme Motors");
  CHECK(j["qualifications"][0]["name"] == "certified_technician");
  CHECK(j["qualifications"][0]["expires_at_ms"] == 1'893'456'000'000ULL);
  CHECK(j["exists"] == true);

  j = tools::account_json(address, std::nullopt);
  CHECK(j["address"] == crypto::format_address(address));
  CHECK(j["balance"] == 0);
  CHECK(j["nonce"] == 0);
  CHECK(j["roles"] == Json::array());
  CHECK(j["qualifications"] == Json::array());
  CHECK(j["exists"] == false);
}

TEST_CASE("a node status renders with the documented fields", "[render]") {
  api::NodeStatus s;
  s.set_chain_id("sharechain-local");
  s.set_height(42);
  s.set_view(1);
  s.set_validators(4);
  s.set_node_id(2);
  s.set_node_name("node2");
  s.set_primary(1);
  s.set_last_block_hash(bytes_of('\x07', 32));
  api::PeerStatus* p = s.add_peers();
  p->set_validator(0);
  p->set_address("127.0.0.1:26601");
  p->set_connected(true);
  const Json j = tools::status_json(s);
  CHECK(j["chain_id"] == "sharechain-local");
  CHECK(j["height"] == 42);
  CHECK(j["view"] == 1);
  CHECK(j["validators"] == 4);
  CHECK(j["node_id"] == 2);
  CHECK(j["primary"] == 1);
  CHECK(j["last_block_hash"] == crypto::to_hex(bytes_of('\x07', 32)));
  CHECK(j["peers"][0]["address"] == "127.0.0.1:26601");
  CHECK(j["peers"][0]["connected"] == true);
}

TEST_CASE("a submission renders its hash, and height and result once committed", "[render]") {
  SampleTx s;
  const crypto::Hash hash = tx::hash_of(s.signed_tx);
  api::SubmitResponse pending;
  pending.set_status(api::TX_PENDING);
  Json j = tools::submit_json(hash, pending);
  CHECK(j["tx_hash"] == crypto::to_hex(hash));
  CHECK(j["status"] == "pending");
  CHECK_FALSE(j.contains("height"));

  api::SubmitResponse committed;
  committed.set_status(api::TX_COMMITTED);
  committed.set_height(11);
  *committed.mutable_receipt() = ok_receipt(s.signed_tx, 11);
  committed.mutable_receipt()->set_status(RECEIPT_PERMISSION_DENIED);
  committed.mutable_receipt()->set_error("only an operator may grant roles");
  j = tools::submit_json(hash, committed);
  CHECK(j["status"] == "committed");
  CHECK(j["height"] == 11);
  CHECK(j["result"] == "permission_denied");
  CHECK(j["error"] == "only an operator may grant roles");
  CHECK(j["events"].size() == 1);
}

TEST_CASE("generic messages render by reflection", "[render]") {
  ledger::Account a;
  a.set_address(bytes_of('\x44', crypto::kAddressSize));
  a.set_balance(std::uint64_t{1} << 60);  // beyond a double's exact range: still exact
  Json j = tools::proto_to_json(a);
  CHECK(j["address"] == crypto::format_address(bytes_of('\x44', crypto::kAddressSize)));
  CHECK(j["balance"].get<std::uint64_t>() == std::uint64_t{1} << 60);
  CHECK(j["nonce"] == 0);           // defaults are present
  CHECK(j["roles"] == Json::array());

  Receipt r;
  r.set_tx_hash(bytes_of('\x0a', 32));
  r.set_status(RECEIPT_BAD_NONCE);
  j = tools::proto_to_json(r);
  CHECK(j["tx_hash"] == crypto::to_hex(bytes_of('\x0a', 32)));
  CHECK(j["status"] == "RECEIPT_BAD_NONCE");

  Block empty_block;
  j = tools::proto_to_json(empty_block);
  CHECK_FALSE(j.contains("certificate"));  // an unset sub-message is absent
}

TEST_CASE("status names, credits and times", "[render]") {
  CHECK(tools::tx_status_name(api::TX_COMMITTED) == "committed");
  CHECK(tools::tx_status_name(api::TX_UNKNOWN) == "unknown");
  CHECK(tools::receipt_status_name(RECEIPT_OK) == "ok");
  CHECK(tools::receipt_status_name(RECEIPT_INSUFFICIENT_FUNDS) == "insufficient_funds");
  CHECK(tools::format_credits(0) == "0.00");
  CHECK(tools::format_credits(5) == "0.05");
  CHECK(tools::format_credits(123456) == "1234.56");
  CHECK(tools::format_credits(18446744073709551615ULL) == "184467440737095516.15");
  CHECK(tools::format_amount(250) == "250 units (2.50 credits)");
  CHECK(tools::format_time_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(tools::format_time_ms(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  std::string ones;
  for (int i = 0; i < 32; ++i) ones += "01";
  CHECK(tools::render_bytes(bytes_of('\x01', 32)) == ones);
  CHECK(tools::render_bytes(bytes_of('\x01', 20)) == crypto::format_address(bytes_of('\x01', 20)));
  CHECK(tools::render_bytes(bytes_of('\x01', 20)).starts_with("sc1"));
  CHECK(tools::render_bytes("") == "");
}
