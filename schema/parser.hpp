#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/model.hpp"

// Reads an entity schema: a Mermaid `erDiagram` whose entities carry
// annotations on their own `%%` lines (valid Mermaid: whole-line comments
// are not rendered):
//
//   erDiagram
//   User {
//       String email UK "sign-in name"
//       %% @index
//       %% @service crud.rest.weft { plural: "users", hidden: ["password"] }
//   }
//   User ||--o{ Event : organizes
//
// `@index`, `@unique` and `@default(value)` apply to the attribute declared
// just above them; `@service <type>.<method>.<provider> { config }` to the
// entity, its config in relaxed JSON, which may go on over the next `%%`
// lines until its braces close. The original design's forms are read too
// (no `erDiagram` header, annotations at the end of an attribute line: not
// valid Mermaid) and reported as `legacy`, which `weft schema fmt` rewrites.
namespace weft::schema {

struct parse_result {
  entity_schema schema;
  std::vector<problem> problems; ///< every one found, in file order
  std::vector<problem> legacy;   ///< forms `fmt` rewrites into valid Mermaid

  bool ok() const { return problems.empty(); }
};

/// Parses `text`. The implicit attributes (`id` UUID PK, `created_at`,
/// `updated_at` DateTime) are added to each entity that does not declare
/// them, and the schema's hash is computed from its canonical form.
parse_result parse_schema(std::string_view text);

/// `file:line:column: message`.
std::string to_string(std::string_view file, const problem& p);

} // namespace weft::schema
