// Reading the cluster, rewriting its configs and writing the output folder for every format;
// what each format writes is in export_<format>.cpp.
#include "tools/net/export.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <toml.hpp>

#include <nlohmann/json.hpp>

#include "tools/common/files.hpp"
#include "tools/net/export_render.hpp"

namespace sharechain::net {
namespace fs = std::filesystem;
using tools::Failure;
using tools::Outcome;

namespace {

constexpr const char* kMarker = ".sharechain-export";

// Sorted tables: the same cluster always exports the same bytes, so an export can be compared
// with an earlier one (and with the examples under deploy/).
using SortedToml = toml::basic_value<toml::discard_comments, std::map, std::vector>;

Outcome<std::string> read_required(const fs::path& file, const std::string& why) {
  Result<std::string> text = tools::read_file(file);
  if (!text) {
    return Failure::usage("cannot read " + file.string() + " (" + why + "): " + text.status().message());
  }
  return std::move(text).value();
}

bool config_has_tls(const std::string& config) {
  try {
    std::istringstream in(config);
    const SortedToml root = toml::parse<toml::discard_comments, std::map, std::vector>(in, "config.toml");
    if (!root.contains("p2p") || !root.at("p2p").contains("tls")) return false;
    return toml::get<bool>(root.at("p2p").at("tls"));
  } catch (const std::exception&) {
    return false;  // placed_config reports the parse error with the file's name
  }
}

Outcome<ExportCluster> read_cluster(const fs::path& dir) {
  if (dir.empty()) return Failure::usage("--dir is required");
  ExportCluster c{ClusterPaths(dir), {}, {}, 0, {}};
  std::error_code ec;
  if (!fs::is_directory(c.paths.dir, ec)) {
    return Failure::usage("--dir " + c.paths.dir.string() +
                          " does not exist; create a cluster there with `sharechain-net init --nodes 4 --dir " +
                          c.paths.dir.string() + "`");
  }
  Result<std::vector<NodeLayout>> layouts = discover_nodes(c.paths);
  if (!layouts) return Failure::usage(layouts.status().message());
  Outcome<std::string> genesis = read_required(c.paths.genesis(), "the chain's genesis");
  if (!genesis) return genesis.failure();
  c.genesis = std::move(*genesis);
  Result<std::uint32_t> validators = genesis_validator_count(c.paths);
  if (!validators) return Failure::usage(validators.status().message());
  c.validators = *validators;

  bool any_tls = false;
  for (NodeLayout& layout : *layouts) {
    ExportNode n;
    Outcome<std::string> config = read_required(layout.config_file(), layout.name + "'s config");
    if (!config) return config.failure();
    Outcome<std::string> key = read_required(layout.key_file(), layout.name + "'s validator key");
    if (!key) return key.failure();
    n.config = std::move(*config);
    n.key = std::move(*key);
    n.ops_https = layout.ops_https;
    // A node added with `add-node` is exported like the others; its peers name it by its key.
    Result<std::string> id = peer_id(layout, c.validators);
    if (!id) return Failure::usage(id.status().message());
    n.peer_id = std::move(*id);
    if (config_has_tls(n.config)) {
      any_tls = true;
      Outcome<std::string> cert = read_required(layout.tls_dir() / "node.pem", layout.name + "'s TLS certificate");
      if (!cert) return cert.failure();
      Outcome<std::string> tls_key = read_required(layout.tls_dir() / "node.key", layout.name + "'s TLS key");
      if (!tls_key) return tls_key.failure();
      n.tls = Pem{std::move(*cert), std::move(*tls_key)};
    }
    n.layout = std::move(layout);
    c.nodes.push_back(std::move(n));
  }
  if (any_tls) {
    // The CA key lets the export issue certificates that name the target's host names; it is
    // read here and never written out.
    Outcome<std::string> ca = read_required(c.paths.tls_dir() / "ca.pem", "the cluster's TLS CA");
    if (!ca) return ca.failure();
    Outcome<std::string> ca_key = read_required(c.paths.tls_dir() / "ca.key", "the cluster's TLS CA key");
    if (!ca_key) return ca_key.failure();
    c.tls_ca = Pem{std::move(*ca), std::move(*ca_key)};
  }
  return c;
}

// A relative path from the marker that stays inside the output folder.
bool inside(const fs::path& relative) {
  if (relative.empty() || relative.is_absolute()) return false;
  for (const fs::path& part : relative.lexically_normal()) {
    if (part == "..") return false;
  }
  return true;
}

// Makes `out` ready: created, empty, or holding an earlier export that --force lets go. Only
// the files an earlier export listed are removed, and the folders they leave empty.
Outcome<bool> prepare_out(const fs::path& out, bool force) {
  std::error_code ec;
  if (!fs::exists(out, ec)) {
    // The output holds validator keys.
    if (Status st = tools::make_dirs(out, 0700); !st) return Failure::from_local(st);
    return true;
  }
  if (!fs::is_directory(out, ec)) return Failure::usage("--out " + out.string() + " is not a folder");
  if (fs::directory_iterator(out, ec) == fs::directory_iterator()) return true;
  if (!fs::exists(out / kMarker, ec)) {
    return Failure::usage("--out " + out.string() +
                          " is not empty and holds no earlier export; choose an empty or new folder");
  }
  if (!force) {
    return Failure::usage("--out " + out.string() +
                          " holds an earlier export; pass --force to replace it (only the files "
                          "that export wrote are removed)");
  }
  Result<std::string> listed = tools::read_file(out / kMarker);
  if (!listed) return Failure::from_local(listed.status());
  std::istringstream lines(*listed);
  std::set<fs::path, std::greater<>> folders;  // deepest first
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') continue;
    const fs::path relative(line);
    if (!inside(relative)) continue;
    const fs::path path = out / relative;
    if (fs::is_directory(path, ec)) {
      folders.insert(path);
    } else {
      fs::remove(path, ec);
      if (ec) return Failure::refused("cannot remove " + path.string() + ": " + ec.message());
    }
    for (fs::path p = relative.parent_path(); !p.empty(); p = p.parent_path()) folders.insert(out / p);
  }
  // A folder that still holds something (a compose node's chain data) stays.
  for (const fs::path& f : folders) fs::remove(f, ec);
  fs::remove(out / kMarker, ec);
  return true;
}

}  // namespace

