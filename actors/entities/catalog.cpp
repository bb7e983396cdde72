#include "actors/entities/catalog.hpp"

#include <algorithm>
#include <chrono>

#include "events/ids.hpp"
#include "runtime/api_error.hpp"
#include "runtime/principal.hpp"
#include "schema/kinds.hpp"

namespace weft::entities {

namespace {

/// A binding's `triggerOn`: one trigger or a list of them.
std::set<std::string> triggers_of(const nlohmann::json& on) {
  std::set<std::string> out;
  if (on.is_string())
    out.insert(on.get<std::string>());
  else
    for (const auto& x : on)
      out.insert(x.get<std::string>());
  return out;
}

using schema::scalar;

nlohmann::json scalar_schema(scalar s) {
  switch (s) {
    case scalar::string_type:
    case scalar::text: return {{"type", "string"}};
    case scalar::integer: return {{"type", "integer"}};
    case scalar::float_type: return {{"type", "number"}};
    case scalar::boolean: return {{"type", "boolean"}};
    case scalar::uuid: return {{"type", "string"}, {"format", "uuid"}};
    case scalar::date: return {{"type", "string"}, {"format", "date"}};
    case scalar::date_time: return {{"type", "string"}, {"format", "date-time"}};
    case scalar::json: return nlohmann::json::object(); // any value
    case scalar::binary: return {{"type", "string"}, {"contentEncoding", "base64"}};
  }
  return nlohmann::json::object();
}

nlohmann::json attribute_schema(const schema::attribute& a) {
  auto one = scalar_schema(a.type.element);
  nlohmann::json out = a.type.array ? nlohmann::json{{"type", "array"}, {"items", one}} : one;
  if (!a.comment.empty())
    out["description"] = a.comment;
  return out;
}

bool is_base64(const std::string& s) {
  if (s.size() % 4 != 0)
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/'
              || (c == '=' && i + 2 >= s.size());
    if (!ok)
      return false;
  }
  return true;
}

bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-')
    return false;
  std::chrono::system_clock::time_point t;
  return events::parse_rfc3339(s + "T00:00:00Z", t);
}

/// A 400 if `v` breaks `a`'s format; none otherwise.
caf::error check_scalar(const schema::attribute& a, const nlohmann::json& v, const std::string& pointer) {
  if (v.is_null() || !v.is_string())
    return {};
  const auto& s = v.get_ref<const std::string&>();
  switch (a.type.element) {
    case scalar::uuid:
      if (!events::is_uuid(s))
        return api_error(api_errc::bad_request, a.name + " must be a UUID", pointer);
      break;
    case scalar::date:
      if (!is_date(s))
        return api_error(api_errc::bad_request, a.name + " must be a date (YYYY-MM-DD)", pointer);
      break;
    case scalar::date_time: {
      std::chrono::system_clock::time_point t;
      if (!events::parse_rfc3339(s, t))
        return api_error(api_errc::bad_request, a.name + " must be an RFC 3339 date-time", pointer);
      break;
    }
    case scalar::binary:
      if (!is_base64(s))
        return api_error(api_errc::bad_request, a.name + " must be base64", pointer);
      break;
    default:
      break;
  }
  return {};
}

} // namespace

std::vector<const schema::attribute*> collection::writable() const {
  std::vector<const schema::attribute*> out;
  for (const auto& a : entity.attributes)
    if (!a.implicit && a.name != "id" && a.name != "created_at" && a.name != "updated_at"
        && !excluded.contains(a.name))
      out.push_back(&a);
  return out;
}

std::vector<const schema::attribute*> collection::visible() const {
  std::vector<const schema::attribute*> out;
  for (const auto& a : entity.attributes)
    if (!hidden.contains(a.name) && !excluded.contains(a.name))
      out.push_back(&a);
  return out;
}

std::vector<const schema::attribute*> collection::filters() const {
  std::vector<const schema::attribute*> out;
  for (const auto* a : visible())
    if ((a->unique || a->indexed) && !a->type.array && a->name != "id")
      out.push_back(a);
  return out;
}

