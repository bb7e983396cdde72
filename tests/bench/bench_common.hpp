#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

// What the benchmark programs share: their knobs from the environment, a
// percentile, and a process's CPU time.
namespace weft::bench {

/// The integer in environment variable `name`, or `fallback`.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

/// The `p` quantile (0..1) of `v` (reorders it); 0 when empty.
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty())
    return 0;
  auto i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

/// CPU seconds (user + system) of a process so far, from /proc.
inline double cpu_seconds(pid_t pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  std::istringstream rest{text.substr(close + 2)};
  std::string field;
  std::vector<std::string> f;
  while (rest >> field)
    f.push_back(field);
  // After the command: state is field 3, utime 14, stime 15 (1-based, man proc).
  double ticks = std::stod(f.at(11)) + std::stod(f.at(12));
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace weft::bench
