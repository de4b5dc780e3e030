// Read-only commands against a node: status, account, tx, block, watch.
#include <grpcpp/grpcpp.h>

#include "tools/common/cli.hpp"
#include "tools/wallet/context.hpp"
#include "tools/wallet/proof_bundles.hpp"
#include "tools/wallet/text.hpp"

namespace sharechain::wallet {
namespace {

std::string call_summary(const Json& call) {
  std::string s = call["contract"].get<std::string>();
  if (!call["action"].get<std::string>().empty()) s += "." + call["action"].get<std::string>();
  return s;
}

Outcome<std::string> parse_hash(std::string_view text, std::string_view what) {
  auto raw = crypto::from_hex(text);
  if (!raw || raw->size() != crypto::kHashSize) {
    return Failure::usage(std::string(what) + " must be 64 hex digits, got '" + std::string(text) + "'");
  }
  return *raw;
}

void print_status(Context& ctx, const api::NodeStatus& s) {
  std::size_t connected = 0;
  for (const api::PeerStatus& p : s.peers()) connected += p.connected() ? 1 : 0;
  std::ostream& out = ctx.out();
  out << "chain       " << s.chain_id() << "\n"
      << "node        " << (s.node_name().empty() ? "?" : s.node_name())
      << (s.follower() ? " (follower: not in the set of " + std::to_string(s.validators()) + " validators"
                       : " (validator " + std::to_string(s.node_id()) + " of " + std::to_string(s.validators()) +
                             "; primary " + std::to_string(s.primary()))
      << (s.epoch() > 0 ? "; epoch " + std::to_string(s.epoch()) : std::string()) << ")\n"
      << "height      " << s.height() << " (view " << s.view() << ")\n"
      << "last block  " << crypto::to_hex(s.last_block_hash()) << "\n"
      << "state root  " << crypto::to_hex(s.state_root()) << "\n"
      << "checkpoint  " << s.stable_checkpoint() << "\n"
      << "synced      "
      << (s.synced() ? "yes" : "no (certified height " + std::to_string(s.certified_height()) +
                                   "; this node refuses new transactions until synced)")
      << "\n";
  if (!s.history_complete()) {
    std::string holes;
    for (const api::HeightRange& r : s.history_missing()) {
      holes += (holes.empty() ? "" : ", ") + std::to_string(r.from()) + "-" + std::to_string(r.to());
    }
    out << "history     incomplete: backfilling " << holes << " (every block from "
        << s.history_from() << " up is here)\n";
  }
  out
      << "mempool     " << s.mempool_size() << " transactions\n"
      << "peers       " << connected << " of " << s.peers_size() << " connected\n";
  if (!s.version().empty()) out << "version     " << s.version() << "\n";
}

void print_account(Context& ctx, const Json& a) {
  std::ostream& out = ctx.out();
  out << "address       " << a["address"].get<std::string>() << "\n"
      << "balance       " << tools::format_amount(a["balance"].get<std::uint64_t>()) << "\n";
  if (a["escrow"].get<std::uint64_t>() != 0) {
    out << "escrow        " << tools::format_amount(a["escrow"].get<std::uint64_t>()) << "\n";
  }
  out << "nonce         " << a["nonce"].get<std::uint64_t>() << "\n";
  std::string roles;
  for (const Json& r : a["roles"]) roles += (roles.empty() ? "" : ", ") + r.get<std::string>();
  out << "roles         " << (roles.empty() ? "(none)" : roles) << "\n";
  if (!a["organisation"].get<std::string>().empty()) {
    out << "organisation  " << a["organisation"].get<std::string>() << "\n";
  }
  for (const Json& q : a["qualifications"]) {
    out << "qualified     " << q["name"].get<std::string>();
    const std::uint64_t expires = q["expires_at_ms"].get<std::uint64_t>();
    if (expires != 0) out << " until " << tools::format_time_ms(expires);
    out << "\n";
  }
  if (!a["exists"].get<bool>()) out << "(the chain has no record of this account yet)\n";
}

void print_transaction(Context& ctx, const Json& t) {
  std::ostream& out = ctx.out();
  out << "tx         " << t["tx_hash"].get<std::string>() << "\n";
  out << "status     " << t["status"].get<std::string>();
  if (t["status"] == "committed") {
    out << " at height " << t["height"].get<std::uint64_t>() << " (block "
        << t["block_hash"].get<std::string>() << ")";
  }
  out << "\n";
  if (t["timestamp_ms"].get<std::uint64_t>() != 0) {
    out << "time       " << tools::format_time_ms(t["timestamp_ms"].get<std::uint64_t>()) << "\n";
  }
  if (t.contains("sender")) {
    out << "sender     " << t["sender"].get<std::string>() << "\n"
        << "nonce      " << t["nonce"].get<std::uint64_t>() << "\n"
        << "call       " << call_summary(t["call"]) << " " << t["call"]["args"].dump() << "\n";
  }
  if (t.contains("receipt")) {
    const Json& r = t["receipt"];
    out << "result     " << r["status"].get<std::string>();
    if (!r["error"].get<std::string>().empty()) out << ": " << r["error"].get<std::string>();
    out << "\n";
    for (const Json& e : r["events"]) {
      out << "event      " << e["contract"].get<std::string>() << "." << e["name"].get<std::string>();
      for (const auto& [k, v] : e["attributes"].items()) out << " " << k << "=" << v.get<std::string>();
      out << "\n";
    }
  }
}

void print_block(Context& ctx, const Json& b) {
  std::ostream& out = ctx.out();
  out << "block       " << b["height"].get<std::uint64_t>() << "  " << b["hash"].get<std::string>() << "\n"
      << "prev        " << b["prev_hash"].get<std::string>() << "\n"
      << "time        " << tools::format_time_ms(b["timestamp_ms"].get<std::uint64_t>()) << "\n"
      << "proposer    " << b["proposer"].get<std::uint32_t>() << " (view " << b["view"].get<std::uint64_t>()
      << ")\n"
      << "state root  " << b["state_root"].get<std::string>() << "\n"
      << "txs         " << b["transactions"].size() << "\n";
  for (const Json& t : b["transactions"]) {
    out << "  " << t["hash"].get<std::string>();
    if (t.contains("sender")) {
      out << "  " << t["sender"].get<std::string>() << " #" << t["nonce"].get<std::uint64_t>() << "  "
          << call_summary(t["call"]);
    }
    if (t.contains("status")) out << "  " << t["status"].get<std::string>();
    out << "\n";
  }
}

// One line per block for `watch`.
void print_block_line(Context& ctx, const api::BlockInfo& info, const Json& b) {
  std::size_t failed = 0;
  for (const Receipt& r : info.receipts()) failed += r.status() == RECEIPT_OK ? 0 : 1;
  ctx.out() << "block " << info.height() << "  " << short_hex(info.hash()) << "  "
            << tools::format_time_ms(b["timestamp_ms"].get<std::uint64_t>()) << "  "
            << b["transactions"].size() << " txs";
  if (failed != 0) ctx.out() << " (" << failed << " failed)";
  ctx.out() << "\n" << std::flush;
}

}  // namespace

void register_query_commands(CLI::App& app, Context& ctx) {
  {
    CLI::App* cmd = app.add_subcommand("status", "show the node's chain, height, view and peers");
    on_run(cmd, ctx, [&ctx] {
      Outcome<client::Node*> c = ctx.client();
      if (!c) return ctx.fail(c.failure());
      Outcome<api::NodeStatus> s = (*c)->status();
      if (!s) return ctx.fail(s.failure());
      if (ctx.json()) {
        ctx.print_json(tools::status_json(*s));
      } else {
        print_status(ctx, *s);
      }
      return tools::kExitOk;
    });
  }
  {
    auto who = std::make_shared<std::string>();
    auto bundle = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("account", "show an account's balance, nonce and roles");
    cmd->add_option("account", *who, "an address (sc...) or a key name")->required();
    cmd->add_option("--bundle", *bundle,
                    "write a proof bundle of the account's state entry (balance, nonce, roles) at the newest "
                    "certified height to this file, checkable offline with `verify-bundle` (docs/proofs.md)");
    on_run(cmd, ctx, [&ctx, who, bundle] {
      Outcome<std::string> address = ctx.resolve_address(*who);
      if (!address) return ctx.fail(address.failure());
      if (!bundle->empty()) return write_state_bundle(ctx, "ledger/acct/" + *address, *bundle);
      Outcome<client::Node*> c = ctx.client();
      if (!c) return ctx.fail(c.failure());
      Outcome<std::optional<ledger::Account>> account = (*c)->account(*address);
      if (!account) return ctx.fail(account.failure());
      Json j = tools::account_json(*address, *account);
      // A node that is not synced may answer with a balance the chain has moved past.
      if (auto synced = (*c)->synced()) j["synced"] = *synced;
      if (ctx.json()) {
        ctx.print_json(j);
      } else {
        print_account(ctx, j);
      }
      return tools::kExitOk;
    });
  }
  {
    auto key = std::make_shared<std::string>();
    auto bundle = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "state", "write a proof bundle of one state entry, or of its absence (chains with a state tree)");
    cmd->add_option("key", *key, "the state key, hex (e.g. of \"vehicles/vehicle/\" + VIN)")->required();
    cmd->add_option("--bundle", *bundle, "the bundle file, checkable offline with `verify-bundle` (docs/proofs.md)")
        ->required();
    on_run(cmd, ctx, [&ctx, key, bundle] {
      auto raw = crypto::from_hex(*key);
      if (!raw || raw->empty()) return ctx.fail(Failure::usage("the key must be non-empty hex"));
      return write_state_bundle(ctx, *raw, *bundle);
    });
  }
  {
    auto hash = std::make_shared<std::string>();
    auto bundle = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("tx", "show a transaction, its status and its receipt");
    cmd->add_option("hash", *hash, "transaction hash (64 hex digits)")->required();
    cmd->add_option("--bundle", *bundle,
                    "write a proof bundle of the committed transaction and its receipt to this file, "
                    "checkable offline with `verify-bundle` (docs/proofs.md)");
    on_run(cmd, ctx, [&ctx, hash, bundle] {
      Outcome<std::string> raw = parse_hash(*hash, "a transaction hash");
      if (!raw) return ctx.fail(raw.failure());
      if (!bundle->empty()) return write_transaction_bundle(ctx, *raw, *bundle);
      Outcome<client::Node*> c = ctx.client();
      if (!c) return ctx.fail(c.failure());
      Outcome<api::TransactionInfo> info = (*c)->transaction(*raw);
      if (!info) return ctx.fail(info.failure());
      const Json j = tools::transaction_info_json(*info);
      if (ctx.json()) {
        ctx.print_json(j);
      } else {
        print_transaction(ctx, j);
      }
      return tools::kExitOk;
    });
  }
  {
    auto which = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("block", "show a block by height, by hash, or the latest");
    cmd->add_option("block", *which, "HEIGHT, 'latest', or a block hash (64 hex digits)")->required();
    on_run(cmd, ctx, [&ctx, which] {
      Outcome<client::Node*> c = ctx.client();
      if (!c) return ctx.fail(c.failure());
      client::Node& node = **c;
      const std::optional<std::uint64_t> height = tools::parse_decimal(*which);
      Outcome<api::BlockInfo> block = Failure::usage("");
      if (*which == "latest") {
        block = node.latest_block();
      } else if (height) {
        block = node.block_at(*height);
      } else if (which->size() >= 64) {
        Outcome<std::string> raw = parse_hash(*which, "a block hash");
        if (!raw) return ctx.fail(raw.failure());
        block = node.block_by_hash(*raw);
      } else {
        return ctx.fail(Failure::usage("'" + *which + "' is not a height, 'latest' or a block hash"));
      }
      if (!block) return ctx.fail(block.failure());
      const Json j = tools::block_json(*block);
      if (ctx.json()) {
        ctx.print_json(j);
      } else {
        print_block(ctx, j);
      }
      return tools::kExitOk;
    });
  }
  {
    struct Args {
      std::uint64_t from = 0;
      std::uint64_t count = 0;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = app.add_subcommand(
        "watch", "print committed blocks as they come (with --json one object per line)");
    cmd->add_option("--from", a->from, "start at this height (default: only new blocks)")
        ->check(tools::decimal());
    cmd->add_option("--count", a->count, "stop after this many blocks (default: run until interrupted)")
        ->check(tools::decimal());
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<client::Node*> c = ctx.client();
      if (!c) return ctx.fail(c.failure());
      client::Node& node = **c;
      grpc::ClientContext call;  // no deadline: a subscription lasts as long as the user wants
      api::SubscribeRequest req;
      req.set_from_height(a->from);
      std::unique_ptr<grpc::ClientReader<api::BlockInfo>> reader = node.stub().SubscribeBlocks(&call, req);
      api::BlockInfo info;
      std::uint64_t seen = 0;
      while (reader->Read(&info)) {
        const Json j = tools::block_json(info);
        if (ctx.json()) {
          ctx.out() << j.dump() << "\n" << std::flush;
        } else {
          print_block_line(ctx, info, j);
        }
        if (a->count != 0 && ++seen == a->count) {
          call.TryCancel();
          break;
        }
      }
      const grpc::Status st = reader->Finish();
      if (a->count != 0 && seen == a->count) return tools::kExitOk;
      if (!st.ok()) return ctx.fail(tools::Failure::from_client(node.error(st, call)));
      return tools::kExitOk;
    });
  }
}

}  // namespace sharechain::wallet
