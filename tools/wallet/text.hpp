// Text helpers the wallet's human output shares: aligned tables, short hex, integer percentages.
// Nothing here reads the chain; it only lays out values a command already has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "reports/portfolio.hpp"

namespace sharechain::wallet {

// The first 16 hex digits of `raw` followed by "…", or all of it when shorter.
std::string short_hex(const std::string& raw);

// basis points as a percentage with two decimals (reports/portfolio.hpp).
using reports::format_percent;

// A table for people: a header row, then rows of cells. Text columns are left-aligned, number
// columns right-aligned; every column is as wide as its widest cell; rows print with two spaces
// between columns and no trailing spaces. A row with fewer cells than columns leaves the rest
// empty, so a total line can skip what does not apply.
class TextTable {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kLeft;
  };

  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  // A line of dashes under the rows so far, as wide as the table (before a total line).
  void add_rule() { rules_.push_back(rows_.size()); }
  bool empty() const { return rows_.empty(); }

  // Writes the header, the rows and the rules, each line starting with `indent` spaces.
  void print(std::ostream& out, std::size_t indent = 2) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> rules_;  // a rule before rows_[i]
};

// The display width of `s`: UTF-8 continuation bytes do not count, so "…" is one column.
std::size_t display_width(const std::string& s);

}  // namespace sharechain::wallet
