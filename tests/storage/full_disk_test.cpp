// A real full disk, not a simulated one: a store on a 4 MB tmpfs committed into until the kernel
// says ENOSPC. The fault_*_test.cpp files inject their full disks below RocksDB's file writers,
// where RocksDB's own info log never looked; this one lets every file of the store (the info log
// included, had it one) run out of space together, as a production disk does.
//   - the commit that finds the disk full fails with RESOURCE_EXHAUSTED naming the device error,
//     and so does the next one; the process survives both (Debian's RocksDB 7.8 aborted here
//     while its LOG file lived in the data directory)
//   - RocksDB's messages about the error reach the store's log sink, and no LOG file is made
//   - the store closes, and once space returns reopens at the last block it acknowledged and
//     commits the next one
// It needs root for the mount; elsewhere it says so and checks nothing.
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "fault_test_util.hpp"

using namespace storage_test;
using sharechain::Code;

namespace {

class Tmpfs {
 public:
  explicit Tmpfs(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=4m") == 0;
    if (!mounted_) why_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  bool grow() { return ::mount("tmpfs", dir_.c_str(), nullptr, MS_REMOUNT, "size=64m") == 0; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_;
};

struct Captured {
  std::mutex mu;
  std::vector<std::pair<storage::LogLevel, std::string>> lines;
  bool warned_about(std::string_view what) {
    std::lock_guard lock(mu);
    for (const auto& [level, text] : lines) {
      if (level >= storage::LogLevel::kWarn && text.find(what) != std::string::npos) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("a store on a really full disk fails its commits, closes and recovers", "[fault]") {
  if (::geteuid() != 0) {
    WARN("not root: cannot mount a tmpfs, so the real full disk is not checked here");
    return;
  }
  TempDir base;
  Tmpfs fs(base.path() / "fs");
  if (!fs.mounted()) {
    WARN("cannot mount a tmpfs (" << fs.why() << "), so the real full disk is not checked here");
    return;
  }
  const auto dir = base.path() / "fs" / "db";
  auto captured = std::make_shared<Captured>();
  storage::Options options;
  options.log = [captured](storage::LogLevel level, std::string_view text) {
    std::lock_guard lock(captured->mu);
    captured->lines.emplace_back(level, std::string(text));
  };

  std::uint64_t acknowledged = 0;
  {
    auto store = open_store(dir, options);
    REQUIRE(store->init_genesis(genesis_hash(crash::kGenesisName), crash::genesis_writes()).is_ok());
    sharechain::Status failure;
    for (int i = 0; i < 200000; ++i) {
      auto r = fault::commit_next(*store);
      if (!r) {
        failure = r.status();
        break;
      }
    }
    REQUIRE_FALSE(failure.is_ok());
    INFO(failure.to_string());
    CHECK(failure.code() == Code::kResourceExhausted);
    CHECK_THAT(failure.message(), Catch::Contains("No space left on device"));
    acknowledged = store->height();
    REQUIRE(acknowledged > 0);

    auto again = fault::commit_next(*store);
    CHECK_FALSE(again.is_ok());
    CHECK(store->height() == acknowledged);
    CHECK(captured->warned_about("No space left on device"));
    CHECK_FALSE(std::filesystem::exists(dir / "LOG"));
  }  // closed with the failed write still in RocksDB's WAL writer

  REQUIRE(fs.grow());
  auto store = open_store(dir, options);
  crash::Reference ref;
  CHECK(store->height() == acknowledged);
  crash::check_exactly_at(*store, ref);
  REQUIRE(fault::commit_next(*store));
  CHECK(store->height() == acknowledged + 1);
  CHECK(store->verify_state().is_ok());
}
