#include "schema/model.hpp"

#include <array>
#include <cctype>

namespace weft::schema {

namespace {

constexpr std::array<std::string_view, 10> scalar_names{
  "String", "Text", "Integer", "Float", "Boolean", "UUID", "Date", "DateTime", "JSON", "Binary"};

} // namespace

std::string snake_case(std::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (std::isupper(static_cast<unsigned char>(c)) && i > 0 && name[i - 1] != '_')
      out += '_';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view name_of(scalar s) {
  return scalar_names[static_cast<size_t>(s)];
}

std::string to_string(const attribute_type& t) {
  std::string element{name_of(t.element)};
  return t.array ? "Array[" + element + "]" : element;
}

std::optional<attribute_type> parse_type(std::string_view text) {
  attribute_type t;
  if (text.starts_with("Array[") && text.ends_with("]")) {
    t.array = true;
    text = text.substr(6, text.size() - 7);
  }
  for (size_t i = 0; i < scalar_names.size(); ++i)
    if (scalar_names[i] == text) {
      t.element = static_cast<scalar>(i);
      return t;
    }
  return std::nullopt;
}

const attribute* entity::find(std::string_view attr) const {
  for (const auto& a : attributes)
    if (a.name == attr)
      return &a;
  return nullptr;
}

const entity* entity_schema::find(std::string_view name) const {
  for (const auto& e : entities)
    if (e.name == name)
      return &e;
  return nullptr;
}

} // namespace weft::schema
