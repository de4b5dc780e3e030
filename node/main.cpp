// sharechaind: the ShareChain validator daemon.
#include "contracts/executor.hpp"
#include "node/daemon.hpp"

int main(int argc, char** argv) {
  return sharechain::node::run_daemon(argc, argv, sharechain::contracts::standard_hooks());
}
