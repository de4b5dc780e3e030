// What every wallet command shares: the global options, the output streams, the keystore, the
// node connection (opened on first use) and the transaction flow every contract action uses.
//
// Commands write results to out() only and messages to err() only, and return their exit code,
// so the whole wallet can run inside a test process against captured streams.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "proto/crypto.hpp"
#include "sharechain/types.pb.h"
#include "tools/common/client.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/outcome.hpp"
#include "tools/common/render.hpp"

namespace sharechain::wallet {

using tools::Failure;
using tools::Json;
using tools::Outcome;

inline constexpr std::string_view kKeystoreEnv = "SHARECHAIN_KEYSTORE";

struct GlobalOptions {
  std::string node;             // --node; empty = SHARECHAIN_NODE or the default
  std::string keystore;         // --keystore; empty = SHARECHAIN_KEYSTORE or ~/.sharechain/keystore
  std::string passphrase_file;  // --passphrase-file
  std::string chain_id;         // --chain-id; empty = ask the node
  bool json = false;            // --json
  unsigned timeout_s = 10;      // --timeout: deadline of each call to the node
};

// The options every transaction command takes (add_tx_options registers them).
struct TxOptions {
  std::string from;                     // key name of the signer
  bool wait = false;                    // wait until committed
  unsigned wait_timeout_s = 30;
  std::optional<std::uint64_t> nonce;   // override the nonce read from the chain
  std::uint64_t expires_at_height = 0;  // 0 = never
};
void add_tx_options(CLI::App* command, TxOptions& options);

class Context {
 public:
  Context(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}

  GlobalOptions options;
  int exit_code = tools::kExitOk;  // set by the command that ran

  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool json() const { return options.json; }

  // Prints "error: MESSAGE" on err() and returns the failure's exit code.
  int fail(const Failure& failure);
  // One JSON document on out(), indented.
  void print_json(const Json& value);

  tools::Keystore keystore() const;
  // The connection to the node, opened on first use. Usage error for a malformed address.
  Outcome<client::Node*> client();
  // The keystore passphrase (see tools/common/passphrase.hpp for where it comes from).
  Outcome<std::string> passphrase(std::string_view prompt, bool confirm);
  Outcome<crypto::PrivateKey> load_key(std::string_view name);
  // An address (checksummed "sc1...", or the legacy "sc" + 40 hex) as 20 raw bytes; otherwise
  // the name of a key in the keystore. Usage error when it is neither, saying what is wrong with
  // an address that fails its checksum.
  Outcome<std::string> resolve_address(std::string_view address_or_name);
  // --chain-id, else the node's.
  Outcome<std::string> chain_id();
  // A contract query against the node.
  Outcome<api::QueryResponse> query(const api::QueryRequest& request);
  // Runs a contract query and shows the result message the contract answered with, plus
  // "read_at_height" (the chain height the state was read at). Exit 1 with the node's message
  // when it refuses (an unknown id, for example).
  int run_query(const api::QueryRequest& request);
  // `value` as one JSON document with --json, else as indented text (tools::print_text).
  void show(const Json& value);

  // Builds, signs, submits and reports one transaction. `set_call` fills the body's call;
  // `summary` describes it for human output ("transfer 500 units to sc..."). Exit code 1 when
  // the node refuses it or, with --wait, when its receipt is not OK.
  // `annotate`, when given, adds fields to the result from the receipt (a command that must
  // report what the transaction made, like a proposal id); they print in JSON and as text lines.
  using Annotate = std::function<void(const Receipt&, Json&)>;
  int submit(const TxOptions& tx, const std::function<void(TransactionBody&)>& set_call,
             std::string_view summary, const Annotate& annotate = {});

 private:
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<client::Client> network_;  // made on first use, from --node
  std::optional<std::string> passphrase_;
  std::optional<std::string> chain_id_;
};

// Runs `body` when `command` is chosen and keeps its exit code in ctx.exit_code (CLI11
// callbacks return nothing).
void on_run(CLI::App* command, Context& ctx, std::function<int()> body);

// Adds `name` to `group`: an action whose one argument is a record id, `--OPTION ID`; `fill`
// puts the parsed 16-byte id into the transaction's call.
void add_id_action(CLI::App* group, Context& ctx, const std::string& name, const std::string& help,
                   const std::string& option,
                   std::function<void(TransactionBody& body, const std::string& id)> fill);

// Adds `name` to `group`: a query with one positional argument `what`; `build` turns it into
// the request (or a usage Failure).
void add_query(CLI::App* group, Context& ctx, const std::string& name, const std::string& help,
               const std::string& what,
               std::function<Outcome<api::QueryRequest>(Context& ctx, const std::string& arg)> build);

// Command groups; each lives in its own cmd_*.cpp.
void register_key_commands(CLI::App& app, Context& ctx);
void register_query_commands(CLI::App& app, Context& ctx);
void register_ledger_commands(CLI::App& app, Context& ctx);
void register_asset_commands(CLI::App& app, Context& ctx);
void register_agreement_commands(CLI::App& app, Context& ctx);
void register_session_commands(CLI::App& app, Context& ctx);
void register_split_commands(CLI::App& app, Context& ctx);
void register_finance_commands(CLI::App& app, Context& ctx);
void register_vehicle_commands(CLI::App& app, Context& ctx);
void register_portfolio_commands(CLI::App& app, Context& ctx);
void register_doctor_commands(CLI::App& app, Context& ctx);
void register_audit_commands(CLI::App& app, Context& ctx);
void register_governance_commands(CLI::App& app, Context& ctx);
void register_proof_commands(CLI::App& app, Context& ctx);

}  // namespace sharechain::wallet
