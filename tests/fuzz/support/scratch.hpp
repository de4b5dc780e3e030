// A private scratch folder for one fuzz process: the file targets write each input to a file in
// it (the loaders under test read paths, not bytes) and the storage targets open their RocksDB
// stores there. It lives under $SC_FUZZ_SCRATCH when set (scripts/fuzz.sh sets it, and removes
// what a crashed run leaves), else on /dev/shm when that exists, since an input a millisecond
// matters. It is removed when the process exits normally.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace sharechain::fuzz {

// The process's scratch folder, created on first use (mode 0700).
const std::filesystem::path& scratch_dir();

// Writes `bytes` to scratch_dir()/name with mode 0600, replacing what was there; returns the path.
std::filesystem::path write_scratch_file(const std::string& name, std::string_view bytes);

}  // namespace sharechain::fuzz
