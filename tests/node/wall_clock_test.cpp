// node::WallClock: the system clock unless an offset file says otherwise; the file is re-read at
// most once a second, a missing file is no offset, and unreadable contents keep the last offset.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

#include "node/wall_clock.hpp"

namespace fs = std::filesystem;
using sharechain::node::WallClock;
using sharechain::node::parse_clock_offset;

namespace {

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

fs::path temp_file() {
  const fs::path dir = fs::temp_directory_path() / ("sc-wall-clock-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / "clock-offset";
}

// Waits past the once-a-second re-read.
void next_read() { std::this_thread::sleep_for(std::chrono::milliseconds(1100)); }

}  // namespace

TEST_CASE("clock offsets are signed whole seconds with an optional 's'") {
  CHECK(parse_clock_offset("+0") == 0);
  CHECK(parse_clock_offset("+30s") == 30);
  CHECK(parse_clock_offset("-12") == -12);
  CHECK(parse_clock_offset("  45 s\n") == 45);
  CHECK(parse_clock_offset("3600s\n") == 3600);
  CHECK_FALSE(parse_clock_offset(""));
  CHECK_FALSE(parse_clock_offset("+"));
  CHECK_FALSE(parse_clock_offset("s"));
  CHECK_FALSE(parse_clock_offset("1.5s"));
  CHECK_FALSE(parse_clock_offset("30m"));
  CHECK_FALSE(parse_clock_offset("--3"));
  CHECK_FALSE(parse_clock_offset("2026-12-06 12:00:00"));
  CHECK_FALSE(parse_clock_offset("9999999999999"));
}

TEST_CASE("without an offset file the wall clock is the system clock") {
  WallClock clock;
  const std::int64_t before = system_ms();
  const auto now = static_cast<std::int64_t>(clock.now_ms());
  CHECK(now >= before);
  CHECK(now <= system_ms());
  CHECK(clock.offset_ms() == 0);
}

TEST_CASE("the offset file steps the clock, and is re-read while the node runs") {
  const fs::path file = temp_file();
  write(file, "+3600s\n");
  WallClock clock(file);
  CHECK(clock.offset_ms() == 3'600'000);
  std::int64_t lead = static_cast<std::int64_t>(clock.now_ms()) - system_ms();
  CHECK(lead > 3'599'000);
  CHECK(lead <= 3'600'000);

  write(file, "-45\n");
  next_read();
  CHECK(clock.offset_ms() == -45'000);
  lead = static_cast<std::int64_t>(clock.now_ms()) - system_ms();
  CHECK(lead < -44'000);
  CHECK(lead >= -45'001);

  // Contents it cannot read keep the offset it had; a later good value applies.
  write(file, "soon");
  next_read();
  CHECK(clock.offset_ms() == -45'000);
  write(file, "+0");
  next_read();
  CHECK(clock.offset_ms() == 0);

  // A removed file is no offset.
  write(file, "+10s");
  next_read();
  CHECK(clock.offset_ms() == 10'000);
  fs::remove(file);
  next_read();
  CHECK(clock.offset_ms() == 0);
  fs::remove_all(file.parent_path());
}

TEST_CASE("a step far into the past never makes the clock negative") {
  const fs::path file = temp_file();
  write(file, "-99999999999s");
  WallClock clock(file);
  CHECK(clock.now_ms() == 0);
  fs::remove_all(file.parent_path());
}
