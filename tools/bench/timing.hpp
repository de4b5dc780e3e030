// Timing and percentiles shared by the benchmark modes that time single operations.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace sharechain::bench {

using Clock = std::chrono::steady_clock;

inline double us_since(Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t).count();
}

// The p-quantile (0..1) of `v`, nearest rank; 0 for no samples.
inline double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace sharechain::bench
