// sharechaind: the ShareChain validator daemon.
#include "node/daemon.hpp"

// jemalloc's start-up options (it reads this symbol; MALLOC_CONF in the environment still
// overrides it). The memtable and the block caches grow in megabyte arenas, and on a virtual
// machine every 4 KiB page first touched is a costly fault: with transparent huge pages a
// 2 MiB page is one fault. Catching up 1,000 blocks spent 13 % of its time in page faults
// before this (docs/benchmarks.md, "Catch-up"). The kernel must allow THP ("madvise" or
// "always" in /sys/kernel/mm/transparent_hugepage/enabled); with "never" this changes nothing.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): jemalloc's documented hook
const char* malloc_conf = "thp:always,metadata_thp:auto";
}

int main(int argc, char** argv) { return sharechain::node::run_daemon(argc, argv); }
