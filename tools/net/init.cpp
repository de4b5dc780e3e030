#include "tools/net/init.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <system_error>

#include "proto/epoch_spacing.hpp"
#include "tools/common/files.hpp"
#include "tools/net/process.hpp"
#include "tools/net/tls.hpp"

namespace sharechain::net {
namespace fs = std::filesystem;
using tools::Failure;
using tools::Outcome;

namespace {

constexpr std::size_t kPassphraseBytes = 24;

// TOML basic strings: quote and escape (names and addresses here are plain, but a chain id is
// operator input).
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The chain id goes into every signed transaction and into file contents; keep it to
// characters that need no quoting anywhere.
Status check_chain_id(std::string_view id) {
  const bool ok = !id.empty() && id.size() <= 64 &&
                  id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                      std::string_view::npos;
  if (!ok) {
    return Status::invalid_argument("--chain-id '" + std::string(id) +
                                    "' must be 1-64 letters, digits, '.', '_' or '-'");
  }
  return Status::ok();
}

// The node folders a cluster in `paths` already has: node0, node1, ... while they exist.
std::vector<NodeLayout> existing_nodes(const ClusterPaths& paths) {
  std::vector<NodeLayout> out;
  std::error_code ec;
  for (std::uint32_t i = 0; i < kMaxNodes && fs::exists(paths.node_dir(i), ec); ++i) {
    out.push_back(planned_node(paths, i, kDefaultBasePort));
  }
  return out;
}

// Refuses to touch a folder that already holds a cluster unless forced; with force, removes
// what an earlier init wrote (never anything else in the folder).
Outcome<bool> prepare_dir(const ClusterPaths& paths, std::uint32_t nodes, bool force) {
  std::error_code ec;
  const std::vector<NodeLayout> old_nodes = existing_nodes(paths);
  std::vector<fs::path> present;
  for (const fs::path& p : {paths.genesis(), paths.passphrase(), paths.keystore(), paths.tls_dir()}) {
    if (fs::exists(p, ec)) present.push_back(p);
  }
  for (std::uint32_t i = 0; i < nodes; ++i) {
    if (fs::exists(paths.node_dir(i), ec)) present.push_back(paths.node_dir(i));
  }
  if (present.empty()) return true;
  if (!force) {
    std::string what = present.front().string() + " exists";
    if (present.size() > 1) what += ", and " + std::to_string(present.size() - 1) + " more of its files";
    return Failure::usage(paths.dir.string() + " already holds a cluster (" + what +
                          "); pass --force to replace it, which deletes its keys and its nodes' data");
  }
  for (const NodeLayout& n : old_nodes) {
    if (const auto pid = running_pid(n)) {
      return Failure::refused(n.name + " of the cluster in " + paths.dir.string() +
                              " is running (pid " + std::to_string(*pid) +
                              "); stop it first with `sharechain-net stop --dir " +
                              paths.dir.string() + "`");
    }
  }
  std::vector<fs::path> remove = {paths.genesis(), paths.passphrase(), paths.keystore(), paths.tls_dir()};
  for (const NodeLayout& n : old_nodes) remove.push_back(n.dir);
  for (const fs::path& p : remove) {
    fs::remove_all(p, ec);
    if (ec) return Failure::refused("cannot remove " + p.string() + ": " + ec.message());
  }
  return true;
}

std::uint64_t now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

Outcome<bool> local(const Status& st) {
  if (!st) return Failure::from_local(st);
  return true;
}

Outcome<bool> write_tls(const ClusterPaths& paths, const std::vector<NodeLayout>& nodes,
                        const std::vector<std::string>& hosts, std::string_view chain_id) {
  Result<Pem> ca = make_ca("ShareChain " + std::string(chain_id) + " cluster CA");
  if (!ca) return Failure::from_local(ca.status());
  for (const Status& st :
       {tools::make_dirs(paths.tls_dir(), 0755),
        tools::write_file_atomic(paths.tls_dir() / "ca.pem", ca->certificate, 0644, tools::Overwrite::kNo),
        tools::write_file_atomic(paths.tls_dir() / "ca.key", ca->private_key, 0600, tools::Overwrite::kNo)}) {
    if (!st) return Failure::from_local(st);
  }
  for (const NodeLayout& n : nodes) {
    // Peers verify the name they dial, so a node on a host of its own carries that host too.
    const std::string_view host = hosts.empty() ? std::string_view() : hosts[n.index];
    if (Status st = write_node_certificate(*ca, n.name, host, n.tls_dir()); !st) return Failure::from_local(st);
  }
  return true;
}

// The protobuf JSON mapping writes 64-bit integers as strings ("balance": "100000000"), for
// readers whose numbers are doubles. Its parser accepts plain numbers as well; genesis values
// (milliseconds since 1970, balances) stay far below 2^53, and as numbers they read naturally in
// jq, shell scripts and by eye. So every 64-bit field of `descriptor` is turned back into a
// number, recursively.
void numbers_for_64bit_fields(const google::protobuf::Descriptor& descriptor, nlohmann::ordered_json& j) {
  using google::protobuf::FieldDescriptor;
  if (!j.is_object()) return;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* f = descriptor.field(i);
    auto it = j.find(f->name());
    if (it == j.end()) continue;
    auto convert = [&](nlohmann::ordered_json& v) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_map()) {
        numbers_for_64bit_fields(*f->message_type(), v);
      } else if (v.is_string() && (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64)) {
        v = std::stoull(v.get<std::string>());
      } else if (v.is_string() && (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64)) {
        v = std::stoll(v.get<std::string>());
      }
    };
    if (f->is_repeated() && it->is_array()) {
      for (auto& v : *it) convert(v);
    } else {
      convert(*it);
    }
  }
}

}  // namespace

