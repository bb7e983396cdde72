#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/model.hpp"

// The service kinds Weft ships, as data: each kind's providers and the
// fields of its config (type, required or default, allowed values, which
// attribute types a field naming an attribute accepts). schema/check holds
// every `@service` to these; the services themselves read the config with
// the defaults filled in.
namespace weft::schema {

enum class field_kind {
  string,         ///< any text
  identifier,     ///< a name: letters, digits, _ and - (a URL segment)
  boolean,
  integer,
  string_list,
  attribute,      ///< names an attribute of the entity
  attribute_list, ///< names attributes of the entity
  template_text,  ///< text with {{attribute}} placeholders
  one_of,         ///< one of `allowed`
  some_of,        ///< one of `allowed`, or a list of them
  any,            ///< any JSON value
};

struct config_field {
  std::string name;
  field_kind kind = field_kind::string;
  bool required = false;
  nlohmann::json default_value;             ///< null: none (optional and absent)
  std::vector<std::string> allowed;         ///< one_of / some_of
  std::vector<attribute_type> accepts;      ///< attribute fields: these types (empty: any)
  std::string doc;
};

struct service_kind {
  std::string kind;                         ///< crud.rest
  std::vector<std::string> providers;       ///< weft first
  std::vector<config_field> fields;
  std::string doc;

  const config_field* field(std::string_view name) const;
};

/// Every kind Weft ships, in a stable order.
const std::vector<service_kind>& shipped_kinds();

/// The kind named `kind` (`crud.rest`); null if Weft ships none.
const service_kind* find_kind(std::string_view kind);

/// The binding's config with each absent optional field at its default
/// (`plural` defaults from the entity's name). Assumes the binding checked.
nlohmann::json effective_config(const entity& e, const service_binding& b);

/// `users` for `User`, `categories` for `Category`: a default plural.
std::string default_plural(std::string_view entity_name);

} // namespace weft::schema
