#include "explorer/api.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include "contracts/executor.hpp"
#include "proto/address.hpp"
#include "proto/crypto.hpp"
#include "proto/transaction.hpp"
#include "reports/portfolio.hpp"

namespace sharechain::explorer {

using reports::Json;

namespace {

constexpr std::uint64_t kRateWindowMs = 60'000;  // the tip's chart: the last minute
constexpr std::uint64_t kRateBucketMs = 1'000;
constexpr std::uint64_t kMaxBlocksScanned = 600;  // bounds the work of one tip request
constexpr std::uint64_t kRecentBlocks = 10;
constexpr std::uint64_t kLivenessBlocks = 100;    // certificates read for the validators page
constexpr std::uint64_t kMaxListed = 100;

ApiAnswer error(unsigned status, std::string message) {
  return {status, Json{{"error", std::move(message)}}};
}

// A failed contract query as an answer: the caller's input, or the chain not holding it.
ApiAnswer from_status(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument: return error(400, s.message());
    case Code::kNotFound: return error(404, s.message());
    default: return error(500, s.message());
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (!all_digits(s) || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// Raw bytes of `n` bytes from hex (upper or lower case); nullopt otherwise.
std::optional<std::string> hex_of_size(std::string_view text, std::size_t n) {
  if (text.size() != 2 * n) return std::nullopt;
  return crypto::from_hex(text);
}

// The store and the contracts as a reports::ChainReader, for the portfolio.
class StoreReader final : public reports::ChainReader {
 public:
  explicit StoreReader(const storage::Store& store) : store_(store) {}
  Result<std::optional<ledger::Account>> account(const std::string& address20) override {
    auto a = contracts::get_account(store_, address20);
    if (a) return std::optional<ledger::Account>(std::move(a).value());
    if (a.status().code() == Code::kNotFound) return std::optional<ledger::Account>();
    return a.status();
  }
  Result<api::QueryResponse> query(const api::QueryRequest& request) override {
    const std::uint64_t height = store_.height();
    auto r = contracts::query(store_, request);
    if (r) r->set_height(height);
    return r;
  }

 private:
  const storage::Store& store_;
};

struct BlockSummary {
  std::uint64_t height = 0;
  std::string hash;
  std::uint64_t timestamp_ms = 0;
  std::uint32_t proposer = 0;
  std::uint64_t view = 0;
  std::size_t transactions = 0;
  std::vector<std::uint32_t> signers;
};

std::optional<BlockSummary> summary_at(const storage::Store& store, std::uint64_t height) {
  auto block = store.block_at(height);
  if (!block) return std::nullopt;
  BlockHeader header;
  header.ParseFromString(block->header());
  BlockSummary b;
  b.height = height;
  b.hash = crypto::to_hex(crypto::sha256(block->header()));
  b.timestamp_ms = header.timestamp_ms();
  b.proposer = header.proposer();
  b.view = header.view();
  b.transactions = static_cast<std::size_t>(block->transactions_size());
  for (const CommitVote& v : block->certificate().votes()) b.signers.push_back(v.validator());
  return b;
}

Json summary_json(const BlockSummary& b) {
  return {{"height", b.height},          {"hash", b.hash},
          {"timestamp_ms", b.timestamp_ms}, {"proposer", b.proposer},
          {"view", b.view},              {"transactions", b.transactions},
          {"signers", b.signers.size()}};
}

// The validator set the ledger keeps (index, name, public key, address).
std::vector<ledger::ValidatorInfo> validator_set(const storage::Store& store) {
  api::QueryRequest q;
  q.mutable_ledger()->mutable_validators();
  auto r = contracts::query(store, q);
  if (!r) return {};
  const auto& v = r->ledger().validators().validators();
  return {v.begin(), v.end()};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A VIN as the vehicles contract takes it: 1..32 letters and digits.
bool plausible_vin(std::string_view vin) {
  return !vin.empty() && vin.size() <= 32 &&
         std::all_of(vin.begin(), vin.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::string query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

ApiAnswer Api::route(std::string_view rest, std::string_view query) const {
  const auto slash = rest.find('/');
  const std::string_view head = rest.substr(0, slash);
  const std::string arg =
      slash == std::string_view::npos ? std::string() : percent_decode(rest.substr(slash + 1));
  const bool has_arg = slash != std::string_view::npos;
  auto need = [&](const char* what) {
    return error(400, std::string("/explorer/api/") + std::string(head) + "/" + what +
                          ": the " + what + " is missing");
  };
  if (head == "tip" && !has_arg) return tip();
  if (head == "blocks" && !has_arg) return blocks(query);
  if (head == "validators" && !has_arg) return validators();
  if (head == "search" && !has_arg) return search(query_param(query, "q"));
  if (head == "block") return arg.empty() ? need("HEIGHT_OR_HASH") : block(arg);
  if (head == "tx") return arg.empty() ? need("HASH") : tx(arg);
  if (head == "account") return arg.empty() ? need("ADDRESS") : account(arg);
  if (head == "asset") return arg.empty() ? need("ASSET_ID") : asset(arg);
  if (head == "investor") return arg.empty() ? need("ADDRESS") : investor(arg);
  if (head == "vehicle") return arg.empty() ? need("VIN") : vehicle(arg);
  return error(404, "no endpoint /explorer/api/" + std::string(rest) +
                        "; see docs/explorer.md (tip, blocks, block/ID, tx/HASH, validators, "
                        "account/ADDRESS, asset/ID, investor/ADDRESS, vehicle/VIN, search?q=)");
}

ApiAnswer Api::tip() const {
  const storage::Store& store = *s_.store;
  const std::uint64_t height = store.height();
  const std::uint64_t now = s_.now_ms();
  Json j;
  j["chain_id"] = s_.chain_id;
  j["height"] = height;
  j["hash"] = crypto::to_hex(store.last_block_hash());
  j["timestamp_ms"] = store.last_timestamp_ms();
  j["state_root"] = crypto::to_hex(store.state_root());
  j["now_ms"] = now;
  if (s_.status) {
    const api::NodeStatus st = s_.status();
    j["node"] = {{"name", st.node_name()},       {"id", st.node_id()},
                 {"view", st.view()},            {"primary", st.primary()},
                 {"synced", st.synced()},        {"mempool_size", st.mempool_size()},
                 {"validators", st.validators()}, {"version", st.version()}};
  }
  // Blocks and transactions per second over the last minute, by the blocks' own timestamps,
  // in one-second buckets, oldest first.
  const std::uint64_t window_end = std::max(now, store.last_timestamp_ms());
  const std::uint64_t window_start = window_end - std::min(window_end, kRateWindowMs);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets(kRateWindowMs / kRateBucketMs);
  std::uint64_t blocks_in = 0, txs_in = 0;
  bool truncated = false;
  Json recent = Json::array();
  for (std::uint64_t h = height, scanned = 0; h >= 1; --h, ++scanned) {
    if (scanned == kMaxBlocksScanned) {
      truncated = true;
      break;
    }
    if (store.gap_at(h)) break;
    auto b = summary_at(store, h);
    if (!b) break;
    if (recent.size() < kRecentBlocks) recent.push_back(summary_json(*b));
    if (b->timestamp_ms < window_start) {
      if (recent.size() >= kRecentBlocks) break;
      continue;
    }
    const std::size_t i = static_cast<std::size_t>(
        std::min<std::uint64_t>((b->timestamp_ms - window_start) / kRateBucketMs, buckets.size() - 1));
    buckets[i].first += 1;
    buckets[i].second += b->transactions;
    ++blocks_in;
    txs_in += b->transactions;
  }
  Json series = Json::array();
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    series.push_back({{"t_ms", window_start + i * kRateBucketMs},
                      {"blocks", buckets[i].first},
                      {"transactions", buckets[i].second}});
  }
  const double seconds = static_cast<double>(kRateWindowMs) / 1000.0;
  j["rates"] = {{"window_s", kRateWindowMs / 1000},
                {"blocks", blocks_in},
                {"transactions", txs_in},
                {"blocks_per_s", static_cast<double>(blocks_in) / seconds},
                {"tx_per_s", static_cast<double>(txs_in) / seconds},
                {"truncated", truncated}};
  j["series"] = std::move(series);
  j["recent"] = std::move(recent);
  return {200, std::move(j)};
}

ApiAnswer Api::blocks(std::string_view query) const {
  const storage::Store& store = *s_.store;
  const std::uint64_t height = store.height();
  std::uint64_t before = height + 1;
  std::uint64_t limit = 20;
  if (const std::string b = query_param(query, "before"); !b.empty()) {
    auto v = parse_u64(b);
    if (!v) return error(400, "before=" + b + ": a block height (a whole number) is expected");
    before = std::min(*v, height + 1);
  }
  if (const std::string l = query_param(query, "limit"); !l.empty()) {
    auto v = parse_u64(l);
    if (!v || *v == 0 || *v > kMaxListed) {
      return error(400, "limit=" + l + ": between 1 and " + std::to_string(kMaxListed));
    }
    limit = *v;
  }
  Json list = Json::array();
  std::uint64_t h = before;
  while (h > 1 && list.size() < limit) {
    --h;
    if (store.gap_at(h)) break;
    auto b = summary_at(store, h);
    if (!b) break;
    list.push_back(summary_json(*b));
  }
  Json j{{"height", height}, {"blocks", std::move(list)}};
  j["next_before"] = h > 1 ? h : 0;
  return {200, std::move(j)};
}

ApiAnswer Api::block(std::string_view id) const {
  const storage::Store& store = *s_.store;
  std::uint64_t height = 0;
  if (all_digits(id)) {
    auto v = parse_u64(id);
    if (!v) return error(400, "block height " + std::string(id) + " is too large");
    if (*v == 0) return error(400, "block heights start at 1 (0 is the genesis state)");
    height = *v;
  } else if (auto raw = hex_of_size(id, 32)) {
    auto h = store.height_of(*crypto::hash_from_bytes(*raw));
    if (!h) return error(404, "no block with hash " + std::string(id) + " on this chain");
    height = *h;
  } else {
    return error(400, "'" + std::string(id) +
                          "' is neither a block height nor a block hash (64 hex digits)");
  }
  if (store.gap_at(height)) {
    return error(404, "block " + std::to_string(height) +
                          " is not yet backfilled on this node; another node has it");
  }
  auto block = store.block_at(height);
  if (!block) {
    return error(404, "no block at height " + std::to_string(height) + "; the chain is at height " +
                          std::to_string(store.height()));
  }
  // The same BlockInfo the client API's GetBlock answers, rendered as `sharechain block --json`.
  api::BlockInfo info;
  info.set_height(height);
  info.set_hash(crypto::hash_bytes(crypto::sha256(block->header())));
  info.mutable_header()->ParseFromString(block->header());
  for (auto& r : store.receipts_at(height)) *info.add_receipts() = std::move(r);
  if (auto root = store.state_root_at(height)) info.set_state_root(crypto::hash_bytes(*root));
  *info.mutable_block() = std::move(*block);
  Json j = reports::block_json(info);
  j["tip"] = store.height();
  const auto set = validator_set(store);
  Json signers = Json::array();
  for (const CommitVote& v : info.block().certificate().votes()) {
    Json s{{"validator", v.validator()}, {"name", ""}, {"address", ""}};
    for (const auto& val : set) {
      if (val.index() == v.validator()) {
        s["name"] = val.name();
        s["address"] = crypto::format_address(val.address());
      }
    }
    signers.push_back(std::move(s));
  }
  j["signers"] = std::move(signers);
  return {200, std::move(j)};
}

ApiAnswer Api::tx(std::string_view text) const {
  const storage::Store& store = *s_.store;
  auto raw = hex_of_size(text, 32);
  if (!raw) {
    return error(400, "'" + std::string(text) + "' is not a transaction hash (64 hex digits)");
  }
  const crypto::Hash hash = *crypto::hash_from_bytes(*raw);
  auto loc = store.find_tx(hash);
  if (!loc) {
    return error(404, "no committed transaction " + crypto::to_hex(hash) +
                          " on this node (a pending one shows once it is in a block)");
  }
  auto block = store.block_at(loc->height);
  if (!block || loc->index >= static_cast<std::uint32_t>(block->transactions_size())) {
    return error(500, "the transaction index points at a missing block");
  }
  // The same TransactionInfo GetTransaction answers, rendered as `sharechain tx --json`.
  api::TransactionInfo info;
  info.set_tx_hash(crypto::hash_bytes(hash));
  info.set_status(api::TX_COMMITTED);
  info.set_height(loc->height);
  info.set_block_hash(crypto::hash_bytes(crypto::sha256(block->header())));
  info.mutable_transaction()->ParseFromString(block->transactions(static_cast<int>(loc->index)));
  info.mutable_body()->ParseFromString(info.transaction().body());
  BlockHeader header;
  header.ParseFromString(block->header());
  info.set_timestamp_ms(header.timestamp_ms());
  if (auto receipt = store.receipt_at(loc->height, loc->index)) *info.mutable_receipt() = *receipt;
  Json j = reports::transaction_info_json(info);
  j["index"] = loc->index;
  return {200, std::move(j)};
}

ApiAnswer Api::validators() const {
  const storage::Store& store = *s_.store;
  const auto set = validator_set(store);
  std::optional<api::NodeStatus> st;
  if (s_.status) st = s_.status();
  // Liveness from the commit certificates of the last blocks: who signed, who proposed.
  struct Seen {
    std::uint64_t last_signed = 0;
    std::uint64_t signed_count = 0;
    std::uint64_t proposed = 0;
  };
  std::map<std::uint32_t, Seen> seen;
  const std::uint64_t height = store.height();
  std::uint64_t scanned = 0;
  for (std::uint64_t h = height; h >= 1 && scanned < kLivenessBlocks; --h, ++scanned) {
    if (store.gap_at(h)) break;
    auto b = summary_at(store, h);
    if (!b) break;
    seen[b->proposer].proposed += 1;
    for (std::uint32_t v : b->signers) {
      Seen& s = seen[v];
      s.last_signed = std::max(s.last_signed, h);
      s.signed_count += 1;
    }
  }
  Json list = Json::array();
  for (const auto& v : set) {
    Json j = reports::validator_json(v);
    const Seen s = seen[v.index()];
    j["last_signed_height"] = s.last_signed;
    j["signed_recent"] = s.signed_count;
    j["proposed_recent"] = s.proposed;
    if (st) {
      j["is_self"] = st->node_id() == v.index();
      j["is_primary"] = st->primary() == v.index();
      if (st->node_id() == v.index()) {
        j["connected"] = true;
      } else {
        for (const auto& p : st->peers()) {
          if (p.validator() == v.index()) j["connected"] = p.connected();
        }
      }
    }
    list.push_back(std::move(j));
  }
  Json out{{"height", height}, {"window_blocks", scanned}, {"validators", std::move(list)}};
  if (st) {
    out["view"] = st->view();
    out["primary"] = st->primary();
    out["node"] = st->node_id();
  }
  return {200, std::move(out)};
}

ApiAnswer Api::account(std::string_view text) const {
  const storage::Store& store = *s_.store;
  Result<std::string> address = crypto::read_address(text);
  if (!address) return error(400, address.status().message());
  StoreReader reader(store);
  auto account = reader.account(*address);
  if (!account) return from_status(account.status());
  Json j = reports::account_json(*address, *account);
  j["height"] = store.height();

  api::QueryRequest q;
  q.mutable_assets()->mutable_of_owner()->set_owner(*address);
  Json owned = Json::array();
  if (auto r = reader.query(q)) {
    for (const auto& a : r->assets().assets().assets()) {
      owned.push_back({{"id", crypto::to_hex(a.id())},
                       {"name", a.spec().name()},
                       {"kind", reports::kind_name(a.spec().kind())},
                       {"status", reports::asset_status_name(a.status())}});
    }
  }
  j["assets"] = std::move(owned);

  api::QueryRequest vq;
  vq.mutable_vehicles()->mutable_of_owner()->set_owner(*address);
  Json vehicles = Json::array();
  if (auto r = reader.query(vq)) {
    for (const auto& v : r->vehicles().vehicles().vehicles()) vehicles.push_back(v.vin());
  }
  j["vehicles"] = std::move(vehicles);

  api::QueryRequest sq;
  sq.mutable_usage()->mutable_sessions_of_user()->set_user(*address);
  Json sessions = Json::array();
  if (auto r = reader.query(sq)) {
    for (const auto& s : r->usage().sessions().sessions()) {
      sessions.push_back(reports::proto_to_json(s));
      if (sessions.size() == kMaxListed) break;
    }
  }
  j["sessions"] = std::move(sessions);

  api::QueryRequest iq;
  iq.mutable_revenue()->mutable_income()->set_party(*address);
  iq.mutable_revenue()->mutable_income()->set_limit(1);
  if (auto r = reader.query(iq)) {
    j["income_received"] = {{"total", r->revenue().income().stats().income_total()},
                            {"entries", r->revenue().income().stats().income_entries()}};
  }
  return {200, std::move(j)};
}

ApiAnswer Api::asset(std::string_view text) const {
  const storage::Store& store = *s_.store;
  auto id = hex_of_size(text, 16);
  if (!id) return error(400, "'" + std::string(text) + "' is not an asset id (32 hex digits)");
  StoreReader reader(store);
  api::QueryRequest q;
  q.mutable_assets()->mutable_asset()->set_asset_id(*id);
  auto found = reader.query(q);
  if (!found) return from_status(found.status());
  const assets::Asset asset = found->assets().asset();
  auto holding = reports::read_holding(reader, asset);
  if (!holding) return from_status(holding.status());
  // The asset exactly as it shows in its owner's portfolio (`sharechain portfolio`).
  reports::PortfolioData one;
  one.holdings.push_back(*holding);
  auto figures = reports::portfolio_json(one);
  if (!figures) return from_status(figures.status());
  Json j = (*figures)["assets"][0];
  j["owner"] = crypto::format_address(asset.owner());
  j["height"] = store.height();
  j["record"] = reports::proto_to_json(asset);
  j["financings"] = (*figures)["offers"];

  api::QueryRequest aq;
  aq.mutable_usage()->mutable_agreements_of_asset()->set_asset_id(*id);
  Json agreements = Json::array();
  if (auto r = reader.query(aq)) {
    for (const auto& a : r->usage().agreements().agreements()) agreements.push_back(reports::proto_to_json(a));
  }
  j["agreements"] = std::move(agreements);

  api::QueryRequest rq;
  rq.mutable_usage()->mutable_reservations_of_asset()->set_asset_id(*id);
  Json reservations = Json::array();
  if (auto r = reader.query(rq)) {
    for (const auto& x : r->usage().reservations().reservations()) {
      reservations.push_back(reports::proto_to_json(x));
    }
  }
  j["reservations"] = std::move(reservations);

  api::QueryRequest hq;
  hq.mutable_assets()->mutable_history()->set_asset_id(*id);
  Json history = Json::array();
  if (auto r = reader.query(hq)) {
    for (const auto& e : r->assets().history().entries()) history.push_back(reports::proto_to_json(e));
  }
  j["history"] = std::move(history);
  return {200, std::move(j)};
}

ApiAnswer Api::investor(std::string_view text) const {
  Result<std::string> address = crypto::read_address(text);
  if (!address) return error(400, address.status().message());
  StoreReader reader(*s_.store);
  auto data = reports::read_portfolio(reader, *address);
  if (!data) return from_status(data.status());
  auto j = reports::portfolio_json(*data);
  if (!j) return from_status(j.status());
  return {200, std::move(j).value()};
}

ApiAnswer Api::vehicle(std::string_view vin) const {
  if (!plausible_vin(vin)) {
    return error(400, "'" + std::string(vin) + "' is not a VIN (1 to 32 letters and digits)");
  }
  StoreReader reader(*s_.store);
  api::QueryRequest q;
  q.mutable_vehicles()->mutable_report()->set_vin(std::string(vin));
  auto report = reader.query(q);
  if (!report) return from_status(report.status());
  Json j = reports::proto_to_json(report->vehicles().report());
  j["height"] = report->height();

  api::QueryRequest rq;
  rq.mutable_vehicles()->mutable_records()->set_vin(std::string(vin));
  Json records = Json::array();
  if (auto r = reader.query(rq)) {
    for (const auto& x : r->vehicles().records().records()) records.push_back(reports::proto_to_json(x));
  }
  j["records"] = std::move(records);

  api::QueryRequest sq;
  sq.mutable_usage()->mutable_vehicle_sessions()->set_vin(std::string(vin));
  Json sessions = Json::array();
  if (auto r = reader.query(sq)) {
    for (const auto& s : r->usage().sessions().sessions()) sessions.push_back(reports::proto_to_json(s));
  }
  j["sessions"] = std::move(sessions);
  return {200, std::move(j)};
}

ApiAnswer Api::search(std::string_view text) const {
  const storage::Store& store = *s_.store;
  std::string q(text);
  while (!q.empty() && std::isspace(static_cast<unsigned char>(q.back()))) q.pop_back();
  while (!q.empty() && std::isspace(static_cast<unsigned char>(q.front()))) q.erase(0, 1);
  if (q.empty()) return error(400, "search?q=: give a height, a hash, an address, an asset id or a VIN");
  auto found = [](const char* kind, const std::string& id) {
    return ApiAnswer{200, Json{{"kind", kind}, {"id", id}}};
  };
  if (all_digits(q) && parse_u64(q) && *parse_u64(q) >= 1 && *parse_u64(q) <= store.height()) {
    return found("block", q);
  }
  if (auto raw = hex_of_size(q, 32)) {
    const crypto::Hash h = *crypto::hash_from_bytes(*raw);
    if (store.find_tx(h)) return found("tx", crypto::to_hex(h));
    if (store.height_of(h)) return found("block", crypto::to_hex(h));
  }
  if (auto raw = crypto::parse_address(q)) return found("account", crypto::format_address(*raw));
  if (auto raw = hex_of_size(q, 16)) {
    api::QueryRequest aq;
    aq.mutable_assets()->mutable_asset()->set_asset_id(*raw);
    if (contracts::query(store, aq)) return found("asset", crypto::to_hex(*raw));
  }
  if (plausible_vin(q)) {
    api::QueryRequest vq;
    vq.mutable_vehicles()->mutable_vehicle()->set_vin(q);
    if (contracts::query(store, vq)) return found("vehicle", q);
  }
  return error(404, "nothing on this chain matches '" + q + "'");
}

}  // namespace sharechain::explorer
