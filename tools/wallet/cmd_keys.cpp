// `sharechain keys new|list|show|import|export`: the local keystore. Nothing here talks to a node.
#include <openssl/crypto.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tools/common/files.hpp"
#include "tools/common/passphrase.hpp"
#include "tools/wallet/context.hpp"

namespace sharechain::wallet {
namespace {

Json key_json(const tools::KeyInfo& k) {
  return {{"name", k.name},
          {"address", crypto::format_address(k.address)},
          {"public_key", crypto::to_hex(k.public_key)},
          {"file", k.file.string()},
          {"scrypt_n", k.scrypt_n}};
}

void print_key(Context& ctx, const tools::KeyInfo& k) {
  ctx.out() << "name        " << k.name << "\n"
            << "address     " << crypto::format_address(k.address) << "\n"
            << "public_key  " << crypto::to_hex(k.public_key) << "\n"
            << "file        " << k.file.string() << "\n";
}

tools::KeyOptions key_options(bool light) {
  tools::KeyOptions o;
  o.scrypt_n = light ? tools::kLightScryptN : tools::kStandardScryptN;
  return o;
}

// The secret to import: a file holding 64 hex digits or a node key JSON file with "secret_key";
// without a file, one line from standard input (hidden on a terminal).
Outcome<std::string> read_secret(Context& ctx, const std::string& file) {
  std::string text;
  if (!file.empty()) {
    Result<std::string> content = tools::read_file(file);
    if (!content) return Failure::usage("cannot read the secret file: " + content.status().message());
    text = std::move(content).value();
    const Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      if (!j.contains("secret_key") || !j["secret_key"].is_string()) {
        return Failure::usage(file + " is JSON but has no \"secret_key\" string");
      }
      return j["secret_key"].get<std::string>();
    }
  } else {
    Outcome<std::string> line = tools::read_hidden_line("Secret key (64 hex digits): ", ctx.err());
    if (!line) return line;
    text = std::move(line).value();
  }
  // Surrounding whitespace is an artefact of files and terminals, never part of a hex secret.
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

}  // namespace

void register_key_commands(CLI::App& app, Context& ctx) {
  CLI::App* keys = app.add_subcommand("keys", "manage keys in the local keystore");
  keys->require_subcommand(1);

  {
    struct Args {
      std::string name;
      bool light = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = keys->add_subcommand("new", "generate a new key and store it encrypted");
    cmd->add_option("name", a->name, "key name")->required();
    cmd->add_flag("--light", a->light,
                  "cheaper scrypt (2^14 instead of 2^18): for test and local-cluster keys only");
    on_run(cmd, ctx, [&ctx, a] {
      Outcome<std::string> pass = ctx.passphrase("New passphrase for key '" + a->name + "': ", true);
      if (!pass) return ctx.fail(pass.failure());
      Result<tools::KeyInfo> k = ctx.keystore().create(a->name, *pass, key_options(a->light));
      if (!k) return ctx.fail(Failure::from_local(k.status()));
      if (ctx.json()) {
        ctx.print_json(key_json(*k));
      } else {
        print_key(ctx, *k);
      }
      return tools::kExitOk;
    });
  }
  {
    CLI::App* cmd = keys->add_subcommand("list", "list the keys (no passphrase needed)");
    on_run(cmd, ctx, [&ctx] {
      Result<std::vector<tools::KeyInfo>> list = ctx.keystore().list();
      if (!list) return ctx.fail(Failure::from_local(list.status()));
      if (ctx.json()) {
        Json arr = Json::array();
        for (const tools::KeyInfo& k : *list) arr.push_back(key_json(k));
        ctx.print_json({{"keystore", ctx.keystore().dir().string()}, {"keys", std::move(arr)}});
      } else if (list->empty()) {
        ctx.out() << "no keys in " << ctx.keystore().dir().string() << "\n";
      } else {
        std::size_t width = 4;
        for (const tools::KeyInfo& k : *list) width = std::max(width, k.name.size());
        for (const tools::KeyInfo& k : *list) {
          ctx.out() << k.name << std::string(width - k.name.size() + 2, ' ')
                    << crypto::format_address(k.address) << "\n";
        }
      }
      return tools::kExitOk;
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = keys->add_subcommand("show", "show a key's address and public key");
    cmd->add_option("name", *name, "key name")->required();
    on_run(cmd, ctx, [&ctx, name] {
      Result<tools::KeyInfo> k = ctx.keystore().info(*name);
      if (!k) return ctx.fail(Failure::from_local(k.status()));
      if (ctx.json()) {
        ctx.print_json(key_json(*k));
      } else {
        print_key(ctx, *k);
      }
      return tools::kExitOk;
    });
  }
  {
    struct Args {
      std::string name;
      std::string secret_file;
      bool light = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* cmd = keys->add_subcommand(
        "import", "store an existing secret key (from --secret-file, else standard input)");
    cmd->add_option("name", a->name, "key name")->required();
    cmd->add_option("--secret-file", a->secret_file,
                    "file with the secret as 64 hex digits, or a node_key.json");
    cmd->add_flag("--light", a->light,
                  "cheaper scrypt (2^14 instead of 2^18): for test and local-cluster keys only");
    on_run(cmd, ctx, [&ctx, a] {
      if (Status st = tools::Keystore::validate_name(a->name); !st) {
        return ctx.fail(Failure::usage(st.message()));
      }
      Outcome<std::string> secret = read_secret(ctx, a->secret_file);
      if (!secret) return ctx.fail(secret.failure());
      Outcome<std::string> pass = ctx.passphrase("New passphrase for key '" + a->name + "': ", true);
      if (!pass) return ctx.fail(pass.failure());
      Result<tools::KeyInfo> k =
          ctx.keystore().import_hex(a->name, *secret, *pass, key_options(a->light));
      OPENSSL_cleanse(secret->data(), secret->size());
      if (!k) return ctx.fail(Failure::from_local(k.status()));
      if (ctx.json()) {
        ctx.print_json(key_json(*k));
      } else {
        print_key(ctx, *k);
      }
      return tools::kExitOk;
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = keys->add_subcommand("export", "print a key's secret in hex (needs the passphrase)");
    cmd->add_option("name", *name, "key name")->required();
    on_run(cmd, ctx, [&ctx, name] {
      const tools::Keystore ks = ctx.keystore();
      Result<tools::KeyInfo> info = ks.info(*name);
      if (!info) return ctx.fail(Failure::from_local(info.status()));
      Outcome<std::string> pass = ctx.passphrase("Passphrase for key '" + *name + "': ", false);
      if (!pass) return ctx.fail(pass.failure());
      Result<std::string> secret = ks.export_secret(*name, *pass);
      if (!secret) return ctx.fail(Failure::from_local(secret.status()));
      if (ctx.json()) {
        ctx.print_json({{"name", info->name},
                        {"address", crypto::format_address(info->address)},
                        {"public_key", crypto::to_hex(info->public_key)},
                        {"secret_key", *secret}});
      } else {
        ctx.out() << *secret << "\n";
      }
      OPENSSL_cleanse(secret->data(), secret->size());
      return tools::kExitOk;
    });
  }
}

}  // namespace sharechain::wallet
