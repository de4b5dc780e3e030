#include "tools/chaos/collect.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <future>
#include <mutex>
#include <thread>

#include "proto/crypto.hpp"
#include "sharechain/types.pb.h"
#include "tools/common/client.hpp"
#include "tools/common/files.hpp"
#include "tools/net/layout.hpp"
#include "proofs/verify.hpp"
#include "proto/genesis.hpp"

namespace sharechain::chaos {
namespace {

using Clock = std::chrono::steady_clock;
using tools::Failure;
using client::Node;

// The NodeStatus fields another change adds (synced, history_complete, history_from,
// history_missing) are read by name, so this checker reports them as soon as the node has them
// and says "not available" before.
constexpr std::string_view kHistoryComplete = "history_complete";
constexpr std::array<std::string_view, 4> kHistoryFields = {"synced", "history_complete",
                                                            "history_from", "history_missing"};

void read_history(const api::NodeStatus& status, NodeView& view) {
  const tools::Json all = tools::proto_to_json(status);
  view.history = tools::Json::object();
  for (std::string_view name : kHistoryFields) {
    const std::string key(name);
    if (all.contains(key)) view.history[key] = all.at(key);
  }
  const auto* field = status.GetDescriptor()->FindFieldByName(std::string(kHistoryComplete));
  if (field != nullptr && field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_BOOL &&
      !field->is_repeated()) {
    view.history_complete = status.GetReflection()->GetBool(status, field);
  }
}

// A call that fails because the node is out of reach is tried again a few times: a node that
// is merely slow at the end of a run must not read as a node that lost its blocks.
template <typename T, typename Call>
tools::Outcome<T> with_retries(Call call) {
  tools::Outcome<T> r = call();
  for (int attempt = 0; attempt < 3 && !r && r.failure().exit_code == tools::kExitUnreachable;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    r = call();
  }
  return r;
}

struct GenesisFacts {
  std::uint64_t total = 0;
  std::set<std::string> accounts;
};

tools::Outcome<GenesisFacts> read_genesis(const std::filesystem::path& file) {
  Result<std::string> text = tools::read_file(file);
  if (!text) return Failure::usage(text.status().message());
  sharechain::Genesis g;
  const auto st = google::protobuf::util::JsonStringToMessage(*text, &g);
  if (!st.ok()) return Failure::usage("cannot read " + file.string() + ": " + st.ToString());
  GenesisFacts out;
  for (const GenesisAccount& a : g.accounts()) {
    auto address = crypto::parse_address(a.address());
    if (!address)
      return Failure::usage(file.string() + ": account '" + a.name() + "' has a malformed address");
    out.accounts.insert(*address);
    out.total += a.balance();
  }
  return out;
}

// What the blocks of one node say beyond their digests.
struct BlockContents {
  std::set<std::string> addresses;
  std::map<std::uint64_t, std::uint64_t> minted;  // by height
};

void read_block_contents(const api::BlockInfo& info, BlockContents& out) {
  std::uint64_t minted = 0;
  for (int i = 0; i < info.block().transactions_size(); ++i) {
    SignedTransaction tx;
    TransactionBody body;
    if (!tx.ParseFromString(info.block().transactions(i)) || !body.ParseFromString(tx.body()))
      continue;
    out.addresses.insert(body.sender());
    if (!body.has_ledger()) continue;
    const bool ok = i < info.receipts_size() && info.receipts(i).status() == RECEIPT_OK;
    if (body.ledger().has_transfer()) out.addresses.insert(body.ledger().transfer().to());
    if (body.ledger().has_issue()) {
      out.addresses.insert(body.ledger().issue().to());
      if (ok) minted += body.ledger().issue().amount();
    }
  }
  out.minted[info.height()] = minted;
}

void read_node(const net::NodeLayout& layout, std::chrono::milliseconds timeout,
               const std::set<std::string>& acked_hashes, NodeView& view, BlockContents& contents) {
  Node client(layout.api_address, timeout, Node::Connection::kPrivate);
  auto status = with_retries<api::NodeStatus>([&] { return client.status(); });
  if (!status) {
    view.error = status.failure().message;
    return;
  }
  view.height = status->height();
  read_history(*status, view);
  for (std::uint64_t h = 1; h <= *view.height; ++h) {
    auto block = with_retries<api::BlockInfo>([&] { return client.block_at(h); });
    if (!block) {
      if (block.failure().exit_code == tools::kExitUnreachable) {
        view.error = "stopped answering while its blocks were read: " + block.failure().message;
        view.height.reset();
        return;
      }
      continue;  // the node does not have this block: a hole check_blocks reports
    }
    BlockHeader header;
    header.ParseFromString(block->block().header());
    view.blocks[h] = BlockDigest{block->hash(), header.prev_hash(), block->state_root()};
    read_block_contents(*block, contents);
  }
  for (const std::string& hash : acked_hashes) {
    auto info = with_retries<api::TransactionInfo>([&] { return client.transaction(hash); });
    if (!info) {
      view.txs[hash] = std::nullopt;
      continue;
    }
    TxSighting s;
    s.committed = info->status() == api::TX_COMMITTED;
    s.height = info->height();
    s.block_hash = info->block_hash();
    s.nonce = info->body().nonce();
    s.from = info->body().sender();
    if (info->body().has_ledger() && info->body().ledger().has_transfer()) {
      const ledger::Transfer& t = info->body().ledger().transfer();
      s.to = t.to();
      s.amount = t.amount();
      s.memo = t.memo();
    }
    view.txs[hash] = std::move(s);
  }
  api::QueryRequest query;
  query.mutable_ledger()->mutable_supply();
  auto supply = with_retries<api::QueryResponse>([&] { return client.query(query); });
  if (supply && supply->has_ledger() && supply->ledger().has_supply()) {
    const ledger::Supply& s = supply->ledger().supply();
    view.supply = SupplyState{s.issued(), s.balances(), s.escrow(), s.accounts()};
  } else if (!supply) {
    view.error = "supply query: " + supply.failure().message;
  } else {
    view.error = "supply query: the answer holds no supply";
  }
}

void read_accounts(const net::NodeLayout& layout, std::chrono::milliseconds timeout,
                   const std::set<std::string>& addresses, NodeView& view) {
  Node client(layout.api_address, timeout, Node::Connection::kPrivate);
  for (const std::string& a : addresses) {
    auto account = with_retries<std::optional<ledger::Account>>([&] { return client.account(a); });
    if (!account) continue;  // check_balances reports it as not read
    AccountState s;
    if (*account)
      s = AccountState{(*account)->balance(), (*account)->nonce(), (*account)->escrow()};
    view.accounts[a] = s;
  }
}

// Waits until every node answers with the same height twice in a row, a second apart: after the
// load stops, the last transactions still commit and lagging nodes still catch up.
bool settle(const std::vector<net::NodeLayout>& layouts, std::chrono::seconds limit,
            std::ostream& progress) {
  const auto deadline = Clock::now() + limit;
  std::vector<std::optional<std::uint64_t>> previous;
  auto last_report = Clock::now();
  for (;;) {
    std::vector<std::future<std::optional<std::uint64_t>>> probes;
    for (const net::NodeLayout& n : layouts) {
      probes.push_back(std::async(std::launch::async, [&n] {
        Node c(n.api_address, std::chrono::milliseconds(2000),
               Node::Connection::kPrivate);
        auto s = c.status();
        return s ? std::optional<std::uint64_t>(s->height()) : std::nullopt;
      }));
    }
    std::vector<std::optional<std::uint64_t>> heights;
    for (auto& p : probes) heights.push_back(p.get());
    const bool all_equal = std::all_of(heights.begin(), heights.end(),
                                       [&](const auto& h) { return h && *h == *heights.front(); });
    if (all_equal && heights == previous) return true;
    if (Clock::now() >= deadline) return false;
    if (Clock::now() - last_report > std::chrono::seconds(10)) {
      std::string text;
      for (const auto& h : heights) text += " " + (h ? std::to_string(*h) : std::string("-"));
      progress << "check: waiting for the nodes to agree on a height:" << text << "\n";
      last_report = Clock::now();
    }
    previous = std::move(heights);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// Each node's proof of each sampled transaction, verified with the genesis validators alone.
void read_proofs(const net::NodeLayout& layout, std::chrono::milliseconds timeout, const proofs::Trust& trust,
                 const std::vector<std::string>& sample, NodeView& view) {
  Node client(layout.api_address, timeout, Node::Connection::kPrivate);
  for (const std::string& hash : sample) {
    auto proof = with_retries<api::TransactionProof>([&] { return client.proof(hash); });
    if (!proof) {
      view.proofs[hash] = "GetProof: " + proof.failure().message;
      continue;
    }
    auto proven = proofs::verify_transaction_proof(*proof, trust);
    view.proofs[hash] = proven ? std::string() : proven.status().message();
  }
}

// Acked transactions spread evenly over the run, and the one acknowledged at the highest height.
std::vector<std::string> proof_sample(const std::vector<LedgerRecord>& ledger) {
  std::vector<const LedgerRecord*> eligible;
  for (const LedgerRecord& r : ledger) {
    if (r.acked()) eligible.push_back(&r);
  }
  std::vector<std::string> out;
  if (eligible.empty()) return out;
  const LedgerRecord* newest = *std::max_element(
      eligible.begin(), eligible.end(), [](const LedgerRecord* a, const LedgerRecord* b) { return a->height < b->height; });
  out.push_back(newest->tx_hash);
  const std::size_t step = std::max<std::size_t>(1, eligible.size() / (kProofSample - 1));
  for (std::size_t i = 0; i < eligible.size() && out.size() < kProofSample; i += step) {
    if (eligible[i] != newest) out.push_back(eligible[i]->tx_hash);
  }
  return out;
}

}  // namespace

tools::Outcome<Collected> collect(const CollectOptions& options,
                                  const std::vector<LedgerRecord>& ledger, std::ostream& progress) {
  const net::ClusterPaths paths(options.dir);
  Result<std::vector<net::NodeLayout>> layouts = net::discover_nodes(paths);
  if (!layouts) return Failure::usage(layouts.status().message());
  tools::Outcome<GenesisFacts> genesis = read_genesis(paths.genesis());
  if (!genesis) return genesis.failure();

  Collected out;
  const auto started = Clock::now();
  out.settled = settle(*layouts, options.settle, progress);
  out.settle_s = std::chrono::duration<double>(Clock::now() - started).count();

  std::set<std::string> acked_hashes;
  for (const LedgerRecord& r : ledger) {
    if (r.acked()) acked_hashes.insert(r.tx_hash);
  }
  const std::size_t n = layouts->size();
  out.nodes.resize(n);
  std::vector<BlockContents> contents(n);
  {
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < n; ++i) {
      out.nodes[i].name = (*layouts)[i].name;
      readers.emplace_back([&, i] {
        read_node((*layouts)[i], options.timeout, acked_hashes, out.nodes[i], contents[i]);
      });
    }
    for (auto& t : readers) t.join();
  }

  out.supply.genesis_total = genesis->total;
  out.supply.known_accounts = genesis->accounts;
  std::map<std::uint64_t, std::uint64_t> minted;
  for (const BlockContents& c : contents) {
    out.supply.known_accounts.insert(c.addresses.begin(), c.addresses.end());
    minted.insert(c.minted.begin(),
                  c.minted.end());  // the first node holding a height speaks for it
  }
  for (const auto& [h, units] : minted) out.supply.minted += units;
  for (const NodeView& v : out.nodes) {
    if (v.height) out.tip = std::max(out.tip, *v.height);
  }
  {
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < n; ++i) {
      if (!out.nodes[i].height) continue;
      readers.emplace_back([&, i] {
        read_accounts((*layouts)[i], options.timeout, out.supply.known_accounts, out.nodes[i]);
      });
    }
    for (auto& t : readers) t.join();
  }
  auto genesis_bytes = tools::read_file(paths.genesis());
  if (!genesis_bytes) return Failure::usage(genesis_bytes.status().message());
  auto loaded = parse_genesis(*genesis_bytes, paths.genesis().string());
  if (!loaded) return Failure::usage(loaded.status().message());
  const proofs::Trust trust = proofs::trust_from(*loaded);
  const std::vector<std::string> sample = proof_sample(ledger);
  {
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < n; ++i) {
      if (!out.nodes[i].height) continue;
      readers.emplace_back([&, i] { read_proofs((*layouts)[i], options.timeout, trust, sample, out.nodes[i]); });
    }
    for (auto& t : readers) t.join();
  }
  return out;
}

}  // namespace sharechain::chaos
