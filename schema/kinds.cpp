#include "schema/kinds.hpp"

#include <cctype>

namespace weft::schema {

namespace {

using fk = field_kind;

const attribute_type text_type{scalar::string_type, false};
const attribute_type long_text_type{scalar::text, false};
const attribute_type string_list_type{scalar::string_type, true};

config_field field(std::string name, fk kind, nlohmann::json def, std::string doc) {
  config_field f;
  f.name = std::move(name);
  f.kind = kind;
  f.default_value = std::move(def);
  f.doc = std::move(doc);
  return f;
}

config_field required(std::string name, fk kind, std::string doc) {
  auto f = field(std::move(name), kind, nullptr, std::move(doc));
  f.required = true;
  return f;
}

config_field accepting(config_field f, std::vector<attribute_type> types) {
  f.accepts = std::move(types);
  return f;
}

config_field among(config_field f, std::vector<std::string> allowed) {
  f.allowed = std::move(allowed);
  return f;
}

/// What the password kinds (bearer tokens or a session cookie) share.
std::vector<config_field> password_fields() {
  return {
    field("name", fk::identifier, "default", "the service's name in its routes: /v1/<plural>/auth/<name>"),
    accepting(required("loginField", fk::attribute, "the attribute users sign in with (unique)"),
              {text_type, long_text_type}),
    accepting(required("passwordField", fk::attribute,
                       "the attribute holding the Argon2id hash (never returned)"),
              {text_type, long_text_type}),
    accepting(field("rolesField", fk::attribute, nullptr, "the attribute holding the roles"),
              {string_list_type}),
    field("defaultRoles", fk::string_list, nlohmann::json::array({"user"}),
          "the roles of a new registration"),
  };
}

std::vector<service_kind> make_kinds() {
  std::vector<service_kind> out;
  out.push_back({"crud.rest",
                 {"weft", "postgres", "memory"},
                 {
                   field("name", fk::identifier, "default", "tells two CRUD services of one entity apart"),
                   field("plural", fk::identifier, nullptr,
                         "the collection's URL segment: /v1/<plural>; default: the entity's name, "
                         "lower case, plural"),
                   field("hidden", fk::attribute_list, nlohmann::json::array(),
                         "attributes never returned nor put in events"),
                   field("readRoles", fk::string_list, nlohmann::json::array(),
                         "roles that may read; [] = any signed-in caller"),
                   field("writeRoles", fk::string_list, nlohmann::json::array({"admin"}),
                         "roles that may create, change and delete"),
                 },
                 "GET/POST /v1/<plural>, GET/PATCH/DELETE /v1/<plural>/{id}; events "
                 "<entity>.created|updated|deleted"});
  out.push_back({"auth.password",
                 {"weft", "postgres", "memory"},
                 password_fields(),
                 "register, login, refresh, logout, me under /v1/<plural>/auth/<name>; bearer tokens"});
  auto cookie = password_fields();
  cookie.push_back(field("cookieName", fk::identifier, "weft_session", "the session cookie's name"));
  cookie.push_back(among(field("sameSite", fk::one_of, "Lax", "the cookie's SameSite"),
                         {"Strict", "Lax", "None"}));
  out.push_back({"auth.cookies",
                 {"weft", "postgres", "memory"},
                 std::move(cookie),
                 "the same, with an HttpOnly Secure SameSite session cookie and CSRF protection"});
  out.push_back({"notifications.inapp",
                 {"weft"},
                 {
                   field("name", fk::identifier, "default", "tells two bindings of one entity apart"),
                   accepting(required("recipientField", fk::attribute,
                                      "the attribute naming the recipients (an email or a list)"),
                             {text_type, string_list_type}),
                   required("subjectTemplate", fk::template_text,
                            "the notification's text; {{attribute}} is replaced"),
                   among(field("triggerOn", fk::some_of, "create", "which changes notify"),
                         {"create", "update", "delete"}),
                 },
                 "in-app notifications for the recipients, through the notifications service"});
  out.push_back({"analytics.tracking",
                 {"weft"},
                 {
                   field("name", fk::identifier, "default", "tells two bindings of one entity apart"),
                   required("eventName", fk::identifier, "the tracked event's name"),
                   among(field("triggerOn", fk::some_of, "create", "which changes are tracked"),
                         {"create", "update", "delete"}),
                   field("conditionalField", fk::attribute, nullptr,
                         "track only when this attribute..."),
                   field("conditionalValue", fk::any, nullptr, "...equals this value"),
                   field("propertiesFields", fk::attribute_list, nlohmann::json::array(),
                         "attributes copied into the tracked event's properties"),
                 },
                 "emits analytics.tracked events"});
  return out;
}

} // namespace

const config_field* service_kind::field(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name)
      return &f;
  return nullptr;
}

const std::vector<service_kind>& shipped_kinds() {
  static const auto kinds = make_kinds();
  return kinds;
}

const service_kind* find_kind(std::string_view kind) {
  for (const auto& k : shipped_kinds())
    if (k.kind == kind)
      return &k;
  return nullptr;
}

std::string default_plural(std::string_view entity_name) {
  auto out = snake_case(entity_name); // OrderLine -> order_line(s)
  auto vowel = [](char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; };
  if (out.ends_with("s") || out.ends_with("x") || out.ends_with("ch") || out.ends_with("sh"))
    return out + "es";
  if (out.size() > 1 && out.back() == 'y' && !vowel(out[out.size() - 2]))
    return out.substr(0, out.size() - 1) + "ies";
  return out + "s";
}

nlohmann::json effective_config(const entity& e, const service_binding& b) {
  auto out = b.config.is_object() ? b.config : nlohmann::json::object();
  const auto* kind = find_kind(b.kind());
  if (kind == nullptr)
    return out;
  for (const auto& f : kind->fields)
    if (!out.contains(f.name) && !f.default_value.is_null())
      out[f.name] = f.default_value;
  if (kind->field("plural") != nullptr && !out.contains("plural"))
    out["plural"] = default_plural(e.name);
  return out;
}

} // namespace weft::schema
