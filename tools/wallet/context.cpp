#include "tools/wallet/context.hpp"

#include <google/protobuf/descriptor.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "proto/address.hpp"
#include "proto/transaction.hpp"
#include "tools/common/cli.hpp"
#include "tools/common/nonce_floor.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/wallet/args.hpp"

namespace sharechain::wallet {
namespace fs = std::filesystem;

void add_tx_options(CLI::App* command, TxOptions& options) {
  command->add_option("--from", options.from, "name of the signing key in the keystore")->required();
  command->add_flag("--wait", options.wait, "wait until the transaction is committed and show its result");
  command->add_option("--wait-timeout", options.wait_timeout_s, "seconds to wait with --wait")
      ->capture_default_str()
      ->check(tools::decimal(1, 3600));
  command->add_option("--nonce", options.nonce,
                      "use this nonce instead of the account's next one (to queue several "
                      "transactions without waiting)")
      ->check(tools::decimal());
  command->add_option("--expires-at-height", options.expires_at_height,
                      "refuse the transaction in any block above this height (0 = never)")
      ->capture_default_str()
      ->check(tools::decimal());
}

void on_run(CLI::App* command, Context& ctx, std::function<int()> body) {
  command->callback([&ctx, body = std::move(body)] { ctx.exit_code = body(); });
}

void add_id_action(CLI::App* group, Context& ctx, const std::string& name, const std::string& help,
                   const std::string& option,
                   std::function<void(TransactionBody& body, const std::string& id)> fill) {
  struct Args {
    TxOptions tx;
    std::string id;
  };
  auto a = std::make_shared<Args>();
  CLI::App* cmd = group->add_subcommand(name, help);
  add_tx_options(cmd, a->tx);
  cmd->add_option("--" + option, a->id, option + " id (32 hex digits)")->required();
  on_run(cmd, ctx, [&ctx, a, name, option, fill = std::move(fill)] {
    Outcome<std::string> id = parse_id(a->id, "--" + option);
    if (!id) return ctx.fail(id.failure());
    return ctx.submit(a->tx, [&](TransactionBody& body) { fill(body, *id); },
                      name + " " + option + " " + a->id);
  });
}

void add_query(CLI::App* group, Context& ctx, const std::string& name, const std::string& help,
               const std::string& what,
               std::function<Outcome<api::QueryRequest>(Context& ctx, const std::string& arg)> build) {
  auto arg = std::make_shared<std::string>();
  CLI::App* cmd = group->add_subcommand(name, help);
  cmd->add_option(what, *arg, what)->required();
  on_run(cmd, ctx, [&ctx, arg, build = std::move(build)] {
    Outcome<api::QueryRequest> q = build(ctx, *arg);
    if (!q) return ctx.fail(q.failure());
    return ctx.run_query(*q);
  });
}

int Context::fail(const Failure& failure) {
  err_ << "error: " << failure.message << "\n";
  return failure.exit_code;
}

void Context::print_json(const Json& value) { out_ << value.dump(2) << "\n"; }

tools::Keystore Context::keystore() const {
  if (!options.keystore.empty()) return tools::Keystore(options.keystore);
  if (const char* env = std::getenv(std::string(kKeystoreEnv).c_str()); env && *env) {
    return tools::Keystore(env);
  }
  const char* home = std::getenv("HOME");
  std::string home_dir = home && *home ? home : "";
  if (home_dir.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) home_dir = pw->pw_dir;
  }
  return tools::Keystore(fs::path(home_dir) / ".sharechain" / "keystore");
}

Outcome<client::Node*> Context::client() {
  if (!network_) {
    Outcome<std::vector<std::string>> nodes = tools::parse_node_list(tools::resolve_node_address(options.node));
    if (!nodes) return nodes.failure();
    network_ = std::make_unique<client::Client>(
        client::Options(*nodes, std::chrono::seconds(options.timeout_s)));
  }
  // Several nodes: the first synced one, so nonces and balances are read from current state
  // and a transaction is not refused for being sent to a node that is catching up; failing
  // that, the first that answers (its reads say synced: false).
  const bool chosen_before = !network_->current_address().empty();
  client::Reply<client::Node*> node = network_->node();
  if (!node) return node.error();
  if (!chosen_before && network_->options().nodes.size() > 1 && (*node)->synced() == false) {
    err_ << "warning: no synced node among " << options.node << "; using " << (*node)->address();
    if (auto h = (*node)->answered_at_height()) err_ << " (not synced, at height " << *h << ")";
    err_ << "\n";
  }
  return *node;
}