const std::vector<std::string>& export_formats() {
  static const std::vector<std::string> kFormats = {"kubernetes", "systemd", "compose"};
  return kFormats;
}

Result<std::string> placed_config(std::string_view source, std::string_view source_name,
                                  const Placement& placement) {
  SortedToml root;
  try {
    std::istringstream in{std::string(source)};
    root = toml::parse<toml::discard_comments, std::map, std::vector>(in, std::string(source_name));
  } catch (const std::exception& e) {
    return Status::invalid_argument("cannot read " + std::string(source_name) + ": " + e.what());
  }
  if (!root.is_table()) return Status::invalid_argument(std::string(source_name) + " is not a TOML table");
  auto set = [&root](const char* table, const char* key, SortedToml value) {
    SortedToml& t = root[table];
    if (!t.is_table()) t = SortedToml::table_type{};
    t[key] = std::move(value);
  };
  set("node", "key_file", placement.key_file);
  set("node", "genesis_file", placement.genesis_file);
  set("node", "data_dir", placement.data_dir);
  set("api", "listen", placement.api_listen);
  set("p2p", "listen", placement.p2p_listen);
  set("metrics", "listen", placement.metrics_listen);
  SortedToml::array_type peers;
  for (const std::string& p : placement.peers) peers.emplace_back(p);
  set("p2p", "peers", std::move(peers));
  const bool tls = root.at("p2p").contains("tls") && root.at("p2p").at("tls").is_boolean() &&
                   root.at("p2p").at("tls").as_boolean();
  if (tls) {
    set("p2p", "tls_ca", placement.tls_ca);
    set("p2p", "tls_cert", placement.tls_cert);
    set("p2p", "tls_key", placement.tls_key);
  }
  // A relative trace file was relative to the cluster's node folder; in the target only the
  // data folder is writable.
  if (root.contains("debug") && root.at("debug").contains("trace_file") &&
      root.at("debug").at("trace_file").is_string()) {
    const fs::path trace(root.at("debug").at("trace_file").as_string().str);
    if (trace.is_relative()) set("debug", "trace_file", (fs::path(placement.data_dir) / trace.filename()).string());
  }
  std::string text =
      "# sharechaind configuration, written by `sharechain-net export` from the cluster's\n"
      "# config.toml; paths and addresses are the ones of this deployment.\n";
  // toml::format would write a small table inline and wrap arrays at odd places; a config reads
  // best as [table] headers with one `key = value` per line.
  auto value_text = [](const SortedToml& v) -> std::string {
    if (!v.is_array()) return toml::format(v, 0);
    std::string out = "[";
    for (const SortedToml& item : v.as_array()) out += (out.size() > 1 ? ", " : "") + toml::format(item, 0);
    return out + "]";
  };
  for (const auto& [key, value] : root.as_table()) {
    if (!value.is_table()) text += key + " = " + value_text(value) + "\n";
  }
  for (const auto& [table, value] : root.as_table()) {
    if (!value.is_table()) continue;
    text += "\n[" + table + "]\n";
    for (const auto& [key, v] : value.as_table()) text += key + " = " + value_text(v) + "\n";
  }
  return text;
}

