#include "node/daemon.hpp"

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <thread>

#include "node/config.hpp"
#include "node/node.hpp"

namespace sharechain::node {
namespace {

int fail(const std::string& message) {
  std::cerr << "sharechaind: " << message << '\n';
  return 1;
}

}  // namespace

int run_daemon(int argc, char** argv, const ExecutionSeams& seams) {
  CLI::App app{"sharechaind — ShareChain validator node"};
  std::string config_path, home;
  app.add_option("--config", config_path, "path to the node's config.toml");
  app.add_option("--home", home, "node folder holding config.toml (same as --config HOME/config.toml)");
  app.set_version_flag("--version", SHARECHAIN_VERSION);
  CLI11_PARSE(app, argc, argv);
  if (config_path.empty() && home.empty()) {
    return fail("give --config DIR/config.toml or --home DIR (see `sharechain-net init`)");
  }
  if (config_path.empty()) config_path = (std::filesystem::path(home) / "config.toml").string();

  auto config = load_config(config_path);
  if (!config) return fail(config.status().message());

  // Block termination signals in every thread; one thread waits for them synchronously. This
  // comes before the first thread is started (spdlog::flush_every starts one): a thread that
  // does not block SIGTERM would take it with the default action and end the process on the
  // spot, without the clean stop below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto logger = spdlog::stdout_color_mt("sharechaind");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [" + config->name + "] %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  spdlog::flush_every(std::chrono::seconds(1));

  auto node = Node::create(*config, seams);
  if (!node) return fail(node.status().message());
  if (auto s = (*node)->start(); !s) {
    spdlog::critical("{}", s.message());
    (*node)->stop();
    return fail(s.message());
  }

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("received {}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    // Only wake the main thread: if both threads ran stop(), the main thread would go on to
    // destroy the node while this one still tore it down.
    (*node)->request_stop();
  });
  signal_thread.detach();

  const Status result = (*node)->wait();
  (*node)->stop();
  spdlog::default_logger()->flush();
  if (!result.is_ok()) return fail("halted: " + result.message());
  return 0;
}

}  // namespace sharechain::node