Outcome<std::string> Context::passphrase(std::string_view prompt, bool confirm) {
  if (passphrase_) return *passphrase_;
  Outcome<std::string> p = tools::read_passphrase(
      tools::passphrase_source_from_environment(options.passphrase_file), prompt, confirm, err_);
  if (!p) return p;
  passphrase_ = *p;
  return p;
}

Outcome<crypto::PrivateKey> Context::load_key(std::string_view name) {
  const tools::Keystore ks = keystore();
  // Look the key up first, so a missing key is reported before anyone is asked for a passphrase.
  if (Result<tools::KeyInfo> info = ks.info(name); !info) return Failure::from_local(info.status());
  Outcome<std::string> pass = passphrase("Passphrase for key '" + std::string(name) + "': ", false);
  if (!pass) return pass.failure();
  return tools::from_local(ks.load(name, *pass));
}

Outcome<std::string> Context::resolve_address(std::string_view address_or_name) {
  Result<std::string> raw = crypto::read_address(address_or_name);
  if (raw) return std::move(raw).value();
  // Something that starts like an address is one mistyped, not a key name: say what is wrong.
  const bool looks_like_address = address_or_name.size() >= 30 && (address_or_name.starts_with("sc1") ||
                                                                 address_or_name.starts_with("SC1"));
  if (looks_like_address || !tools::Keystore::validate_name(address_or_name)) {
    if (looks_like_address) return Failure::usage(raw.status().message());
    return Failure::usage("'" + std::string(address_or_name) +
                          "' is neither an address (sc1 followed by 38 letters and digits) nor a key name");
  }
  Result<tools::KeyInfo> info = keystore().info(address_or_name);
  if (!info) {
    if (info.status().code() == Code::kNotFound) {
      return Failure::usage("'" + std::string(address_or_name) +
                            "' is not an address (sc1 followed by 38 letters and digits) and there is no "
                            "key of that name in " + keystore().dir().string());
    }
    return Failure::from_local(info.status());
  }
  return info->address;
}

Outcome<std::string> Context::chain_id() {
  if (!options.chain_id.empty()) return options.chain_id;
  if (chain_id_) return *chain_id_;
  Outcome<client::Node*> c = client();
  if (!c) return c.failure();
  Outcome<api::NodeStatus> status = (*c)->status();
  if (!status) return status.failure();
  chain_id_ = status->chain_id();
  return *chain_id_;
}

Outcome<api::QueryResponse> Context::query(const api::QueryRequest& request) {
  Outcome<client::Node*> c = client();
  if (!c) return c.failure();
  return (*c)->query(request);
}

int Context::run_query(const api::QueryRequest& request) {
  Outcome<api::QueryResponse> response = query(request);
  if (!response) return fail(response.failure());
  // QueryResponse holds one contract's QueryResult, which holds one result message.
  const google::protobuf::Message* result = &*response;
  for (int depth = 0; depth < 2; ++depth) {
    const auto* d = result->GetDescriptor();
    const auto* oneof = d->FindOneofByName("result");
    const auto* field = oneof ? result->GetReflection()->GetOneofFieldDescriptor(*result, oneof) : nullptr;
    if (field == nullptr || field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      return fail(Failure::refused("the node answered the query with no result"));
    }
    result = &result->GetReflection()->GetMessage(*result, field);
  }
  Json j = tools::proto_to_json(*result);
  j["read_at_height"] = response->height();
  show(j);
  return tools::kExitOk;
}

void Context::show(const Json& value) {
  if (json()) {
    print_json(value);
  } else {
    tools::print_text(out_, value);
  }
}

