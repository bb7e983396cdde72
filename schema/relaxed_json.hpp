#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

// The config of an `@service` annotation is relaxed JSON, as people write
// it by hand in a diagram: keys may be unquoted identifiers, strings may use
// single quotes, and a trailing comma is fine. nlohmann_json reads strict
// JSON only (notes: cluster-consumers-schema.md §4), so this small reader.
namespace weft::schema {

struct relaxed_result {
  nlohmann::json value;
  std::string error;     ///< empty when the text read
  size_t error_at = 0;   ///< offset of the problem in the text
  size_t end = 0;        ///< offset just past the value read

  bool ok() const { return error.empty(); }
};

/// Reads one value from the start of `text` (leading blanks skipped); what
/// follows it is left for the caller (`end`).
relaxed_result read_relaxed_json(std::string_view text);

} // namespace weft::schema
