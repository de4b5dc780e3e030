// Node processes of a local cluster: finding the daemon binary, starting it detached, knowing
// whether it still runs, stopping it. Linux only (/proc, setsid).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "proto/status.hpp"
#include "tools/net/layout.hpp"

namespace sharechain::net {

inline constexpr std::string_view kDaemonEnv = "SHARECHAIND";
inline constexpr std::string_view kDaemonName = "sharechaind";

// The sharechaind to run, first match wins: `flag` (--bin), $SHARECHAIND, a sharechaind next to
// `self` (this program's path), ../../node/sharechaind from `self`'s folder (the build tree:
// tools/net/sharechain-net and node/sharechaind), then $PATH. A --bin or $SHARECHAIND that is
// not an executable file is an error rather than a reason to look further, so a typo is never
// papered over by another binary. NOT_FOUND lists every place looked at.
Result<std::filesystem::path> find_daemon(std::string_view flag, const std::filesystem::path& self);

// This program's own path (/proc/self/exe); empty when it cannot be read.
std::filesystem::path self_executable();

// The process exists and is not a zombie.
bool process_alive(pid_t pid);

// The pid recorded in the node's pid file, if that process is alive and its command line names
// the node's config file (a pid file left by a crash may name a pid since reused by something
// else). nullopt otherwise.
std::optional<pid_t> running_pid(const NodeLayout& node);

// Starts `daemon --config <node config>` in its own session (setsid), in the node's folder,
// stdin from /dev/null, stdout and stderr appended to node.log, and records its pid in the pid
// file. The new process is this process's child until this process exits. Fails with the reason
// when the binary cannot be executed.
Result<pid_t> spawn_node(const std::filesystem::path& daemon, const NodeLayout& node);

// For a child started by spawn_node: true (and the child reaped, its exit described in
// *how) when it has already exited.
bool child_exited(pid_t pid, std::string* how);

enum class StopOutcome { kNotRunning, kTerminated, kKilled };

// SIGTERM (and SIGCONT, so a stopped process can act on it), then SIGKILL if it is still alive
// after `grace`. Returns once the process is gone, or after a further few seconds if even
// SIGKILL does not end it (FAILED_PRECONDITION then).
Result<StopOutcome> stop_process(pid_t pid, std::chrono::milliseconds grace);

// The last `lines` lines of a text file (for explaining why a node did not start).
std::string tail_lines(const std::filesystem::path& file, std::size_t lines);

}  // namespace sharechain::net
