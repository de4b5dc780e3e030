// The action interpreter (consensus/driver.hpp), through a host that logs what it is asked:
//  - every kind of action reaches its do_* method, in the order of the list
//  - a failed Persist halts with the reason; nothing after it in the list is performed, nor
//    the follow-ups of blocks delivered before it, even for a host that never stops by itself
//  - follow-ups of a Deliver run after the rest of the list, in the order they were appended,
//    and follow-ups of follow-ups after those
//  - a host that halts (on a Halt, or while executing a block) performs nothing more; one that
//    is already halted performs nothing; an empty list is done at once
//  - a Halt the host survives (the simulator beyond f) does not stop the list
//  - before_action() sees each action first and can stop the host before it is performed
//  - a Persist naming one key among both its puts and its deletes is never handed to the host:
//    the driver halts naming the key, and nothing after it leaves
#include "consensus/driver.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace sharechain;
using namespace sharechain::consensus;

namespace {

class LogHost final : public Host {
 public:
  std::vector<std::string> log;
  std::map<uint64_t, Actions> follow_ups;  // what executing each height makes the engine say
  std::optional<size_t> failing_persist;   // this Persist (counted from 0) fails
  bool stop_on_halt = true;                // a Halt stops this host (the node does)
  std::optional<uint64_t> broken_height;   // executing this height halts the host
  std::optional<size_t> crash_after;       // before_action() crashes once this many passed
  bool stopped = false;

  void do_send(const Send& s) override { log.push_back("send " + std::to_string(s.to)); }
  void do_broadcast(const Broadcast& b) override {
    log.push_back("broadcast " + std::to_string(b.envelope.validator()));
  }
  void do_set_timer(const SetTimer& t) override {
    log.push_back(std::string("set ") + timer_name(t.id) + " " + std::to_string(t.delay_ms));
  }
  void do_cancel_timer(const CancelTimer& t) override {
    log.push_back(std::string("cancel ") + timer_name(t.id));
  }
  Status do_persist(const Persist& p) override {
    log.push_back("persist " + (p.puts.empty() ? std::string("-") : p.puts.front().first));
    if (failing_persist && persists_++ == *failing_persist) {
      return Status::internal("disk full");
    }
    return Status::ok();
  }
  void do_deliver(const Deliver& d, Actions& follow_up) override {
    log.push_back("deliver " + std::to_string(d.height));
    if (broken_height == d.height) {
      stopped = true;
      return;
    }
    if (auto it = follow_ups.find(d.height); it != follow_ups.end()) {
      follow_up.insert(follow_up.end(), it->second.begin(), it->second.end());
    }
  }
  void do_fetch(const FetchBlocks& f) override {
    log.push_back("fetch " + std::to_string(f.from_height) + ".." + std::to_string(f.to_height));
  }
  void do_evidence(const Evidence& e) override {
    log.push_back("evidence " + std::to_string(e.validator));
  }
  void do_halt(const Halt& h) override {
    log.push_back("halt " + h.reason);
    if (stop_on_halt) stopped = true;
  }
  bool halted() override { return stopped; }
  void before_action(const Action&) override {
    log.push_back("before");
    if (crash_after && (*crash_after)-- == 0) stopped = true;
  }

  // The log without before_action()'s lines.
  std::vector<std::string> done() const {
    std::vector<std::string> out;
    for (const std::string& line : log) {
      if (line != "before") out.push_back(line);
    }
    return out;
  }

 private:
  size_t persists_ = 0;
};

Action send(uint32_t to) { return Send{to, {}}; }
Action broadcast(uint32_t tag) {
  Broadcast b;
  b.envelope.set_validator(tag);
  return b;
}
Action persist(const std::string& key) { return Persist{{{key, "v"}}, {}}; }
Action deliver(uint64_t height) {
  Deliver d;
  d.height = height;
  return d;
}

using Log = std::vector<std::string>;

}  // namespace

TEST_CASE("every action reaches its host method in the order of the list") {
  LogHost host;
  Evidence evidence;
  evidence.validator = 3;
  const Actions actions = {persist("view"),
                           broadcast(7),
                           send(2),
                           SetTimer{TimerId::kRequest, 400},
                           CancelTimer{TimerId::kBatch},
                           deliver(5),
                           FetchBlocks{6, 9, {1, 2}},
                           evidence,
                           send(1)};
  CHECK(perform(host, actions));
  CHECK(host.done() == Log{"persist view", "broadcast 7", "send 2", "set request 400",
                           "cancel batch", "deliver 5", "fetch 6..9", "evidence 3", "send 1"});
  // before_action() came once before each of them.
  CHECK(host.log.size() == 2 * actions.size());
  CHECK(host.log.front() == "before");
}

