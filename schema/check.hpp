#pragma once

#include <optional>
#include <vector>

#include "schema/model.hpp"
#include "schema/parser.hpp"

namespace weft::schema {

struct check_options {
  /// Whether the node has a database: `postgres` providers need one. Unset
  /// (`weft schema check` without a config): not checked.
  std::optional<bool> has_database;
};

/// Every problem of the schema's `@service` bindings, at once: unknown kinds
/// and providers (naming the available ones), config keys unknown, missing
/// or of the wrong type, attributes named that do not exist or have a type
/// the kind cannot use, two bindings of one kind on an entity with the same
/// name, two collections with the same plural.
std::vector<problem> check_services(const entity_schema& s, const check_options& opts = {});

/// Parses `text` and checks its services: every problem of both, in file
/// order (the services are checked even when the diagram has problems, so
/// that one run shows them all).
parse_result parse_and_check(std::string_view text, const check_options& opts = {});

} // namespace weft::schema
