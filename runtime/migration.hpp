#pragma once

#include <span>
#include <string>
#include <string_view>

namespace weft {

/// One SQL migration: `0001_initial.sql` is {1, "initial", <its SQL>}. The
/// files of a folder's `migrations/` are compiled into the binary
/// (cmake/EmbedMigrations.cmake) and applied by adapters/postgres in version
/// order, each once, under the name of the module that owns them.
struct migration {
  int version;           ///< NNNN, > 0, strictly increasing within its module
  std::string_view name; ///< <name> of the file
  std::string_view sql;  ///< its contents, ;-separated statements

  /// `0001_initial.sql`.
  std::string file_name() const;
};

/// The migrations of one module, in version order.
struct migration_set {
  std::string_view module;  ///< `weft` for the node's own tables, else the service
  std::span<const migration> migrations;
};

} // namespace weft
