// Node processes and cluster layout (tools/net/process.hpp, layout.hpp), with a shell script
// standing in for sharechaind.
//   find_daemon: --bin, then $SHARECHAIND, then next to this program, then the build tree's
//     node/sharechaind, then $PATH; a --bin that is not executable is an error, not skipped
//   spawn_node: runs `BIN --config CONFIG` in its own session in the node folder with output in
//     node.log and the pid in the pid file, with SIGINT not ignored even when we ignore it
//   running_pid: only a live process whose command line names this node's config counts
//   stop_process: SIGTERM ends a cooperative process; one that ignores SIGTERM is killed after
//     the grace period; a stopped (SIGSTOP) process is continued so it can act on SIGTERM
//   child_exited reports a daemon that quit at once
//   layout: ports base+10i, +1, +2; the port plan is checked; a trailing slash is harmless
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "tests/tools/temp_dir.hpp"
#include "tools/common/files.hpp"
#include "tools/net/layout.hpp"
#include "tools/net/process.hpp"

using namespace sharechain;
using namespace sharechain::net;
using sharechain::testing::TempDir;
namespace fs = std::filesystem;

namespace {

fs::path write_script(const fs::path& file, const std::string& body) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "#!/bin/sh\n" << body;
  fs::permissions(file, fs::perms::owner_all);
  return file;
}

// A node folder with a config file (the fake daemon never reads it).
NodeLayout make_node(const TempDir& tmp) {
  NodeLayout n = planned_node(ClusterPaths(tmp / "cluster"), 0, kDefaultBasePort);
  fs::create_directories(n.dir);
  std::ofstream(n.config_file()) << "[node]\nname = \"node0\"\n";
  return n;
}

// Polls `pred` for up to five seconds.
template <typename Pred>
bool eventually(Pred pred) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

