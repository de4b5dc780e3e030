// The process the crash tests kill. It is a separate program, started with exec, so that it
// begins with no inherited threads or locks (forking a process that already runs RocksDB's
// background threads would not be).
//
//   storage_crash_child DIR PROGRESS_FD loop
//       commits the crash chain from the store's height on, writing one byte to PROGRESS_FD
//       after every commit_block that returned, until killed
//   storage_crash_child DIR PROGRESS_FD commit-kill-before|commit-kill-after H
//       commits up to H with a fault hook that SIGKILLs the process before / after the batch of
//       block H is written
//   storage_crash_child DIR PROGRESS_FD restore-kill-before|restore-kill-after H
//       restores the chain's state at height H as a snapshot, with the same hook
//
// Exit codes other than death by SIGKILL tell the test what went wrong.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crash_chain.hpp"

using namespace storage_test;
using namespace storage_test::crash;

namespace {

[[noreturn]] void fail(int code, const std::string& why) {
  std::fprintf(stderr, "storage_crash_child: %s\n", why.c_str());
  std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) fail(2, "usage: DIR PROGRESS_FD MODE HEIGHT");
  const std::filesystem::path dir = argv[1];
  const int progress_fd = std::atoi(argv[2]);
  const std::string mode = argv[3];
  const std::uint64_t target = std::strtoull(argv[4], nullptr, 10);

  storage::Options options;
  const bool before = mode.find("kill-before") != std::string::npos;
  if (mode != "loop") {
    options.fault_hook = [before, target](storage::FaultPoint p, std::uint64_t h) {
      const auto want = before ? storage::FaultPoint::kBeforeWrite : storage::FaultPoint::kAfterWrite;
      if (p == want && h == target) raise(SIGKILL);
    };
  }
  auto opened = storage::Store::open(dir, options);
  if (!opened) fail(3, opened.status().to_string());
  auto& store = *opened.value();
  if (auto s = store.init_genesis(genesis_hash(kGenesisName), genesis_writes()); !s) {
    fail(4, s.to_string());
  }

  if (mode.rfind("restore-", 0) == 0) {
    Reference ref;
    ref.advance_to(target);
    std::vector<std::pair<std::string, std::string>> entries(ref.state().begin(),
                                                             ref.state().end());
    crypto::Hash prev = ref.hash(target - 1);
    auto b = block_for(target, prev);
    auto s = store.restore_snapshot(target, b.hash, b.block, 1000 + target, ref.root(target),
                                    entries);
    fail(5, "restore was not interrupted: " + s.to_string());
  }

  for (;;) {
    const std::uint64_t h = store.height() + 1;
    auto b = block_for(h, store.last_block_hash());
    auto r = store.commit_block(h, b.hash, b.block, 1000 + h, b.receipts, writes_for(h));
    if (!r) fail(6, r.status().to_string());
    const char byte = 1;
    if (write(progress_fd, &byte, 1) != 1) fail(7, "progress pipe closed");
    if (mode != "loop" && h >= target) fail(8, "commit was not interrupted");
  }
}
