#pragma once

#include <string>

#include "schema/model.hpp"

namespace weft::schema {

/// Markdown of the schema's entities (each attribute: type, keys, index,
/// default, comment) and of the services bound to them (kind, provider and
/// the config in effect, defaults filled in), for `weft schema docs`; the
/// node's endpoints and events follow it there.
std::string markdown_of(const entity_schema& s, const std::string& source_name);

} // namespace weft::schema
