// Changing one value of a bundle at a time: every leaf of a JSON document, and a changed value
// of the same type for each (a hex digit stays a hex digit, so the bytes change, not the encoding).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proofs/bundle.hpp"

namespace sharechain::proofs::testing {

inline void leaves(const Json& j, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) leaves(v, at / k, out);
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) leaves(j[i], at / i, out);
  } else {
    out.push_back(at);
  }
}

inline Json changed(const Json& v) {
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number_unsigned()) return v.get<std::uint64_t>() + 1;
  if (v.is_number()) return v.get<double>() + 1;
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.empty()) return std::string(64, '1');  // e.g. an empty subtree made a hash
    s[s.size() / 2] = s[s.size() / 2] == '0' ? '1' : '0';
    return s;
  }
  return "x";
}

}  // namespace sharechain::proofs::testing
