// sharechaind-mint-fault: the validator daemon with one contract bug, for tests only.
//
// Each distribution of revenue to an asset's investor runs the chain's own financing hook and
// then credits the investor 1,000 units more, without minting them (no issued counter, no
// event): money from nowhere, exactly what the per-block check (contracts/invariants.hpp) exists
// to catch. tests/cluster/invariant_halt.sh runs a cluster of these and checks that every node
// halts at the block that did it, naming the invariant, the height and the transaction, before
// anything it signs could certify that state.
//
// With SC_MINT_FAULT_UNCHECKED=1 in its environment it also skips that check, so the cluster
// stores the bad blocks: the history `sharechain audit` must then find the violation in.
// Never installed; sharechaind has neither the hook nor a way to skip the check.
#include <cstdlib>
#include <string_view>

#include "contracts/executor.hpp"
#include "contracts/ledger/ledger.hpp"
#include "node/daemon.hpp"

namespace {

using namespace sharechain::contracts;

const Hooks& minting_hooks() {
  static const Hooks hooks{[](TxContext& ctx, const InvestorDistribution& d) -> Checked<std::uint64_t> {
    Checked<std::uint64_t> kept = standard_hooks().investor_distribution(ctx, d);
    if (!kept.is_ok()) return kept;
    auto account = ledger::account_or_new(ctx.state(), d.investor);
    account.set_balance(account.balance() + 1'000);
    ledger::save_account(ctx.state(), account);
    return kept;
  }};
  return hooks;
}

}  // namespace

int main(int argc, char** argv) {
  const char* unchecked = std::getenv("SC_MINT_FAULT_UNCHECKED");
  sharechain::node::ExecutionSeams seams;
  seams.hooks = &minting_hooks();
  seams.check_invariants = unchecked == nullptr || std::string_view(unchecked) != "1";
  return sharechain::node::run_daemon(argc, argv, seams);
}
