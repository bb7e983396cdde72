#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "config/section.hpp"
#include "schema/model.hpp"

namespace weft::entities {

/// The `schema` config section: the entity schema the node serves.
struct schema_settings {
  std::string file;               ///< a Mermaid entity schema (weft run --schema FILE); empty = none
  bool allow_destructive = false; ///< let start drop or retype columns the schema no longer has
};

/// The section, with its check: the file must read and pass every schema
/// check (each problem as `schema.file: FILE:line:column: ...`, exit 2).
std::vector<config::section> config_sections();

const schema_settings& settings_of(const config::settings& s);

/// The checked schema of `s` (null when `schema.file` is empty). The loader
/// has checked it, so an error here means the file changed since.
caf::expected<std::shared_ptr<const schema::entity_schema>> load_schema(const config::settings& s);

} // namespace weft::entities