int Context::submit(const TxOptions& tx, const std::function<void(TransactionBody&)>& set_call,
                    std::string_view summary, const Annotate& annotate) {
  Outcome<crypto::PrivateKey> key = load_key(tx.from);
  if (!key) return fail(key.failure());
  Outcome<client::Node*> c = client();
  if (!c) return fail(c.failure());
  client::Node& node = **c;
  Outcome<std::string> chain = chain_id();
  if (!chain) return fail(chain.failure());

  const tools::NonceFloors floors(tools::NonceFloors::in_keystore(keystore().dir()));

  TransactionBody body;
  body.set_chain_id(*chain);
  body.set_sender(key->address());
  body.set_expires_at_height(tx.expires_at_height);
  if (tx.nonce) {
    body.set_nonce(*tx.nonce);
  } else {
    // An account the chain has never seen starts at nonce 0.
    Outcome<std::optional<ledger::Account>> account = node.account(key->address());
    if (!account) return fail(account.failure());
    // next_nonce counts this account's transactions pending on the node, so two commands in a
    // row without --wait take consecutive nonces.
    const std::uint64_t node_next =
        *account ? std::max((*account)->nonce(), (*account)->next_nonce()) : 0;
    Result<std::optional<tools::NonceFloor>> floor = floors.get(*chain, key->address());
    if (!floor) return fail(Failure::from_local(floor.status()));
    const tools::NonceChoice choice = tools::choose_nonce(node_next, *floor, [&] {
      return tools::read_node_view(node, key->address(), tools::NonceCount::kWithPending);
    });
    if (choice.source == tools::NonceSource::kFloor) {
      err_ << "note: the node reports next nonce " << node_next << " but this wallet saw nonce "
           << (*floor)->next_nonce - 1 << " committed at height " << (*floor)->height
           << " and the node is at " << choice.node_height << "; it is behind, so nonce "
           << choice.nonce << " is used\n";
    } else if (choice.source == tools::NonceSource::kStaleFloor) {
      err_ << "note: the node at height " << choice.node_height << " reports next nonce " << choice.nonce
           << ", below the " << (*floor)->next_nonce << " this wallet remembers from height "
           << (*floor)->height << "; this chain's history differs from the one remembered, so "
           << "the node's nonce is used and the memory dropped\n";
      if (Status s = floors.forget(*chain, key->address()); !s) return fail(Failure::from_local(s));
    }
    body.set_nonce(choice.nonce);
  }
  set_call(body);
  const SignedTransaction signed_tx = tx::sign(body, *key);
  const crypto::Hash hash = tx::hash_of(signed_tx);

  // Through the client library: a node that fails mid-call is left for the next one, and the
  // same bytes sent there answer what became of the first attempt.
  Outcome<api::SubmitResponse> response =
      network_->submit(signed_tx, tx.wait, std::chrono::seconds(tx.wait_timeout_s));
  if (!response) {
    Failure f = response.failure();
    f.message += " (transaction " + crypto::to_hex(hash) + ")";
    return fail(f);
  }
  if (response->status() == api::TX_COMMITTED) {
    // A committed transaction consumed its nonce whatever its receipt says.
    const Status kept = floors.raise(*chain, key->address(),
                                     tools::NonceFloor{body.nonce() + 1, response->height()});
    if (!kept) err_ << "warning: " << kept.message() << "\n";
  }
  Json result = tools::submit_json(hash, *response);
  Json added = Json::object();
  if (annotate && response->has_receipt()) annotate(response->receipt(), added);
  for (const auto& [k, v] : added.items()) result[k] = v;
  if (json()) {
    print_json(result);
  } else {
    out_ << summary << "\n";
    out_ << "tx_hash  " << crypto::to_hex(hash) << "\n";
    out_ << "status   " << result["status"].get<std::string>();
    if (response->status() == api::TX_COMMITTED) {
      out_ << " at height " << response->height();
      if (response->has_receipt()) out_ << ": " << result["result"].get<std::string>();
    }
    out_ << "\n";
    if (response->has_receipt()) {
      for (const Event& e : response->receipt().events()) {
        out_ << "event    " << e.contract() << "." << e.name();
        for (const Attribute& a : e.attributes()) out_ << " " << a.key() << "=" << a.value();
        out_ << "\n";
      }
    }
    for (const auto& [k, v] : added.items()) {
      out_ << k << "  " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
  }
  if (tx.wait) {
    if (response->status() != api::TX_COMMITTED) {
      return fail(Failure::refused("the transaction was not committed within " +
                                   std::to_string(tx.wait_timeout_s) + " s; it may still commit"));
    }
    if (response->has_receipt() && response->receipt().status() != RECEIPT_OK) {
      const Receipt& r = response->receipt();
      return fail(Failure::refused("the chain refused the transaction: " +
                                   (r.error().empty() ? std::string("no reason given") : r.error()) +
                                   " (" + tools::receipt_status_name(r.status()) + ")"));
    }
  }
  return tools::kExitOk;
}

}  // namespace sharechain::wallet
