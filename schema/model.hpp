#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// An entity schema (issue 10): entities with typed attributes, the services
// bound to them by `@service` annotations, and their relationships, as read
// from a Mermaid `erDiagram`. Pure data; schema/parser reads it, and
// schema/check says whether its services can run.
namespace weft::schema {

/// Where something is in the schema file: 1-based line and column.
struct position {
  uint32_t line = 0;
  uint32_t column = 0;
};

/// One problem with a schema, reported as `file:line:column: message`.
struct problem {
  position at;
  std::string message;
};

/// The attribute types of the schema language.
enum class scalar {
  string_type, text, integer, float_type, boolean, uuid, date, date_time, json, binary,
};

/// A scalar, or an `Array[T]` of scalars.
struct attribute_type {
  scalar element = scalar::string_type;
  bool array = false;

  friend bool operator==(const attribute_type&, const attribute_type&) = default;
};

/// `order_line` for `OrderLine`: table names, event types, C++ names.
std::string snake_case(std::string_view name);

/// The schema spelling of a scalar (`DateTime`).
std::string_view name_of(scalar s);

/// `Array[String]`, `Integer`.
std::string to_string(const attribute_type& t);

/// The type a schema spells `text`; nullopt if none.
std::optional<attribute_type> parse_type(std::string_view text);

struct attribute {
  std::string name;
  attribute_type type;
  bool primary_key = false;              ///< PK
  bool foreign_key = false;              ///< FK
  bool unique = false;                   ///< UK (or the legacy `%% @unique`)
  bool indexed = false;                  ///< `@index`
  std::optional<nlohmann::json> default_value; ///< `@default(value)`
  std::string comment;                   ///< the quoted comment of the line
  bool implicit = false;                 ///< id, created_at, updated_at added by Weft
  position at;
};

/// `@service <type>.<method>.<provider> { config }` on an entity.
struct service_binding {
  std::string type;     ///< crud
  std::string method;   ///< rest
  std::string provider; ///< weft
  nlohmann::json config = nlohmann::json::object();
  std::string config_text; ///< as written (fmt keeps it)
  position at;

  /// `crud.rest`: the kind, without the provider.
  std::string kind() const { return type + "." + method; }
};

struct entity {
  std::string name;
  std::vector<attribute> attributes; ///< as declared, then the implicit ones
  std::vector<service_binding> services;
  position at;

  const attribute* find(std::string_view attr) const;
};

/// `User ||--o{ Event : organizes`.
struct relationship {
  std::string left;
  std::string right;
  std::string cardinality; ///< `||--o{`
  std::string label;
  position at;
};

struct entity_schema {
  std::vector<entity> entities;
  std::vector<relationship> relationships;
  std::string hash; ///< hex SHA-256 prefix of the canonical form: events' `dataversion`

  const entity* find(std::string_view name) const;
};

} // namespace weft::schema