nlohmann::json collection::create_schema() const {
  nlohmann::json props = nlohmann::json::object();
  auto required = nlohmann::json::array();
  for (const auto* a : writable()) {
    props[a->name] = attribute_schema(*a);
    // Required unless it has a default; a list starts empty, JSON as null.
    if (!a->default_value && !a->type.array && a->type.element != scalar::json)
      required.push_back(a->name);
  }
  nlohmann::json out{{"type", "object"},
                     {"title", entity.name},
                     {"properties", props},
                     {"additionalProperties", false}};
  if (!required.empty())
    out["required"] = required;
  return out;
}

nlohmann::json collection::patch_schema() const {
  auto out = create_schema();
  out.erase("required");
  out["title"] = entity.name + " (changes)";
  out["minProperties"] = 1;
  return out;
}

nlohmann::json collection::view_schema() const {
  nlohmann::json props = nlohmann::json::object();
  auto required = nlohmann::json::array();
  for (const auto* a : visible()) {
    props[a->name] = attribute_schema(*a);
    required.push_back(a->name);
  }
  return {{"type", "object"}, {"title", entity.name}, {"properties", props}, {"required", required}};
}

nlohmann::json collection::query_schema() const {
  nlohmann::json props{
    {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}}},
    {"cursor", {{"type", "string"}, {"description", "the `next` of the previous page"}}},
  };
  for (const auto* a : filters())
    props[a->name] = scalar_schema(a->type.element);
  return {{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
}

nlohmann::json collection::view(const nlohmann::json& row) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto* a : visible()) {
    auto i = row.find(a->name);
    out[a->name] = i == row.end() ? nlohmann::json{} : *i;
  }
  return out;
}

caf::error collection::check_values(const nlohmann::json& body) const {
  auto mine = writable();
  for (const auto& item : body.items()) {
    const auto& key = item.key(); // (not a structured binding: clang 14 cannot capture one)
    if (std::none_of(mine.begin(), mine.end(), [&](const schema::attribute* a) { return a->name == key; }))
      return api_error(api_errc::bad_request, key + " is not an attribute a client may write",
                       "/" + key);
  }
  for (const auto* a : mine) {
    auto i = body.find(a->name);
    if (i == body.end())
      continue;
    auto pointer = "/" + a->name;
    if (a->type.array && i->is_array()) {
      for (size_t k = 0; k < i->size(); ++k)
        if (auto err = check_scalar(*a, (*i)[k], pointer + "/" + std::to_string(k)))
          return err;
    } else if (auto err = check_scalar(*a, *i, pointer)) {
      return err;
    }
  }
  return {};
}

std::string notifying::title_for(const nlohmann::json& row) const {
  std::string out;
  std::string_view rest = subject_template;
  for (;;) {
    auto open = rest.find("{{");
    auto close = open == std::string_view::npos ? open : rest.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out += rest;
      return out;
    }
    out += rest.substr(0, open);
    auto name = rest.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ')
      name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ')
      name.remove_suffix(1);
    auto i = row.find(std::string{name});
    if (i != row.end() && !i->is_null())
      out += i->is_string() ? i->get<std::string>() : i->dump();
    rest = rest.substr(close + 2);
  }
}

const collection* catalog::find(std::string_view plural) const {
  for (const auto& c : collections)
    if (c.crud && c.plural == plural)
      return &c;
  return nullptr;
}

std::pair<const collection*, const sign_in*> catalog::find_realm(std::string_view realm) const {
  for (const auto& c : collections)
    for (const auto& s : c.sign_ins)
      if (s.realm == realm)
        return {&c, &s};
  return {nullptr, nullptr};
}

