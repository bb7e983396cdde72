#include "runtime/json_fields.hpp"

#include <charconv>

#include <nlohmann/json.hpp>

#include "runtime/api_error.hpp"

namespace weft::json_fields {

namespace {

std::string pointer(std::string_view name) {
  return "/" + std::string{name};
}

caf::error missing(std::string_view name) {
  return api_error(api_errc::bad_request, std::string{name} + " is required", pointer(name));
}

caf::error wrong_type(std::string_view name, const char* expected) {
  return api_error(api_errc::bad_request,
                   std::string{name} + " must be " + expected, pointer(name));
}

} // namespace

caf::expected<std::string> required_string(const nlohmann::json& body, std::string_view name) {
  auto i = body.find(name);
  if (i == body.end() || i->is_null())
    return missing(name);
  if (!i->is_string())
    return wrong_type(name, "a string");
  return i->get<std::string>();
}

caf::expected<std::string> optional_string(const nlohmann::json& body, std::string_view name) {
  auto i = body.find(name);
  if (i == body.end() || i->is_null())
    return std::string{};
  if (!i->is_string())
    return wrong_type(name, "a string");
  return i->get<std::string>();
}

caf::expected<std::vector<std::string>> required_strings(const nlohmann::json& body,
                                                         std::string_view name) {
  auto i = body.find(name);
  if (i == body.end() || i->is_null())
    return missing(name);
  if (!i->is_array())
    return wrong_type(name, "an array of strings");
  std::vector<std::string> out;
  for (const auto& x : *i) {
    if (!x.is_string())
      return wrong_type(name, "an array of strings");
    out.push_back(x.get<std::string>());
  }
  return out;
}

caf::expected<uint32_t> query_uint(const std::string* value, std::string_view name,
                                   uint32_t fallback, uint32_t lo, uint32_t hi) {
  if (value == nullptr || value->empty())
    return fallback;
  uint32_t x = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), x);
  if (ec != std::errc{} || end != value->data() + value->size() || x < lo || x > hi)
    return api_error(api_errc::bad_request,
                     std::string{name} + " must be an integer in [" + std::to_string(lo)
                       + ", " + std::to_string(hi) + "]");
  return x;
}

} // namespace weft::json_fields
