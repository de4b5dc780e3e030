// `sharechain-bench proofs`: what the receipt commitments and their proofs cost (docs/proofs.md).
//
// Against a running node: reads the latest blocks with their receipts and, for each, times the
// history chain step a node computes after every block (receipts_root over the block's receipts,
// then one tagged hash) — the commitment a header's history_root certifies. Then it asks the node
// for proofs of transactions in those blocks (GetProof), timing the answer, measuring the proof's
// size as protobuf and as bundle JSON, and timing its offline verification.
#pragma once

namespace sharechain::bench {

// argv[0] is "proofs". 0 when every proof asked for was served and verified, 1 otherwise, 2 for
// usage errors.
int run_proofs(int argc, char** argv);

}  // namespace sharechain::bench
