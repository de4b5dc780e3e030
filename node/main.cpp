// sharechaind: the ShareChain validator daemon.
#include "node/daemon.hpp"

int main(int argc, char** argv) { return sharechain::node::run_daemon(argc, argv); }
