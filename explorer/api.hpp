// The explorer's JSON endpoints (docs/explorer.md lists their fields). Each reads committed data
// only, through the store and the contracts' queries, and answers a JSON body with an HTTP
// status: 200, 400 for input that cannot name anything (with what is wrong), 404 for what the
// chain does not hold.
#pragma once

#include <string_view>

#include "explorer/explorer.hpp"
#include "reports/render.hpp"

namespace sharechain::explorer {

struct ApiAnswer {
  unsigned status = 200;
  reports::Json body;
};

class Api {
 public:
  explicit Api(const Sources& sources) : s_(sources) {}

  // Routes `rest`, the path after /explorer/api/, e.g. "block/12" or "tip".
  ApiAnswer route(std::string_view rest, std::string_view query) const;

  ApiAnswer tip() const;
  ApiAnswer blocks(std::string_view query) const;
  ApiAnswer block(std::string_view height_or_hash) const;
  ApiAnswer tx(std::string_view hash) const;
  ApiAnswer validators() const;
  ApiAnswer account(std::string_view address) const;
  ApiAnswer asset(std::string_view id) const;
  ApiAnswer investor(std::string_view address) const;
  ApiAnswer vehicle(std::string_view vin) const;
  ApiAnswer search(std::string_view query) const;

 private:
  const Sources& s_;
};

// A query-string parameter, percent-decoded; empty when absent.
std::string query_param(std::string_view query, std::string_view name);

}  // namespace sharechain::explorer
