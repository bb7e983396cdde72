#pragma once

#include <string>

#include "schema/model.hpp"

namespace weft::schema {

/// A C++ header for users who write their own handlers over the schema
/// (`weft schema gen-cpp`): per entity a struct (snake-case name, members
/// named as the attributes), its CAF `inspect`, nlohmann JSON conversion,
/// and the typed events `<entity>_created|updated|deleted` (Weft's
/// typed_event: type_name, version, JSON). JSON attributes are kept as JSON
/// text (CAF 0.17 cannot serialise nlohmann::json).
std::string cpp_of(const entity_schema& s, const std::string& source_name);

} // namespace weft::schema
