// `sharechain-dataserver audit`: checks a cluster's books from the outside, through the client
// API only, after a run (or at any quiet moment):
//
//   * the nodes agree: every node holds the same block hash and state root at every height;
//   * money is conserved: genesis balances + every issuance = the ledger's issued total =
//     sum of all balances + all escrow, where the sums run over every account the chain's
//     history names, read one by one; each account's escrow equals its holds;
//   * income is accounted for: every paid session's split is recomputed with the exact-split
//     rule (tools/dataserver/split.hpp, written independently of the contract) and compared
//     with the split the chain recorded; each party's income total equals its income history,
//     the RevenueDistributed events, and, for session income, the sum of its shares of the
//     paid sessions; each agreement's income equals its paid sessions plus forfeited deposits
//     and has reached its partners or waits in its pot; each split model's income equals what
//     was routed to it and has reached its parties or waits in its pot;
//   * each asset's investor income and return on investment match its owner's income history;
//   * financing: a successful round raised exactly its subscriptions and paid out exactly what
//     its financiers received; a failed or cancelled one refunded everyone; what investors
//     passed on equals what financiers were paid; every pro-rata payout is recomputed;
//   * vehicles: every attested record holds at least the threshold of TRUE endorsements from
//     distinct attesters that are not its parties, and each owner is the buyer of the vehicle's
//     latest attested registration or transfer.
//
// It reads the whole history from block 1, so it is meant for test and demo clusters.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace sharechain::dataserver {

struct AuditOptions {
  std::vector<std::string> nodes;
  std::string genesis;         // the cluster's genesis.json
  bool json = false;
  unsigned settle_s = 60;      // how long to wait for the nodes to reach one height
};

// Exit codes: 0 every check passed, 1 a check failed, 2 usage error (genesis unreadable),
// 3 a node cannot be reached.
int audit(const AuditOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sharechain::dataserver
