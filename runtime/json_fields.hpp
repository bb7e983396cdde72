#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json_fwd.hpp>

// Reading typed fields from a request body. Each failure is a 400 whose
// `errors[0].pointer` names the field, so clients see which one was wrong.
namespace weft::json_fields {

/// A required string field.
caf::expected<std::string> required_string(const nlohmann::json& body, std::string_view name);

/// An optional string field: empty when absent.
caf::expected<std::string> optional_string(const nlohmann::json& body, std::string_view name);

/// A required array of strings.
caf::expected<std::vector<std::string>> required_strings(const nlohmann::json& body,
                                                         std::string_view name);

/// A query parameter as an unsigned integer in [lo, hi], `fallback` if absent.
caf::expected<uint32_t> query_uint(const std::string* value, std::string_view name,
                                   uint32_t fallback, uint32_t lo, uint32_t hi);

} // namespace weft::json_fields
