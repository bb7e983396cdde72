#pragma once

#include <string>

#include "schema/model.hpp"

namespace weft::schema {

/// The schema as valid Mermaid (what `weft schema fmt` prints): the
/// `erDiagram` header, attributes with their keys (`@unique` as UK),
/// `@index` and `@default` on `%%` lines under their attribute, each
/// `@service` on its own `%%` lines with its config as written, then the
/// relationships. The implicit attributes are left out. `canonical` writes
/// each config as compact JSON instead: the form the schema's hash is of,
/// so that reformatting a config does not change it.
std::string format_schema(const entity_schema& s, bool canonical = false);

} // namespace weft::schema
