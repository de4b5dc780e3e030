// `sharechain-bench catchup`: how fast a validator that was down catches up by state transfer.
//
// Against a cluster folder made by `sharechain-net init` and running under `sharechain-net
// start`: stops one backup validator (SIGTERM through its pid file), commits N blocks through the
// others, starts it again the way `sharechain-net start` does, and times it until its height
// reaches the others'. The rate is read from the node's own "state transfer: A -> B: K blocks
// executed in S s" log lines (the fetch, verification and execution alone); the time from the
// restart to the target height (process start, store open and peers connecting included) is
// reported beside it.
#pragma once

namespace sharechain::bench {

// argv[0] is "catchup". Returns the process exit code: 0 when the node reached the target height
// with the same block and state root as the others, 1 when it did not, 2 for usage errors.
int run_catchup(int argc, char** argv);

}  // namespace sharechain::bench