std::vector<ClusterAccount> cluster_accounts(std::uint32_t committee) {
  std::vector<ClusterAccount> a;
  a.push_back({"operator", {"operator"}, "", 0});
  a.push_back({"dataserver", {"data_server"}, "", 0});
  a.push_back({"attester1", {"attester"}, "Acme Motors", 0});
  a.push_back({"attester2", {"attester"}, "Northwind Insurance", 0});
  a.push_back({"attester3", {"attester"}, "City Vehicle Registry", 0});
  // A record's submitter cannot endorse it, so reaching the threshold of 3 needs three attesters
  // besides the submitter: with only attester1..3 no vehicle record could ever be attested.
  a.push_back({"attester4", {"attester"}, "Metro Maintenance Department", 0});
  for (int i = 1; i <= 4; ++i) a.push_back({"user" + std::to_string(i), {}, "", kUserBalance});
  // Last, so the accounts above keep their places whatever the committee's size.
  for (std::uint32_t i = 2; i <= committee; ++i) {
    a.push_back({"operator" + std::to_string(i), {"operator"}, "", 0});
  }
  return a;
}

Genesis build_genesis(std::string_view chain_id, std::uint64_t genesis_time_ms,
                      const std::vector<crypto::PrivateKey>& validators,
                      const std::vector<ClusterAccount>& accounts,
                      const std::vector<tools::KeyInfo>& keys, std::uint32_t committee_threshold) {
  Genesis g;
  g.set_chain_id(std::string(chain_id));
  g.set_genesis_time_ms(genesis_time_ms);
  for (std::size_t i = 0; i < validators.size(); ++i) {
    GenesisValidator* v = g.add_validators();
    v->set_name("node" + std::to_string(i));
    v->set_public_key(crypto::to_hex(validators[i].public_key()));
  }
  for (std::size_t i = 0; i < accounts.size() && i < keys.size(); ++i) {
    GenesisAccount* a = g.add_accounts();
    a->set_name(accounts[i].name);
    a->set_address(crypto::format_address(keys[i].address));
    a->set_balance(accounts[i].balance);
    for (const std::string& role : accounts[i].roles) a->add_roles(role);
    a->set_organisation(accounts[i].organisation);
  }
  for (std::size_t i = 0; i < validators.size(); ++i) {
    GenesisAccount* a = g.add_accounts();
    a->set_name("node" + std::to_string(i));
    a->set_address(crypto::format_address(validators[i].address()));
    a->add_roles("validator");
  }
  g.mutable_params()->set_attestation_threshold(3);
  if (committee_threshold > 0) {
    for (std::size_t i = 0; i < accounts.size() && i < keys.size(); ++i) {
      const auto& roles = accounts[i].roles;
      if (std::find(roles.begin(), roles.end(), "operator") == roles.end()) continue;
      g.mutable_committee()->add_members(crypto::format_address(keys[i].address));
    }
    g.mutable_committee()->set_threshold(committee_threshold);
  }
  return g;
}

std::string genesis_to_json(const Genesis& genesis) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  // Zero balances and empty organisations are printed too: the file then shows every field an
  // operator may want to edit.
  options.always_print_primitive_fields = true;
  std::string text;
  const auto st = google::protobuf::util::MessageToJsonString(genesis, &text, options);
  // Printing a message that came from this program cannot fail; if it does, the library is broken.
  if (!st.ok()) std::abort();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  numbers_for_64bit_fields(*genesis.GetDescriptor(), j);
  return j.dump(2) + "\n";
}