TEST_CASE("a failed Persist halts and nothing after it leaves") {
  LogHost host;
  host.failing_persist = 1;
  SECTION("the rest of the list") {
    CHECK_FALSE(perform(host, {persist("view"), send(1), persist("pv/1"), broadcast(2), send(3),
                               SetTimer{TimerId::kResend, 150}}));
    CHECK(host.done() == Log{"persist view", "send 1", "persist pv/1",
                             "halt cannot persist consensus state: INTERNAL: disk full"});
  }
  SECTION("even for a host that does not stop on a Halt") {
    host.stop_on_halt = false;
    CHECK_FALSE(perform(host, {persist("a"), persist("b"), broadcast(1)}));
    CHECK(host.done() == Log{"persist a", "persist b",
                             "halt cannot persist consensus state: INTERNAL: disk full"});
    CHECK_FALSE(host.halted());
  }
  SECTION("the follow-ups of a block delivered before it") {
    host.follow_ups[4] = {send(9), broadcast(9)};
    CHECK_FALSE(perform(host, {deliver(4), persist("a"), persist("b"), send(1)}));
    CHECK(host.done() == Log{"deliver 4", "persist a", "persist b",
                             "halt cannot persist consensus state: INTERNAL: disk full"});
  }
}

TEST_CASE("follow-ups run after the list, in the order they were appended") {
  LogHost host;
  host.follow_ups[1] = {send(11), SetTimer{TimerId::kBatch, 7}};
  host.follow_ups[2] = {send(21), deliver(3), send(22)};
  host.follow_ups[3] = {send(31)};
  CHECK(perform(host, {deliver(1), send(2), deliver(2), broadcast(4)}));
  CHECK(host.done() == Log{"deliver 1", "send 2", "deliver 2", "broadcast 4",  // the list
                           "send 11", "set batch 7", "send 21", "deliver 3", "send 22",
                           "send 31"});  // the follow-ups' follow-up comes last
}

TEST_CASE("a host that halts performs nothing more") {
  LogHost host;
  SECTION("on a Halt action") {
    host.follow_ups[1] = {send(11)};
    CHECK_FALSE(
        perform(host, {deliver(1), send(2), Halt{"state root differs"}, send(3), persist("view")}));
    CHECK(host.done() == Log{"deliver 1", "send 2", "halt state root differs"});
  }
  SECTION("while executing a block") {
    host.broken_height = 2;
    host.follow_ups[1] = {send(11)};
    CHECK_FALSE(perform(host, {deliver(1), deliver(2), deliver(3), send(4)}));
    CHECK(host.done() == Log{"deliver 1", "deliver 2"});
  }
  SECTION("already halted") {
    host.stopped = true;
    CHECK_FALSE(perform(host, {send(1), persist("view")}));
    CHECK(host.log.empty());
  }
  SECTION("an empty list") {
    CHECK(perform(host, {}));
    CHECK(host.log.empty());
  }
}

TEST_CASE("a Halt the host survives does not stop the list") {
  LogHost host;
  host.stop_on_halt = false;
  CHECK(perform(host, {Halt{"beyond f"}, send(1)}));
  CHECK(host.done() == Log{"halt beyond f", "send 1"});
}

TEST_CASE("before_action can stop the host before the action is performed") {
  LogHost host;
  host.crash_after = 2;
  CHECK_FALSE(perform(host, {send(1), send(2), send(3), send(4)}));
  CHECK(host.log == Log{"before", "send 1", "before", "send 2", "before"});
}

TEST_CASE("a Persist that writes and deletes one key halts before the host writes it") {
  LogHost host;
  host.stop_on_halt = false;  // the driver stops the list itself, whatever the host does
  Persist both{{{"view", "v"}, {"prepared", "cert"}}, {"pv/1", "prepared"}};
  CHECK_FALSE(perform(host, {persist("pv/2"), both, send(1), deliver(2)}));
  CHECK(host.done() == Log{"persist pv/2",
                           "halt the engine asked to write and delete consensus record 'prepared' in one "
                           "Persist; nothing of it was written"});
  SECTION("disjoint keys, or only one side, are written as they are") {
    LogHost ok;
    CHECK(perform(ok, {Persist{{{"view", "v"}}, {"pv/1", "cv/1"}}, Persist{{}, {"pv/2"}}, send(1)}));
    CHECK(ok.done() == Log{"persist view", "persist -", "send 1"});
  }
}
