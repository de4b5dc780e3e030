// Internal to storage/: the file system Store::open installs when Options::fault_injector is
// set. It wraps RocksDB's default file system and asks the injector about every operation that
// changes a file (fault_injector.hpp describes the model); reads pass straight through.
#pragma once

#include <rocksdb/env.h>

#include <memory>

#include "storage/fault_injector.hpp"

namespace sharechain::storage {

// An Env whose file system reports to `injector` (and whose clock skips back-off sleeps when the
// injector skips waits); nullptr when there is no injector, so a production store opens with
// RocksDB's own Env and pays nothing. The Env must outlive the database opened with it.
std::unique_ptr<rocksdb::Env> make_fault_env(const std::shared_ptr<FaultInjector>& injector);

}  // namespace sharechain::storage
