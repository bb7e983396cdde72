#pragma once

#include "runtime/cli.hpp"

namespace weft {

/// `weft schema check FILE`: every problem as `FILE:line:column: message`
/// and exit 2, else a summary and 0 (legacy forms are noted, not errors).
/// `weft schema fmt FILE [--write]`: the schema as valid Mermaid on
/// stdout, or written back to FILE; a schema with problems is not
/// formatted (exit 2).
int run_schema_command(const command_line& cl);

} // namespace weft
