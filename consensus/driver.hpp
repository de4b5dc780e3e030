// The one interpreter of the engine's actions. The daemon, the simulator and the test harness
// each say how to carry out one action of each kind (a `Host`); `perform()` decides everything
// that must not differ between them: the order, the follow-up actions of a delivered block,
// stopping once the host has halted, and never letting anything leave after a Persist that
// failed. Like the engine it reads no clock and touches no socket or thread.
#pragma once

#include "consensus/types.hpp"
#include "proto/status.hpp"

namespace sharechain::consensus {

// What a driver does with each action. perform() calls exactly one do_* per action it performs.
class Host {
 public:
  virtual ~Host() = default;

  virtual void do_send(const Send& send) = 0;
  virtual void do_broadcast(const Broadcast& broadcast) = 0;
  virtual void do_set_timer(const SetTimer& timer) = 0;
  virtual void do_cancel_timer(const CancelTimer& timer) = 0;
  // Writes `persist` and returns OK, or returns why it could not. It must be durable (synced)
  // before the host performs any later Send or Broadcast (types.hpp, Persist); the daemon syncs
  // there, the simulator and harness at once. The host does not halt on a failure itself:
  // perform() calls do_halt() with the reason and stops.
  virtual Status do_persist(const Persist& persist) = 0;
  // Executes the delivered block and appends the engine's answers to it (on_executed(), ...) to
  // `follow_up`; perform() carries them out after the rest of the current list. A host that
  // cannot execute the block halts (halted() turns true) rather than return an error.
  virtual void do_deliver(const Deliver& deliver, Actions& follow_up) = 0;
  virtual void do_fetch(const FetchBlocks& fetch) = 0;
  virtual void do_evidence(const Evidence& evidence) = 0;
  virtual void do_halt(const Halt& halt) = 0;
  // True once this host must carry out nothing more: it halted, crashed or is being torn down.
  // Asked before every action, so any do_* may turn it true and nothing after that is performed.
  virtual bool halted() = 0;
  // Called before each action is performed, after halted() said false; halted() is asked again
  // afterwards. A host that traces actions, counts them or crashes between two of them does it
  // here.
  virtual void before_action(const Action& /*action*/) {}
};

// Performs `actions` on `host` in their order, then the follow-up actions do_deliver() appended
// (in the order they were appended), then theirs, until none are left.
//
// It stops, leaving every later action and follow-up undone, when halted() is true before an
// action, or when do_persist() fails: then it calls do_halt() with "cannot persist consensus
// state: " and the status, so no Send or Broadcast that the lost record was to guard leaves.
// A Persist that names one key among both its puts and its deletes is not handed to the host at
// all: perform() halts the same way with a reason naming the key (the deletes would erase the
// record the puts keep; the engine never means that).
// A Halt action is handed to do_halt() like any other; whether it stops the rest is the host's
// to say through halted() (the simulator keeps running a replica that halts beyond f faults).
//
// Returns true when every action was performed, false when it stopped early.
bool perform(Host& host, Actions actions);

}  // namespace sharechain::consensus
