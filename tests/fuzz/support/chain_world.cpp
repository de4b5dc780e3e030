#include "tests/fuzz/support/chain_world.hpp"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <system_error>

#include "consensus/quorum.hpp"
#include "consensus/signing.hpp"
#include "contracts/executor.hpp"
#include "node/chain.hpp"
#include "tests/consensus/harness.hpp"
#include "tests/contracts/finance_fixture.hpp"
#include "tests/fuzz/support/contract_world.hpp"
#include "tests/fuzz/support/scratch.hpp"

namespace sharechain::fuzz {
namespace {

namespace ct = contracts::testing;
namespace cst = consensus::testing;

[[noreturn]] void build_failed(const std::string& what) {
  std::fprintf(stderr, "fuzz chain world: %s\n", what.c_str());
  std::abort();
}

std::vector<ct::Actor> actors() {
  return {{"operator", 0, {"operator"}, ""},
          {"dataserver", 0, {"data_server"}, ""},
          {"investor", 100'000, {}, ""},
          {"equipment", 1'000, {}, ""},
          {"tech", 50'000, {}, ""},
          {"driver", 50'000, {}, ""},
          {"ann", 1'000, {}, ""},
          {"ben", 1'000, {}, ""},
          {"a1", 0, {"attester"}, "Maker Motors"},
          {"a2", 0, {"attester"}, "Safe Insurance"},
          {"a3", 0, {"attester"}, "City Garage"},
          {"a4", 0, {"attester"}, "Vehicle Registry"}};
}

// What each honest block holds: (sender, call) pairs. Ids created by earlier blocks are filled
// in from their receipts as the chain is built.
struct Planned {
  std::string sender;
  TransactionBody body;
};

TransactionBody ledger(const ct::lpb::Call& c) {
  TransactionBody b;
  *b.mutable_ledger() = c;
  return b;
}

}  // namespace

ChainWorld::ChainWorld() {
  config_ = cst::make_config(4, 0);
  keys_ = std::make_unique<cst::Keys>(4);
  if (config_.checkpoint_interval != kCheckpointInterval) build_failed("checkpoint interval changed");

  genesis_ = ct::make_genesis(actors());
  genesis_.set_chain_id(config_.chain_id);
  genesis_.clear_validators();
  for (std::size_t i = 0; i < config_.validators.size(); ++i) {
    auto* v = genesis_.add_validators();
    v->set_name("node" + std::to_string(i));
    v->set_public_key(crypto::to_hex(config_.validators[i].public_key));
  }
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.add_whitespace = true;
  if (!google::protobuf::util::MessageToJsonString(genesis_, &genesis_json_, print).ok()) {
    build_failed("genesis does not print");
  }
  genesis_hash_ = crypto::hash_bytes(crypto::sha256(genesis_json_));
  auto state = contracts::genesis_state(genesis_);
  if (!state) build_failed("genesis refused: " + state.status().message());
  genesis_state_ = std::move(state).value();

  ScratchStore scratch("chain-world");
  node::Chain chain(config_.chain_id, [&] {
    scratch.reset(*this);
    return scratch.take();
  }());
  roots_.push_back(chain.store().state_root());

  std::map<std::string, std::uint64_t> nonces;
  std::string asset;
  std::string agreement;
  std::string record;
  auto plan_for = [&](std::uint64_t h) -> std::vector<Planned> {
    switch (h) {
      case 1:
        return {{"investor", [] {
                   TransactionBody b;
                   *b.mutable_assets() = ct::register_call(ct::station_spec());
                   return b;
                 }()},
                {"dataserver", ledger(ct::certify_call("tech", "certified_technician"))},
                {"driver", ledger(ct::transfer_call("ann", 250))}};
      case 2: {
        TransactionBody b;
        *b.mutable_usage() = ct::propose_call(asset, [] {
          ct::upb::Terms t = ct::station_terms();
          ct::set_partners(t, {"investor", "equipment"}, {7'000, 3'000});
          return t;
        }());
        return {{"investor", b}};
      }
      case 3: {
        TransactionBody b;
        *b.mutable_usage() = ct::confirm_call(agreement, 1);
        TransactionBody v;
        *v.mutable_vehicles() = ct::submit_call("1HGCM82633A004352", ct::vpb::REGISTRATION, 10, 0, "ben");
        return {{"equipment", b}, {"a1", v}};
      }
      case 4: {
        std::vector<Planned> out;
        for (const char* a : {"a2", "a3", "a4"}) {
          TransactionBody b;
          *b.mutable_vehicles() = ct::endorse_call(record, true);
          out.push_back({a, b});
        }
        return out;
      }
      case 5: {
        const std::uint64_t start = ct::kStartMs - ct::kStartMs % ct::kDay + ct::kDay + 9 * ct::kHour;
        TransactionBody b;
        *b.mutable_usage() = ct::reserve_call(agreement, start, start + ct::kHour, {"lift"});
        return {{"tech", b}, {"ann", ledger(ct::transfer_call("ben", 100))}};
      }
      case 6: {
        TransactionBody b;
        *b.mutable_financing() = ct::offer_call(
            asset, ct::financing_terms(50'000, 10'000, 1'000, 1'000,
                                       ct::kStartMs + 30 * ct::kDay, ct::kStartMs + 400 * ct::kDay));
        return {{"investor", b}};
      }
      case 7: {
        TransactionBody b;
        *b.mutable_vehicles() = ct::offer_transfer_call("1HGCM82633A004352", "ann", 12);
        return {{"ben", b}, {"driver", ledger(ct::transfer_call("tech", 1'000))}};
      }
      default:
        return {{"ann", ledger(ct::transfer_call("driver", 50))},
                {"ben", ledger(ct::transfer_call("driver", 60))}};
    }
  };

  crypto::Hash prev{};
  std::uint64_t ts = genesis_.genesis_time_ms();
  for (std::uint64_t h = 1; h <= kHonestHeight; ++h) {
    ts += 1'000;
    Block block;
    std::vector<crypto::Hash> tx_hashes;
    for (Planned& p : plan_for(h)) {
      p.body.set_chain_id(config_.chain_id);
      p.body.set_sender(ct::address_for(p.sender));
      p.body.set_nonce(nonces[p.sender]++);
      const SignedTransaction tx = sign_deterministic(p.body, p.sender);
      tx_hashes.push_back(tx::hash_of(tx));
      tx.SerializeToString(block.add_transactions());
    }
    BlockHeader header;
    header.set_chain_id(config_.chain_id);
    header.set_height(h);
    header.set_view(0);
    header.set_prev_hash(crypto::hash_bytes(prev));
    header.set_timestamp_ms(ts);
    header.set_tx_root(crypto::hash_bytes(crypto::merkle_root(tx_hashes)));
    header.set_signed_tx_root(crypto::hash_bytes(consensus::signed_transactions_root(block)));
    header.set_state_height(h - 1);
    header.set_state_root(crypto::hash_bytes(roots_.back()));
    header.set_proposer(consensus::primary_of(0, 4));
    header.SerializeToString(block.mutable_header());
    const crypto::Hash hash = consensus::block_hash(block);
    // Different quorums sign different blocks, as they would on a live chain.
    const std::vector<std::uint32_t> voters =
        h % 3 == 0 ? std::vector<std::uint32_t>{1, 2, 3}
                   : (h % 3 == 1 ? std::vector<std::uint32_t>{0, 1, 2}
                                 : std::vector<std::uint32_t>{0, 1, 2, 3});
    *block.mutable_certificate() = cst::commit_certificate(*keys_, voters, 0, h, hash);
    if (Status s = consensus::verify_commit_certificate(config_, block, keys_->verifier()); !s) {
      build_failed("block " + std::to_string(h) + " certificate: " + s.message());
    }
    auto executed = chain.execute(block, hash, h);
    if (!executed) build_failed("block " + std::to_string(h) + ": " + executed.status().message());
    for (const Receipt& r : executed->receipts) {
      if (r.status() != RECEIPT_OK) {
        build_failed("block " + std::to_string(h) + " refused a transaction: " + r.error());
      }
      if (auto id = ct::event_id(r, "AssetRegistered", "asset"); !id.empty()) asset = id;
      if (auto id = ct::event_id(r, "AgreementProposed", "agreement"); !id.empty()) agreement = id;
      if (auto id = ct::event_id(r, "RecordSubmitted", "record"); !id.empty()) record = id;
    }
    blocks_.push_back(block);
    roots_.push_back(executed->state_root);
    prev = hash;
    if (h % kCheckpointInterval == 0) {
      std::vector<std::pair<std::string, std::string>> entries;
      chain.store().snapshot()->for_each("", [&](std::string_view k, std::string_view v) {
        entries.emplace_back(std::string(k), std::string(v));
        return true;
      });
      states_.push_back(std::move(entries));
    }
  }
}

const ChainWorld& chain_world() {
  static const ChainWorld* world = new ChainWorld();
  return *world;
}

consensus::Verifier& ChainWorld::verifier() const { return keys_->verifier(); }

std::uint64_t ChainWorld::timestamp(std::uint64_t height) const {
  if (height == 0) return genesis_.genesis_time_ms();
  BlockHeader header;
  header.ParseFromString(blocks_.at(height - 1).header());
  return header.timestamp_ms();
}

consensus::CheckpointProof ChainWorld::checkpoint_proof(std::uint64_t height) const {
  const crypto::Hash hash = consensus::block_hash(blocks_.at(height - 1));
  const crypto::Hash root = roots_.at(height);
  consensus::CheckpointProof proof;
  proof.set_height(height);
  proof.set_block_hash(crypto::hash_bytes(hash));
  proof.set_state_root(crypto::hash_bytes(root));
  for (std::uint32_t v : {0u, 2u, 3u}) {
    auto* vote = proof.add_votes();
    vote->set_validator(v);
    vote->set_signature(keys_->checkpoint_vote(v, height, hash, root));
  }
  return proof;
}

const std::vector<std::pair<std::string, std::string>>& ChainWorld::state_at(std::uint64_t height) const {
  if (height == 0 || height % kCheckpointInterval != 0) build_failed("no checkpoint state there");
  return states_.at(height / kCheckpointInterval - 1);
}

std::vector<peer::SnapshotChunk> ChainWorld::snapshot_chunks(std::uint64_t height,
                                                             std::size_t page_bytes) const {
  // As PeerNetwork::Service::GetSnapshot writes them: the first chunk carries the block, the
  // proof, the root and the time; every chunk its height and a page of entries; the last one
  // says so.
  const auto& entries = state_at(height);
  std::vector<peer::SnapshotChunk> out;
  peer::SnapshotChunk chunk;
  chunk.set_height(height);
  chunk.set_state_root(crypto::hash_bytes(roots_.at(height)));
  chunk.set_block(blocks_.at(height - 1).SerializeAsString());
  chunk.set_checkpoint_proof(checkpoint_proof(height).SerializeAsString());
  chunk.set_timestamp_ms(timestamp(height));
  std::size_t bytes = 0;
  for (const auto& [k, v] : entries) {
    if (chunk.entries_size() > 0 && bytes + k.size() + v.size() > page_bytes) {
      out.push_back(std::move(chunk));
      chunk = peer::SnapshotChunk();
      chunk.set_height(height);
      bytes = 0;
    }
    auto* e = chunk.add_entries();
    e->set_key(k);
    e->set_value(v);
    bytes += k.size() + v.size();
  }
  chunk.set_last(true);
  out.push_back(std::move(chunk));
  return out;
}

std::unique_ptr<storage::Store> ChainWorld::fresh_store(const std::filesystem::path& dir) const {
  storage::Options options;
  options.sync = false;  // a scratch store: nothing to lose on a crash, and fsync costs time
  options.block_cache_bytes = 1 << 20;
  auto store = storage::Store::open(dir, options);
  if (!store) build_failed("cannot open a store in " + dir.string() + ": " + store.status().message());
  if (Status s = (*store)->init_genesis(genesis_hash_, genesis_state_, genesis_.genesis_time_ms()); !s) {
    build_failed("init_genesis: " + s.message());
  }
  return std::move(store).value();
}

ScratchStore::ScratchStore(const std::string& name) : dir_(scratch_dir() / name) {}

ScratchStore::~ScratchStore() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

storage::Store& ScratchStore::reset(const ChainWorld& world) {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  store_ = world.fresh_store(dir_);
  return *store_;
}

std::unique_ptr<storage::Store> ScratchStore::take() { return std::move(store_); }

}  // namespace sharechain::fuzz
