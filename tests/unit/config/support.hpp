#pragma once

// Helpers shared by the config unit tests.

#include <algorithm>
#include <string>
#include <vector>

#include "config/loader.hpp"

namespace weft::config::test {

/// The printed problems, one a line, for readable failure output (INFO).
inline std::string printed(const load_result& r) {
  std::string out;
  for (const auto& p : r.problems)
    out += to_string(p) + "\n";
  return out;
}

/// True if some problem prints exactly as `text`.
inline bool has_problem(const load_result& r, const std::string& text) {
  for (const auto& p : r.problems)
    if (to_string(p) == text)
      return true;
  return false;
}

/// The problem at `path`, or nullptr.
inline const config_problem* problem_at(const load_result& r, const std::string& path) {
  for (const auto& p : r.problems)
    if (p.path == path)
      return &p;
  return nullptr;
}

} // namespace weft::config::test