std::shared_ptr<const catalog> build_catalog(const schema::entity_schema& s) {
  auto out = std::make_shared<catalog>();
  out->version = s.hash;
  for (const auto& e : s.entities) {
    std::set<std::string> passwords;
    std::vector<tracking> trackings;
    std::vector<notifying> notifyings;
    for (const auto& b : e.services) {
      auto cfg = schema::effective_config(e, b);
      if (b.type == "auth")
        passwords.insert(cfg.value("passwordField", ""));
      if (b.kind() == "notifications.inapp") {
        notifying n;
        n.name = cfg.value("name", "default");
        n.recipient_field = cfg["recipientField"].get<std::string>();
        n.subject_template = cfg["subjectTemplate"].get<std::string>();
        n.triggers = triggers_of(cfg["triggerOn"]);
        notifyings.push_back(std::move(n));
      }
      if (b.kind() == "analytics.tracking") {
        tracking t;
        t.name = cfg.value("name", "default");
        t.event_name = cfg["eventName"].get<std::string>();
        t.triggers = triggers_of(cfg["triggerOn"]);
        t.condition_field = cfg.value("conditionalField", "");
        t.condition_value = cfg.value("conditionalValue", nlohmann::json{});
        t.properties = cfg["propertiesFields"].get<std::vector<std::string>>();
        trackings.push_back(std::move(t));
      }
    }
    bool crud = std::any_of(e.services.begin(), e.services.end(),
                            [](const schema::service_binding& b) { return b.kind() == "crud.rest"; });
    std::vector<sign_in> sign_ins;
    std::string first_auth_provider;
    for (const auto& b : e.services) {
      if (b.type != "auth")
        continue;
      auto cfg = schema::effective_config(e, b);
      sign_in si;
      si.name = cfg.value("name", "default");
      si.kind = b.kind();
      si.provider = b.provider;
      si.login_field = cfg["loginField"].get<std::string>();
      si.password_field = cfg["passwordField"].get<std::string>();
      si.roles_field = cfg.value("rolesField", "");
      si.default_roles = cfg["defaultRoles"].get<std::vector<std::string>>();
      std::string lower;
      for (char ch : si.login_field)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      si.email_login = lower.find("email") != std::string::npos;
      if (b.kind() == "auth.cookies") {
        si.cookie_name = cfg["cookieName"].get<std::string>();
        si.same_site = cfg["sameSite"].get<std::string>();
      }
      if (first_auth_provider.empty())
        first_auth_provider = b.provider;
      sign_ins.push_back(std::move(si));
    }
    auto add = [&](std::string plural, std::string provider, const nlohmann::json& cfg) {
      collection c;
      c.entity = e;
      c.plural = std::move(plural);
      c.table = "weft_e_" + schema::snake_case(e.name);
      c.event_prefix = schema::snake_case(e.name);
      c.provider = std::move(provider);
      for (const auto& h : cfg.value("hidden", nlohmann::json::array()))
        c.hidden.insert(h.get<std::string>());
      c.excluded = passwords;
      c.read_roles = cfg.value("readRoles", std::vector<std::string>{});
      c.write_roles = cfg.value("writeRoles", std::vector<std::string>{role_admin});
      c.trackings = trackings;
      c.notifyings = notifyings;
      c.sign_ins = sign_ins;
      for (auto& si : c.sign_ins)
        si.realm = c.plural + "/" + si.name;
      sign_ins.clear(); // one collection signs its accounts in
      out->collections.push_back(std::move(c));
    };
    for (const auto& b : e.services) {
      // Tracking and notifying ride on the entity's CRUD writes: served
      // when there are some.
      if ((b.kind() == "analytics.tracking" || b.kind() == "notifications.inapp") && crud)
        continue;
      if (b.type == "auth")
        continue;
      if (b.kind() != "crud.rest") {
        out->not_served.push_back(b.kind() + "." + b.provider + " on " + e.name);
        continue;
      }
      auto cfg = schema::effective_config(e, b);
      add(cfg["plural"].get<std::string>(), b.provider, cfg);
    }
    // Sign-in without CRUD: the accounts are a collection of their own,
    // with no routes but its sign-in services', in the first one's store.
    if (!sign_ins.empty()) {
      add(schema::default_plural(e.name), first_auth_provider, nlohmann::json::object());
      out->collections.back().crud = false;
    }
  }
  return out;
}

} // namespace weft::entities
