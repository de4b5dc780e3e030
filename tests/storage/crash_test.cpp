// Crash safety: a child process commits and is SIGKILLed; the reopened store must be exactly at
// some block, never between two.
//   random kills       - the child commits the deterministic crash chain in a loop and is
//                        killed at a random moment, 30 times over one store. After each kill the
//                        reopened store is at a height h no lower than the last acknowledged
//                        commit, with exactly the reference state, root and block hash for h, the
//                        reference root for every earlier height, and a state that re-hashes to
//                        its root
//   fault points       - the fault hook kills the child just before / just after the batch of a
//                        given block is written: the store reopens at h-1 / h
//   restore            - the same for restore_snapshot: the old state, or the whole snapshot
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "crash_checks.hpp"

using namespace storage_test;
using namespace storage_test::crash;

namespace {

struct Child {
  pid_t pid = -1;
  int progress = -1;  // read end of the progress pipe
};

Child start_child(const std::filesystem::path& dir, const std::string& mode, std::uint64_t h) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const std::string fd_arg = std::to_string(fds[1]);
  const std::string h_arg = std::to_string(h);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    execl(STORAGE_CRASH_CHILD, STORAGE_CRASH_CHILD, dir.c_str(), fd_arg.c_str(), mode.c_str(),
          h_arg.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Waits for the child and returns its wait status.
int reap(Child& c) {
  int status = 0;
  REQUIRE(waitpid(c.pid, &status, 0) == c.pid);
  close(c.progress);
  return status;
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

}  // namespace

TEST_CASE("SIGKILL at random moments never leaves a partial block", "[crash]") {
  TempDir tmp;
  Reference ref;
  std::mt19937 rng(424242);
  std::uint64_t acknowledged = 0;  // highest height the child reported as committed
  constexpr int kKills = 30;

  for (int kill_no = 0; kill_no < kKills; ++kill_no) {
    Child c = start_child(tmp.db(), "loop", 0);
    // Wait until this child has committed at least one block, then let it run on for a random
    // while (up to 25 ms, tens of commits) and kill it wherever it is.
    char byte = 0;
    const auto got = read(c.progress, &byte, 1);
    if (got != 1) {
      const int status = reap(c);
      FAIL("child stopped before committing: " << describe(status));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 25000));
    REQUIRE(kill(c.pid, SIGKILL) == 0);
    // Count what it acknowledged before dying: those commits returned, so they must be durable.
    std::uint64_t acks = 1;
    char buf[4096];
    const int status = [&] {
      int st = 0;
      REQUIRE(waitpid(c.pid, &st, 0) == c.pid);
      ssize_t n;
      while ((n = read(c.progress, buf, sizeof buf)) > 0) acks += static_cast<std::uint64_t>(n);
      close(c.progress);
      return st;
    }();
    INFO("kill " << kill_no << ": " << describe(status));
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);

    auto store = open_store(tmp.db());
    INFO("reopened at height " << store->height() << ", acknowledged " << acknowledged + acks);
    REQUIRE(store->height() >= acknowledged + acks);
    acknowledged = store->height();
    check_exactly_at(*store, ref);
  }
  // Thirty children each committed at least one block.
  CHECK(acknowledged >= static_cast<std::uint64_t>(kKills));
}

TEST_CASE("a crash at a fault point lands on one side of the block", "[crash]") {
  const bool after = GENERATE(false, true);
  INFO((after ? "after" : "before") << " the write");
  TempDir tmp;
  Reference ref;
  Child c = start_child(tmp.db(), after ? "commit-kill-after" : "commit-kill-before", 7);
  const int status = reap(c);
  INFO(describe(status));
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto store = open_store(tmp.db());
  CHECK(store->height() == (after ? 7u : 6u));
  check_exactly_at(*store, ref);
}

TEST_CASE("a crash while restoring a snapshot keeps the old state or all of the new", "[crash]") {
  const bool after = GENERATE(false, true);
  INFO((after ? "after" : "before") << " the write");
  TempDir tmp;
  Reference ref;
  {
    // A store at height 3, to be restored to height 40.
    Child c = start_child(tmp.db(), "commit-kill-before", 4);
    const int status = reap(c);
    REQUIRE(WIFSIGNALED(status));
  }
  {
    auto store = open_store(tmp.db());
    REQUIRE(store->height() == 3);
  }
  Child c = start_child(tmp.db(), after ? "restore-kill-after" : "restore-kill-before", 40);
  const int status = reap(c);
  INFO(describe(status));
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);

  auto store = open_store(tmp.db());
  if (!after) {
    CHECK(store->height() == 3);
    check_exactly_at(*store, ref);
    return;
  }
  REQUIRE(store->height() == 40);
  ref.advance_to(40);
  CHECK(read_all(*store) == ref.state());
  CHECK(store->state_root() == ref.root(40));
  CHECK(store->last_block_hash() == ref.hash(40));
  CHECK(store->state_root_at(3) == ref.root(3));
  CHECK_FALSE(store->state_root_at(20).has_value());
  CHECK(store->verify_state().is_ok());
}