std::string log_of(const NodeLayout& n) {
  Result<std::string> text = tools::read_file(n.log_file());
  return text ? *text : "";
}

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const std::optional<std::string>& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  ~ScopedEnv() {
    if (old) {
      ::setenv(name.c_str(), old->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
};

constexpr const char* kCooperative =
    "echo \"fake daemon $*\"\n"
    "trap 'echo got TERM; exit 0' TERM\n"
    "while :; do sleep 0.05; done\n";

}  // namespace

TEST_CASE("find_daemon looks where the documentation says, in order", "[net][process]") {
  TempDir tmp;
  ScopedEnv no_env("SHARECHAIND", std::nullopt);
  ScopedEnv path("PATH", (tmp / "pathdir").string());
  const fs::path self = tmp / "build" / "tools" / "net" / "sharechain-net";
  write_script(self, "exit 0\n");

  // Nothing anywhere: NOT_FOUND naming the places looked at.
  Result<fs::path> none = find_daemon("", self);
  REQUIRE_FALSE(none);
  CHECK(none.status().code() == Code::kNotFound);
  CHECK(none.status().message().find("--bin") != std::string::npos);

  const fs::path in_path = write_script(tmp / "pathdir" / "sharechaind", "exit 0\n");
  CHECK(find_daemon("", self).value() == in_path);
  const fs::path in_build = write_script(tmp / "build" / "node" / "sharechaind", "exit 0\n");
  CHECK(find_daemon("", self).value() == in_build);
  const fs::path sibling = write_script(tmp / "build" / "tools" / "net" / "sharechaind", "exit 0\n");
  CHECK(find_daemon("", self).value() == sibling);
  const fs::path from_env = write_script(tmp / "env" / "sharechaind", "exit 0\n");
  {
    ScopedEnv env("SHARECHAIND", from_env.string());
    CHECK(find_daemon("", self).value() == from_env);
    const fs::path flag = write_script(tmp / "flag" / "my-daemon", "exit 0\n");
    CHECK(find_daemon(flag.string(), self).value() == flag);
  }
  {
    ScopedEnv env("SHARECHAIND", (tmp / "env" / "missing").string());
    CHECK(find_daemon("", self).status().code() == Code::kInvalidArgument);
  }
  std::ofstream(tmp / "not-executable") << "data";
  CHECK(find_daemon((tmp / "not-executable").string(), self).status().code() == Code::kInvalidArgument);
  CHECK(find_daemon((tmp / "nowhere").string(), self).status().code() == Code::kInvalidArgument);
}

TEST_CASE("a spawned node runs detached with its log and pid file, and stops on SIGTERM", "[net][process]") {
  TempDir tmp;
  const NodeLayout n = make_node(tmp);
  const fs::path daemon = write_script(tmp / "bin" / "sharechaind", kCooperative);
  Result<pid_t> pid = spawn_node(daemon, n);
  REQUIRE(pid);
  CHECK(tools::read_file(n.pid_file()).value() == std::to_string(*pid) + "\n");
  CHECK(running_pid(n) == *pid);
  CHECK(::getsid(*pid) == *pid);  // a session of its own
  REQUIRE(eventually([&] { return log_of(n).find("fake daemon") != std::string::npos; }));
  CHECK(log_of(n).find("fake daemon --config " + n.config_file().string()) != std::string::npos);
  CHECK(fs::read_symlink("/proc/" + std::to_string(*pid) + "/cwd") == n.dir);

  Result<StopOutcome> stopped = stop_process(*pid, std::chrono::seconds(5));
  REQUIRE(stopped);
  CHECK(*stopped == StopOutcome::kTerminated);
  CHECK_FALSE(process_alive(*pid));
  CHECK_FALSE(running_pid(n).has_value());
  CHECK(log_of(n).find("got TERM") != std::string::npos);
  CHECK(stop_process(*pid, std::chrono::seconds(1)).value() == StopOutcome::kNotRunning);
}

TEST_CASE("a node that ignores SIGTERM is killed after the grace period", "[net][process]") {
  TempDir tmp;
  const NodeLayout n = make_node(tmp);
  const fs::path daemon =
      write_script(tmp / "bin" / "sharechaind", "trap '' TERM\necho ready\nwhile :; do sleep 0.05; done\n");
  Result<pid_t> pid = spawn_node(daemon, n);
  REQUIRE(pid);
  // The trap must be in place before the signal is sent.
  REQUIRE(eventually([&] { return log_of(n).find("ready") != std::string::npos; }));
  Result<StopOutcome> stopped = stop_process(*pid, std::chrono::milliseconds(300));
  REQUIRE(stopped);
  CHECK(*stopped == StopOutcome::kKilled);
  CHECK_FALSE(process_alive(*pid));
}

TEST_CASE("a stopped node is continued so that SIGTERM reaches it", "[net][process]") {
  TempDir tmp;
  const NodeLayout n = make_node(tmp);
  Result<pid_t> pid = spawn_node(write_script(tmp / "bin" / "sharechaind", kCooperative), n);
  REQUIRE(pid);
  REQUIRE(eventually([&] { return log_of(n).find("fake daemon") != std::string::npos; }));
  REQUIRE(::kill(*pid, SIGSTOP) == 0);
  Result<StopOutcome> stopped = stop_process(*pid, std::chrono::seconds(5));
  REQUIRE(stopped);
  CHECK(*stopped == StopOutcome::kTerminated);
}

TEST_CASE("a spawned node does not inherit an ignored SIGINT", "[net][process]") {
  TempDir tmp;
  const NodeLayout n = make_node(tmp);
  const auto previous = ::signal(SIGINT, SIG_IGN);  // as a shell does for background jobs
  Result<pid_t> pid = spawn_node(write_script(tmp / "bin" / "sharechaind", kCooperative), n);
  ::signal(SIGINT, previous);
  REQUIRE(pid);
  REQUIRE(eventually([&] { return log_of(n).find("fake daemon") != std::string::npos; }));
  REQUIRE(::kill(*pid, SIGINT) == 0);
  std::string how;
  const bool ended = eventually([&] { return child_exited(*pid, &how); });
  if (!ended) (void)stop_process(*pid, std::chrono::milliseconds(100));
  REQUIRE(ended);
  CHECK(how == std::string("was killed by signal ") + ::strsignal(SIGINT));
}

TEST_CASE("running_pid trusts only a live process that names this node's config", "[net][process]") {
  TempDir tmp;
  const NodeLayout n = make_node(tmp);
  CHECK_FALSE(running_pid(n).has_value());  // no pid file
  // This test process is alive but is not a node: a pid file reused after a crash.
  REQUIRE(tools::write_file_atomic(n.pid_file(), std::to_string(::getpid()) + "\n", 0644, tools::Overwrite::kYes));
  CHECK_FALSE(running_pid(n).has_value());
  REQUIRE(tools::write_file_atomic(n.pid_file(), "not a pid\n", 0644, tools::Overwrite::kYes));
  CHECK_FALSE(running_pid(n).has_value());
}

TEST_CASE("a daemon that exits at once is reported with its status", "[net][process]") {
  TempDir tmp;
  const NodeLayout n = make_node(tmp);
  Result<pid_t> pid =
      spawn_node(write_script(tmp / "bin" / "sharechaind", "echo 'bad config' >&2\nexit 1\n"), n);
  REQUIRE(pid);
  std::string how;
  REQUIRE(eventually([&] { return child_exited(*pid, &how); }));
  CHECK(how == "exited with status 1");
  CHECK(tail_lines(n.log_file(), 5) == "bad config\n");

  std::ofstream(tmp / "bin" / "plain") << "data";
  Result<pid_t> not_exec = spawn_node(tmp / "bin" / "plain", n);
  REQUIRE_FALSE(not_exec);
  CHECK(not_exec.status().message().find("cannot execute") != std::string::npos);
}

TEST_CASE("the cluster layout", "[net][layout]") {
  const ClusterPaths paths("/tmp/some-cluster/");
  CHECK(paths.dir == fs::path("/tmp/some-cluster"));
  CHECK(paths.node_dir(2) == fs::path("/tmp/some-cluster/node2"));
  const NodeLayout n = planned_node(paths, 3, 30000);
  CHECK(n.name == "node3");
  CHECK(n.api_address == "127.0.0.1:30030");
  CHECK(n.p2p_address == "127.0.0.1:30031");
  CHECK(n.metrics_address == "127.0.0.1:30032");
  CHECK(explorer_url(n.metrics_address) == "http://127.0.0.1:30032/explorer/");
  CHECK(explorer_url("0.0.0.0:26602") == "http://127.0.0.1:26602/explorer/");
  CHECK(explorer_url("10.0.0.7:26602") == "http://10.0.0.7:26602/explorer/");
  CHECK(n.config_file() == fs::path("/tmp/some-cluster/node3/config.toml"));
  CHECK(check_port_plan(4, 26600));
  CHECK(check_port_plan(100, 64543));   // highest port exactly 65535
  CHECK_FALSE(check_port_plan(100, 64544));
  CHECK_FALSE(check_port_plan(0, 26600));
  CHECK_FALSE(check_port_plan(101, 1000));
  CHECK(discover_nodes(ClusterPaths("/nonexistent-cluster")).status().code() == Code::kFailedPrecondition);
}
