// The sharechain-net commands. Each returns its exit code and writes results to ctx.out only
// (one JSON object with --json) and messages to ctx.err only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "tools/common/outcome.hpp"
#include "tools/common/render.hpp"
#include "tools/net/export.hpp"
#include "tools/net/init.hpp"

namespace sharechain::net {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  bool json = false;

  // Prints "error: MESSAGE" on err and returns the failure's exit code.
  int fail(const tools::Failure& failure) const {
    err << "error: " << failure.message << "\n";
    return failure.exit_code;
  }
  void print_json(const tools::Json& value) const { out << value.dump(2) << "\n"; }
};

struct StartOptions {
  std::filesystem::path dir;
  std::string bin;
  unsigned wait_s = 30;
};

struct StopOptions {
  std::filesystem::path dir;
  unsigned grace_s = 10;
};

struct StatusOptions {
  std::filesystem::path dir;
  unsigned timeout_ms = 2000;
  unsigned sample_ms = 0;  // > 0: look twice, this far apart, so the verdict sees progress
};

struct AddNodeOptions {
  std::filesystem::path dir;
};

int run_init(const CommandContext& ctx, const InitOptions& options);
int run_add_node(const CommandContext& ctx, const AddNodeOptions& options);
int run_start(const CommandContext& ctx, const StartOptions& options);
int run_stop(const CommandContext& ctx, const StopOptions& options);
int run_status(const CommandContext& ctx, const StatusOptions& options);
int run_export(const CommandContext& ctx, const ExportOptions& options);

}  // namespace sharechain::net