Result<std::string> node_config(const ExportNode& node, const Placement& placement) {
  return placed_config(node.config, node.layout.config_file().string(), placement);
}

Result<Pem> certificate_for(const ExportCluster& cluster, const ExportNode& node, std::string_view host) {
  if (!cluster.tls_ca) return Status::failed_precondition("the cluster has no TLS CA");
  return make_node_certificate(*cluster.tls_ca, node.layout.name, host);
}

std::uint32_t tolerated_faults(std::size_t validators) {
  return validators == 0 ? 0 : static_cast<std::uint32_t>((validators - 1) / 3);
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += kAlphabet[(v >> shift) & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string yaml_quote(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

std::string yaml_text(std::string_view text, std::size_t indent) {
  const bool plain_lines = std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n') || u == 0x7f;
  });
  // A block's indentation is taken from its first line, so one that starts with a space (or
  // an empty text) is quoted instead of guessed.
  if (!plain_lines || text.empty() || text.front() == ' ' || text.front() == '\n') return yaml_quote(text);
  // Chomping: '|' keeps one final newline, '|-' none, '|+' all of them.
  std::size_t trailing = 0;
  while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
  const char* chomp = trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
  const std::string pad(indent, ' ');
  std::string out = chomp;
  out += '\n';
  std::size_t start = 0;
  const std::size_t body_end = text.size() - trailing;
  while (start < body_end) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos || end > body_end) end = body_end;
    const std::string_view line = text.substr(start, end - start);
    if (!line.empty()) out += pad;
    out += line;
    out += '\n';
    start = end + 1;
  }
  // The kept newlines beyond the first are empty lines of the block.
  for (std::size_t i = 1; i < trailing; ++i) out += '\n';
  return out;
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Outcome<ExportReport> export_cluster(const ExportOptions& options) {
  const std::vector<std::string>& formats = export_formats();
  if (std::find(formats.begin(), formats.end(), options.format) == formats.end()) {
    return Failure::usage("--format '" + options.format + "' is not one of kubernetes, systemd, compose");
  }
  if (options.out.empty()) return Failure::usage("--out is required");
  Outcome<ExportCluster> cluster = read_cluster(options.dir);
  if (!cluster) return cluster.failure();

  Rendered files = options.format == "kubernetes" ? render_kubernetes(*cluster, options)
                   : options.format == "systemd"  ? render_systemd(*cluster, options)
                                                  : render_compose(*cluster, options);
  if (!files) return Failure::from_local(files.status());

  ExportReport report;
  report.out = fs::absolute(options.out).lexically_normal();
  if (report.out.has_parent_path() && report.out.filename().empty()) report.out = report.out.parent_path();
  if (Outcome<bool> ok = prepare_out(report.out, options.force); !ok) return ok.failure();

  std::string marker =
      "# Files written by `sharechain-net export --format " + options.format + " --dir " +
      cluster->paths.dir.string() + "`;\n# `export --force` removes these (and only these) before writing again.\n";
  for (const ExportedFile& f : *files) {
    const fs::path path = report.out / f.path;
    // A folder made for a private file is private too (a compose node's keys/).
    Status st = tools::make_dirs(path.parent_path(), (f.mode & 077) == 0 ? 0700 : 0755);
    if (st) {
      st = f.folder ? tools::make_dirs(path, f.mode)
                    : tools::write_file_atomic(path, f.content, f.mode, tools::Overwrite::kNo);
    }
    if (!st) return Failure::from_local(st);
    report.files.push_back(path);
    marker += f.path.string() + "\n";
  }
  if (Status st = tools::write_file_atomic(report.out / kMarker, marker, 0644, tools::Overwrite::kNo); !st) {
    return Failure::from_local(st);
  }
  return report;
}

}  // namespace sharechain::net
