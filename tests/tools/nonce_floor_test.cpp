// The client's nonce floor (tools/common/nonce_floor.hpp).
//   choose_nonce: no floor or a node at or above it → the node's answer, without a second look;
//     a node below it → a second look (height, then nonce): caught up → its nonce; still below
//     and below the floor's height → the floor (the node is behind); still below at or past the
//     floor's height → the node's nonce, marked as a different history; no answer → the floor
//   NonceFloors: nothing for a missing file or entry; a floor rises and never falls; chains and
//     senders are kept apart; forget drops one entry; a damaged file is named, a damaged entry
//     replaced by the next commit; the file is 0600 and the keystore never lists it as a key
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/tools/temp_dir.hpp"
#include "tools/common/files.hpp"
#include "tools/common/keystore.hpp"
#include "tools/common/nonce_floor.hpp"

using namespace sharechain;
using sharechain::testing::TempDir;
using tools::NodeView;
using tools::NonceFloor;
using tools::NonceSource;

namespace {

const std::string kAlice(20, '\x01');
const std::string kBob(20, '\x02');

}  // namespace

TEST_CASE("a node at or above the floor is taken at its word, without a second look", "[nonce]") {
  int looks = 0;
  auto view = [&] {
    ++looks;
    return NodeView{};
  };
  auto none = tools::choose_nonce(7, std::nullopt, view);
  CHECK(none.nonce == 7);
  CHECK(none.source == NonceSource::kNode);
  auto equal = tools::choose_nonce(7, NonceFloor{7, 100}, view);
  CHECK(equal.nonce == 7);
  auto above = tools::choose_nonce(9, NonceFloor{7, 100}, view);
  CHECK(above.nonce == 9);
  CHECK(above.source == NonceSource::kNode);
  CHECK(looks == 0);
}

TEST_CASE("a node below the floor is looked at again before anything is signed", "[nonce]") {
  const NonceFloor floor{8, 100};  // nonce 7 seen committed at height 100

  SECTION("behind: its height is below the commit's, so the floor is used") {
    auto c = tools::choose_nonce(7, floor, [] { return NodeView{95, 7}; });
    CHECK(c.nonce == 8);
    CHECK(c.source == NonceSource::kFloor);
    CHECK(c.node_height == 95);
  }
  SECTION("caught up between the two reads: its new answer is used") {
    auto c = tools::choose_nonce(7, floor, [] { return NodeView{101, 9}; });
    CHECK(c.nonce == 9);
    CHECK(c.source == NonceSource::kNode);
  }
  SECTION("past the commit's height without its nonce: another history, the floor is dropped") {
    auto c = tools::choose_nonce(2, floor, [] { return NodeView{100, 2}; });
    CHECK(c.nonce == 2);
    CHECK(c.source == NonceSource::kStaleFloor);
  }
  SECTION("no second answer: the floor, which can only leave a transaction waiting") {
    auto c = tools::choose_nonce(7, floor, [] { return NodeView{}; });
    CHECK(c.nonce == 8);
    CHECK(c.source == NonceSource::kFloor);
  }
}

TEST_CASE("floors are kept per chain and sender, rise only, and survive in a private file", "[nonce]") {
  TempDir dir;
  const auto file = tools::NonceFloors::in_keystore(dir.path());
  const tools::NonceFloors floors(file);

  auto missing = floors.get("chain-a", kAlice);
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());

  REQUIRE(floors.raise("chain-a", kAlice, NonceFloor{5, 40}));
  REQUIRE(floors.raise("chain-a", kAlice, NonceFloor{3, 20}));  // an older commit
  auto got = floors.get("chain-a", kAlice);
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->next_nonce == 5);
  CHECK((*got)->height == 40);

  REQUIRE(floors.raise("chain-a", kAlice, NonceFloor{6, 41}));
  CHECK((*floors.get("chain-a", kAlice))->next_nonce == 6);
  CHECK_FALSE(floors.get("chain-b", kAlice)->has_value());
  CHECK_FALSE(floors.get("chain-a", kBob)->has_value());

  // Another wallet process reads what this one wrote.
  CHECK((*tools::NonceFloors(file).get("chain-a", kAlice))->height == 41);

  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  REQUIRE(floors.raise("chain-a", kBob, NonceFloor{1, 42}));
  REQUIRE(floors.forget("chain-a", kAlice));
  CHECK_FALSE(floors.get("chain-a", kAlice)->has_value());
  CHECK(floors.get("chain-a", kBob)->has_value());
  REQUIRE(floors.forget("chain-z", kAlice));  // nothing to forget is not an error
}

TEST_CASE("a damaged floor file is named, and the keystore does not take it for a key", "[nonce]") {
  TempDir dir;
  const auto file = tools::NonceFloors::in_keystore(dir.path());
  { std::ofstream(file) << "[1, 2"; }
  const tools::NonceFloors floors(file);
  auto got = floors.get("chain-a", kAlice);
  REQUIRE_FALSE(got);
  CHECK(got.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(got.status().message(), Catch::Contains(file.string()));
  CHECK_FALSE(floors.raise("chain-a", kAlice, NonceFloor{1, 1}));

  { std::ofstream(file) << R"({"chain-a": {")" << std::string(40, '0') << R"(": {"height": 3}}})"; }
  auto partial = floors.get("chain-a", std::string(20, '\0'));
  REQUIRE_FALSE(partial);
  CHECK_THAT(partial.status().message(), Catch::Contains("next_nonce"));

  // A damaged entry is replaced by a commit seen since; a chain that is not an object is named.
  REQUIRE(floors.raise("chain-a", std::string(20, '\0'), NonceFloor{4, 9}));
  CHECK((*floors.get("chain-a", std::string(20, '\0')))->next_nonce == 4);
  { std::ofstream(file) << R"({"chain-a": 7})"; }
  auto not_object = floors.raise("chain-a", kAlice, NonceFloor{1, 1});
  REQUIRE_FALSE(not_object);
  CHECK_THAT(not_object.message(), Catch::Contains("chain-a"));

  tools::Keystore keystore(dir.path());
  auto keys = keystore.list();
  REQUIRE(keys);
  CHECK(keys->empty());
}
