#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace weft::config {

/// One thing wrong with the configuration: the key path and what is wrong,
/// printed as `http.port: must be in [0, 65535], got 70000`.
struct config_problem {
  std::string path;
  std::string message;
};

std::string to_string(const config_problem& p);

/// The outcome of loading: settings when `problems` is empty.
struct load_result {
  settings value;
  std::vector<config_problem> problems;
  bool ok() const { return problems.empty(); }
};

/// Environment as a map, so that tests need not touch the process's own.
using environment = std::map<std::string, std::string>;
environment process_environment();

/// Reads the JSON text (may be empty: defaults), applies `WEFT_<SECTION>_<KEY>`
/// (and `DATABASE_URL`, `NATS_URL`) from `env`, validates, and collects every
/// problem: malformed JSON, unknown keys (also unknown WEFT_ variables),
/// wrong types, values out of range.
load_result load(const std::string& json_text, const environment& env);

/// Reads the file, then as `load`; an unreadable file is a problem at path "".
load_result load_file(const std::string& path, const environment& env);

} // namespace weft::config