std::string render_config(const NodeLayout& node, const std::vector<NodeLayout>& all, bool tls) {
  std::vector<std::string> peers;
  for (const NodeLayout& other : all) {
    if (other.index != node.index) peers.push_back(std::to_string(other.index) + "@" + other.p2p_address);
  }
  return render_config(node, peers, tls, "init");
}

std::string render_config(const NodeLayout& node, const std::vector<std::string>& peer_list, bool tls,
                          std::string_view command) {
  std::string peers;
  for (const std::string& p : peer_list) peers += (peers.empty() ? "" : ", ") + toml_string(p);
  std::string s;
  s += "# sharechaind configuration for " + node.name + ", written by `sharechain-net " +
       std::string(command) + "`.\n"
       "# Relative paths are relative to the folder holding this file.\n\n";
  s += "[node]\n";
  s += "name = " + toml_string(node.name) + "\n";
  s += "key_file = \"node_key.json\"\n";
  s += "genesis_file = \"../genesis.json\"\n";
  s += "data_dir = \"data\"\n\n";
  s += "[api]\n";
  s += "listen = " + toml_string(node.api_address) + "          # client API (wallet, data server)\n\n";
  s += "[p2p]\n";
  s += "listen = " + toml_string(node.p2p_address) + "\n";
  s += "peers = [" + peers + "]   # \"<validator index>@host:port\" or \"<node public key>@host:port\"\n";
  if (tls) {
    s += "tls = true\n";
    s += "tls_ca = \"../tls/ca.pem\"\n";
    s += "tls_cert = \"tls/node.pem\"\n";
    s += "tls_key = \"tls/node.key\"\n\n";
  } else {
    s += "tls = false\n\n";
  }
  s += "[metrics]\n";
  s += "listen = " + toml_string(node.metrics_address) + "          # Prometheus text at /metrics, /healthz, /readyz\n\n";
  s += "[consensus]\n"
       "max_block_txs = 2000\n"
       "max_block_bytes = 4194304\n"
       "batch_delay_ms = 20\n"
       "view_timeout_ms = 2000\n\n"
       "[mempool]\n"
       "max_txs = 50000\n"
       "max_bytes = 67108864\n\n"
       "[log]\n"
       "level = \"info\"\n";
  return s;
}

Status write_node_certificate(const Pem& ca, std::string_view name, std::string_view host,
                              const fs::path& tls_dir) {
  Result<Pem> cert = make_node_certificate(ca, name, host);
  if (!cert) return cert.status();
  for (const Status& st :
       {tools::make_dirs(tls_dir, 0700),
        tools::write_file_atomic(tls_dir / "node.pem", cert->certificate, 0644, tools::Overwrite::kNo),
        tools::write_file_atomic(tls_dir / "node.key", cert->private_key, 0600, tools::Overwrite::kNo)}) {
    if (!st) return st;
  }
  return Status::ok();
}

std::string render_node_key(std::string_view name, const crypto::PrivateKey& key) {
  nlohmann::ordered_json j;
  j["name"] = std::string(name);
  j["public_key"] = crypto::to_hex(key.public_key());
  j["address"] = crypto::format_address(key.address());
  j["secret_key"] = crypto::to_hex(key.secret());
  return j.dump(2) + "\n";
}

