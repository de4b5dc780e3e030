#include "tools/wallet/text.hpp"

#include <algorithm>

#include "proto/crypto.hpp"
#include "tools/common/render.hpp"

namespace sharechain::wallet {

std::string short_hex(const std::string& raw) {
  const std::string hex = crypto::to_hex(raw);
  return hex.size() > 16 ? hex.substr(0, 16) + "…" : hex;
}

std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void TextTable::print(std::ostream& out, std::size_t indent) const {
  std::vector<std::size_t> width(columns_.size(), 0);
  for (std::size_t i = 0; i < columns_.size(); ++i) width[i] = display_width(columns_[i].header);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size() && i < columns_.size(); ++i) {
      width[i] = std::max(width[i], display_width(row[i]));
    }
  }
  std::size_t total = 0;
  for (std::size_t w : width) total += w;
  total += columns_.empty() ? 0 : 2 * (columns_.size() - 1);

  const std::string margin(indent, ' ');
  auto line = [&](auto cell_at) {
    std::string s = margin;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const std::string cell = cell_at(i);
      const std::string pad(width[i] - display_width(cell), ' ');
      s += columns_[i].align == Align::kRight ? pad + cell : cell + pad;
      if (i + 1 < columns_.size()) s += "  ";
    }
    while (s.size() > margin.size() && s.back() == ' ') s.pop_back();
    out << s << "\n";
  };
  line([&](std::size_t i) { return columns_[i].header; });
  std::size_t next_rule = 0;
  for (std::size_t r = 0; r <= rows_.size(); ++r) {
    while (next_rule < rules_.size() && rules_[next_rule] == r) {
      out << margin << std::string(total, '-') << "\n";
      ++next_rule;
    }
    if (r == rows_.size()) break;
    line([&](std::size_t i) { return i < rows_[r].size() ? rows_[r][i] : std::string(); });
  }
}

}  // namespace sharechain::wallet
