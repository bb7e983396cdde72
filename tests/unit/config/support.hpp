#pragma once

// Helpers shared by the config unit tests.

#include <algorithm>
#include <string>
#include <vector>

#include "actors/auth/settings.hpp"
#include "actors/modules.hpp"
#include "config/loader.hpp"
#include "config/section.hpp"

namespace weft::config::test {

/// The module list's sections: the tests load configs as the weft binary
/// does (services' sections included).
inline std::shared_ptr<const schema_extension> modules() {
  static auto ext = weft::schema_extension_of(weft::service_modules());
  return ext;
}

/// `load` and `load_file` with the module list's sections.
inline load_result mload(const std::string& text, const environment& env) {
  return load(text, env, modules());
}

inline load_result mload_file(const std::string& path, const environment& env) {
  return load_file(path, env, modules());
}

/// The defaults with every module's sections.
inline settings mdefaults() {
  return defaults(modules());
}

inline const auth::auth_settings& auth_of(const settings& s) {
  return auth::auth_settings_of(s);
}

inline const auth::root_settings& root_of(const settings& s) {
  return auth::root_settings_of(s);
}

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
