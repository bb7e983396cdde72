#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

// Checking a JSON value against a JSON Schema: the subset wire descriptions
// generate (type, properties, required, items, minLength, maxLength,
// minItems, maxItems, minimum, maximum, enum, const). The HTTP edge checks
// request bodies with the very schema OpenAPI shows, so the two cannot drift.
namespace weft::wire {

/// One way a value breaks its schema: an RFC 6901 pointer into the value
/// (`/roles/0`, "" for the value itself) and a sentence naming the field
/// (`roles/0 must be a string`).
struct violation {
  std::string pointer;
  std::string message;
};

/// The violations of `value` against `schema` (for an object: missing
/// required members first, then its properties by name), at most
/// `max` of them; empty when it fits. Unknown keywords are ignored, and so is
/// `format` (an annotation in JSON Schema 2020-12; services check what they
/// rely on).
std::vector<violation> validate(const nlohmann::json& schema, const nlohmann::json& value,
                                size_t max = 16);

/// A copy of `schema` with `keyword` set to `value` on the property at
/// `property` (a dot path of property names: "password", "key.name"), so a
/// limit from configuration shows in OpenAPI and is enforced alike.
nlohmann::json with_property_facet(nlohmann::json schema, const std::string& property,
                                   const std::string& keyword, const nlohmann::json& value);

} // namespace weft::wire
