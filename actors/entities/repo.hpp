#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "actors/entities/catalog.hpp"
#include "runtime/unit_of_work.hpp"

// A collection's rows: JSON objects holding every attribute of the entity
// (hidden ones too; what is shown is the front's business). In memory: a
// map by id with its unique indexes; on PostgreSQL: the entity's table,
// typed columns named as the attributes (actors/entities/repo_pg.cpp).
namespace weft::entities {

class entity_repository {
public:
  virtual ~entity_repository() = default;

  /// Adds `row` (with its id and times); `api_errc::conflict` naming the
  /// attribute when a unique one is taken.
  virtual caf::error insert(const nlohmann::json& row) = 0;

  /// The row, if there is one.
  virtual caf::expected<std::optional<nlohmann::json>> find(std::string_view id) = 0;

  /// Replaces the row `row["id"]` (read before in this unit); conflict as insert.
  virtual caf::error replace(const nlohmann::json& row) = 0;

  /// Deletes the row; false if there was none.
  virtual caf::expected<bool> remove(std::string_view id) = 0;

  /// Rows with an id after `after` (empty: from the start), in id (creation)
  /// order, whose attributes equal `equal`'s values, at most `limit`.
  virtual caf::expected<std::vector<nlohmann::json>>
  list(const nlohmann::json& equal, std::string_view after, size_t limit) = 0;
};

/// The repository of `c` on the unit's store.
std::unique_ptr<entity_repository> open_repository(unit_of_work& w, const collection& c);
std::unique_ptr<entity_repository> open_memory_repository(unit_of_work& w, const collection& c);
std::unique_ptr<entity_repository> open_pg_repository(unit_of_work& w, const collection& c);

/// Brings the database's tables to the schema (PostgreSQL), in one
/// transaction under the schema's advisory lock: a new entity gets its
/// table, a new attribute its column, a new unique attribute or `@index` its
/// index. A dropped or retyped column is destructive: refused, naming each,
/// unless `allow_destructive` (then dropped, or converted with a cast).
/// What it did, one line each.
caf::expected<std::vector<std::string>> sync_tables(unit_of_work& w, const catalog& cat,
                                                    bool allow_destructive);

} // namespace weft::entities
