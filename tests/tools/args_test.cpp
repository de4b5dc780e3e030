// Command-line value parsers of the contract commands (tools/wallet/args.hpp) and the text
// rendering of query results (tools/common/render.hpp print_text).
//   ids are exactly 32 hex digits, hashes 64; anything else is a usage error naming the option
//   times: milliseconds, or UTC dates with minutes or seconds and an optional Z; impossible dates,
//     times before 1970 and trailing junk are refused
//   times of day HH:MM from 00:00 to 24:00
//   field splitting honours the allowed counts; number lists are strict
//   print_text: nested objects indent, lists of values join, lists of objects itemise, empty
//     lists say (none), money fields show credits
#include <catch2/catch.hpp>
#include <sstream>

#include "tools/common/render.hpp"
#include "tools/wallet/args.hpp"

using namespace sharechain;
using namespace sharechain::wallet;
using tools::Outcome;

TEST_CASE("ids and hashes", "[args]") {
  const std::string id_hex(32, 'a');
  Outcome<std::string> id = parse_id(id_hex, "--asset");
  REQUIRE(id);
  CHECK(id->size() == 16);
  for (const std::string& bad : {std::string(30, 'a'), std::string(34, 'a'), std::string(31, 'a') + "g", std::string()}) {
    CAPTURE(bad);
    Outcome<std::string> r = parse_id(bad, "--asset");
    REQUIRE_FALSE(r);
    CHECK(r.failure().exit_code == tools::kExitUsage);
    CHECK(r.failure().message.find("--asset") != std::string::npos);
  }
  CHECK(parse_hash32(std::string(64, '0'), "--proof-hash")->size() == 32);
  CHECK_FALSE(parse_hash32(id_hex, "--proof-hash"));
}

TEST_CASE("times", "[args]") {
  CHECK(parse_time_ms("0", "--start").value() == 0);
  CHECK(parse_time_ms("1795439245639", "--start").value() == 1795439245639ULL);
  CHECK(parse_time_ms("1970-01-01T00:00Z", "--start").value() == 0);
  CHECK(parse_time_ms("2023-11-14T22:13:20Z", "--start").value() == 1'700'000'000'000ULL);
  CHECK(parse_time_ms("2023-11-14T22:13", "--start").value() == 1'699'999'980'000ULL);
  CHECK(parse_time_ms("2024-02-29T00:00Z", "--start").value() == 1'709'164'800'000ULL);
  for (const char* bad : {"2023-02-29T00:00Z", "2023-13-01T00:00Z", "2023-01-01T24:00Z", "1969-12-31T23:59Z",
                          "2023-01-01", "2023-01-01T10:00:00+02:00", "2023-01-01T10:00Zjunk", "-5", "soon", ""}) {
    CAPTURE(bad);
    Outcome<std::uint64_t> r = parse_time_ms(bad, "--start");
    REQUIRE_FALSE(r);
    CHECK(r.failure().exit_code == tools::kExitUsage);
  }
}

TEST_CASE("times of day", "[args]") {
  CHECK(parse_minute_of_day("00:00", "--hours").value() == 0);
  CHECK(parse_minute_of_day("08:30", "--hours").value() == 510);
  CHECK(parse_minute_of_day("8:30", "--hours").value() == 510);
  CHECK(parse_minute_of_day("24:00", "--hours").value() == 1440);
  for (const char* bad : {"24:01", "12:60", "12", "12:5", "123:00", "ab:cd", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_minute_of_day(bad, "--hours"));
  }
}

TEST_CASE("fields and number lists", "[args]") {
  auto f = split_fields("wash:Wash:lift:minute:100", 5, 5, "--item", "ID:NAME:TYPE:BASIS:PRICE");
  REQUIRE(f);
  CHECK(*f == std::vector<std::string>{"wash", "Wash", "lift", "minute", "100"});
  CHECK(split_fields("a:b", 2, 3, "--x", "A:B[:C]")->size() == 2);
  CHECK(split_fields("a::c", 2, 3, "--x", "A:B[:C]").value()[1].empty());
  Outcome<std::vector<std::string>> few = split_fields("a", 2, 3, "--x", "A:B[:C]");
  REQUIRE_FALSE(few);
  CHECK(few.failure().message.find("A:B[:C]") != std::string::npos);
  CHECK_FALSE(split_fields("a:b:c:d", 2, 3, "--x", "A:B[:C]"));
  CHECK(parse_number_list("5000,4000,500,500", "--shares", 10000).value() ==
        std::vector<std::uint64_t>{5000, 4000, 500, 500});
  for (const char* bad : {"5000,,5000", "5000,", "-1", "10001", "1 2"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_number_list(bad, "--shares", 10000));
  }
  CHECK(parse_number("7", "--x", 1, 10).value() == 7);
  CHECK_FALSE(parse_number("0", "--x", 1, 10));
  CHECK_FALSE(parse_number("11", "--x", 1, 10));
}

TEST_CASE("query results as text", "[render]") {
  tools::Json j = {{"id", "ab"},
                   {"spec", {{"name", "Bay 1"}, {"investment_cost", 1000000}}},
                   {"partners", tools::Json::array({{{"account", "sc01"}, {"share_bps", 9000}}})},
                   {"parts", {5000, 4000}},
                   {"roles", tools::Json::array()},
                   {"charge", 250},
                   {"ok", true}};
  std::ostringstream out;
  tools::print_text(out, j);
  const std::string text = out.str();
  CHECK(text.find("id        ab\n") != std::string::npos);
  CHECK(text.find("spec\n  name             Bay 1\n") != std::string::npos);
  CHECK(text.find("  investment_cost  1000000 units (10000.00 credits)\n") != std::string::npos);
  CHECK(text.find("partners\n  -\n    account    sc01\n    share_bps  9000\n") != std::string::npos);
  CHECK(text.find("parts     5000, 4000\n") != std::string::npos);
  CHECK(text.find("roles     (none)\n") != std::string::npos);
  CHECK(text.find("charge    250 units (2.50 credits)\n") != std::string::npos);
  CHECK(text.find("ok        true\n") != std::string::npos);
  CHECK(tools::is_money_field("investor_income"));
  CHECK(tools::is_money_field("purchase_price"));
  CHECK_FALSE(tools::is_money_field("share_bps"));
  CHECK_FALSE(tools::is_money_field("height"));
}
