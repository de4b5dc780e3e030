#include "tools/common/outcome.hpp"

namespace sharechain::tools {

Failure Failure::from_local(const Status& status) {
  switch (status.code()) {
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kAlreadyExists:
      return usage(status.message());
    default:
      return refused(status.message());
  }
}

Failure Failure::from_client(const client::Error& error) {
  return error.moves_on() ? unreachable(error.message) : refused(error.message);
}

}  // namespace sharechain::tools
