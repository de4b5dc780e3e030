// `sharechain portfolio ACCOUNT`: one investor's assets, income, return on investment and
// financing, read through contract queries (assets, financing, revenue) and shown as tables or
// one JSON object (portfolio.hpp).
#include <optional>

#include "sharechain/api.pb.h"
#include "tools/wallet/context.hpp"
#include "tools/wallet/portfolio.hpp"

namespace sharechain::wallet {
namespace {

// The portfolio's reads over the client API. A failure keeps its exit code (3 when the node
// cannot be reached) for the command to return.
class ClientReader final : public reports::ChainReader {
 public:
  explicit ClientReader(Context& ctx) : ctx_(ctx) {}

  Result<std::optional<ledger::Account>> account(const std::string& address20) override {
    Outcome<client::Node*> c = ctx_.client();
    if (!c) return fail(c.failure());
    Outcome<std::optional<ledger::Account>> a = (*c)->account(address20);
    if (!a) return fail(a.failure());
    return *a;
  }

  Result<api::QueryResponse> query(const api::QueryRequest& request) override {
    Outcome<api::QueryResponse> r = ctx_.query(request);
    if (!r) return fail(r.failure());
    return *r;
  }

  // What to report for a failed read: the client's own failure, or the portfolio's refusal.
  Failure failure_for(const Status& status) const {
    return failure_ ? *failure_ : Failure::refused(status.message());
  }

 private:
  Status fail(Failure f) {
    Status s = Status::unavailable(f.message);
    failure_ = std::move(f);
    return s;
  }

  Context& ctx_;
  std::optional<Failure> failure_;
};

}  // namespace

void register_portfolio_commands(CLI::App& app, Context& ctx) {
  auto who = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "portfolio",
      "an investor's assets, income by asset and month, return on investment, financing rounds "
      "offered and subscriptions to other rounds");
  cmd->add_option("account", *who, "an address (sc...) or a key name")->required();
  on_run(cmd, ctx, [&ctx, who] {
    Outcome<std::string> address = ctx.resolve_address(*who);
    if (!address) return ctx.fail(address.failure());
    ClientReader reader(ctx);
    Result<PortfolioData> data = reports::read_portfolio(reader, *address);
    if (!data) return ctx.fail(reader.failure_for(data.status()));
    Outcome<tools::Json> j = portfolio_report(*data);
    if (!j) return ctx.fail(j.failure());
    if (ctx.json()) {
      ctx.print_json(*j);
    } else {
      print_portfolio(ctx.out(), *j);
    }
    return tools::kExitOk;
  });
}

}  // namespace sharechain::wallet