Outcome<InitReport> init_cluster(const InitOptions& options) {
  if (options.dir.empty()) return Failure::usage("--dir is required");
  if (Status st = check_port_plan(options.nodes, options.base_port); !st) {
    return Failure::usage(st.message());
  }
  if (Status st = check_chain_id(options.chain_id); !st) return Failure::usage(st.message());
  if (!options.hosts.empty() && options.hosts.size() != options.nodes) {
    return Failure::usage("--hosts lists " + std::to_string(options.hosts.size()) + " host" +
                          (options.hosts.size() == 1 ? "" : "s") + " for " +
                          std::to_string(options.nodes) + " nodes; give exactly one per node");
  }
  for (const std::string& host : options.hosts) {
    if (Status st = check_host(host); !st) return Failure::usage("--hosts: " + st.message());
  }
  if (options.committee < 1 || options.committee > kMaxCommittee) {
    return Failure::usage("--committee must be 1 to " + std::to_string(kMaxCommittee));
  }
  if (options.threshold < 1 || options.threshold > options.committee) {
    return Failure::usage("--threshold " + std::to_string(options.threshold) +
                          " is not reachable by a committee of " + std::to_string(options.committee) +
                          ": it must be 1 to " + std::to_string(options.committee));
  }

  const std::uint64_t window =
      options.window > 0 ? options.window : options.checkpoint_interval > 0 ? 4 * options.checkpoint_interval : 0;
  const std::uint64_t k =
      options.checkpoint_interval > 0 ? options.checkpoint_interval : kDefaultCheckpointInterval;
  if (window > 0 && (window < 2 * k || window > kMaxWindow || k > kMaxCheckpointInterval)) {
    return Failure::usage("--window " + std::to_string(window) + " with --checkpoint-interval " +
                          std::to_string(k) + ": the window must be at least twice the interval, "
                          "the interval at most " + std::to_string(kMaxCheckpointInterval) +
                          " and the window at most " + std::to_string(kMaxWindow));
  }

  InitReport report{ClusterPaths(options.dir), options.chain_id, {}, {}, {}, options.tls};
  const ClusterPaths& paths = report.paths;
  if (Outcome<bool> ok = prepare_dir(paths, options.nodes, options.force); !ok) return ok.failure();
  if (Outcome<bool> ok = local(tools::make_dirs(paths.dir, 0755)); !ok) return ok.failure();

  for (std::uint32_t i = 0; i < options.nodes; ++i) {
    report.nodes.push_back(options.hosts.empty()
                               ? planned_node(paths, i, options.base_port)
                               : planned_node(paths, i, options.base_port, options.hosts[i]));
  }

  // The passphrase guards keys of a throwaway local chain and sits next to them; it exists so
  // the keystore format, and the commands that read it, are the same as on a real deployment.
  std::string passphrase_raw(kPassphraseBytes, '\0');
  crypto::random_bytes(reinterpret_cast<std::uint8_t*>(passphrase_raw.data()), passphrase_raw.size());
  const std::string passphrase = crypto::to_hex(passphrase_raw);
  if (Outcome<bool> ok = local(tools::write_file_atomic(paths.passphrase(), passphrase + "\n", 0600,
                                                        tools::Overwrite::kNo));
      !ok) {
    return ok.failure();
  }

  tools::Keystore keystore(paths.keystore());
  tools::KeyOptions key_options;
  key_options.scrypt_n = options.scrypt_n;
  const std::vector<ClusterAccount> accounts = cluster_accounts(options.committee);
  for (const ClusterAccount& a : accounts) {
    Result<tools::KeyInfo> info = keystore.create(a.name, passphrase, key_options);
    if (!info) return Failure::from_local(info.status());
    report.keys.push_back(*info);
  }

  std::vector<crypto::PrivateKey> validators;
  for (const NodeLayout& n : report.nodes) {
    validators.push_back(crypto::PrivateKey::generate());
    report.validator_addresses.push_back(crypto::format_address(validators.back().address()));
    for (const Status& st :
         {tools::make_dirs(n.dir, 0755), tools::make_dirs(n.data_dir(), 0700),
          tools::write_file_atomic(n.key_file(), render_node_key(n.name, validators.back()), 0600,
                                   tools::Overwrite::kNo),
          tools::write_file_atomic(n.config_file(), render_config(n, report.nodes, options.tls), 0644,
                                   tools::Overwrite::kNo)}) {
      if (!st) return Failure::from_local(st);
    }
  }
  if (options.tls) {
    if (Outcome<bool> ok = write_tls(paths, report.nodes, options.hosts, options.chain_id); !ok) {
      return ok.failure();
    }
  }

  // Written last: its presence is what marks the folder as holding a complete cluster.
  Genesis genesis =
      build_genesis(options.chain_id, now_ms(), validators, accounts, report.keys, options.threshold);
  for (const NodeLayout& n : report.nodes) {
    genesis.mutable_validators(static_cast<int>(n.index))->set_peer_address(n.p2p_address);
  }
  genesis.set_state_commitment(options.state_commitment);
  if (options.state_tree != "none") genesis.set_state_tree(options.state_tree);
  if (window > 0) {
    genesis.mutable_params()->set_checkpoint_interval(k);
    genesis.mutable_params()->set_window(window);
  }
  if (Outcome<bool> ok = local(tools::write_file_atomic(paths.genesis(), genesis_to_json(genesis), 0644,
                                                        tools::Overwrite::kNo));
      !ok) {
    return ok.failure();
  }
  return report;
}

}  // namespace sharechain::net
