// `sharechain-bench state-tree`: what the state tree costs a node (docs/proofs.md, "State
// proofs"), measured offline on the node's own code: building the tree of N entries (as a node
// does when it opens its store or restores a snapshot) and the memory it holds, applying blocks of
// changed entries (as every block does), the length and size of proofs, and checking one.
#pragma once

namespace sharechain::bench {

// argv[0] is "state-tree". 0 on success, 2 for usage errors.
int run_state_tree(int argc, char** argv);

}  // namespace sharechain::bench
