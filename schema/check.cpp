#include "schema/check.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "schema/kinds.hpp"

namespace weft::schema {

namespace {

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

std::string type_names(const std::vector<attribute_type>& ts) {
  std::vector<std::string> names;
  for (const auto& t : ts)
    names.push_back(to_string(t));
  return joined(names);
}

bool identifier_text(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool string_list(const nlohmann::json& v) {
  return v.is_array()
         && std::all_of(v.begin(), v.end(), [](const nlohmann::json& x) { return x.is_string(); });
}

/// Checks one binding against its kind; problems go to `out`.
class binding_check {
public:
  binding_check(const entity& e, const service_binding& b, std::vector<problem>& out)
    : e_(e), b_(b), out_(out) {}

  void run(const service_kind& kind) {
    for (const auto& [key, value] : b_.config.items()) {
      const auto* f = kind.field(key);
      if (f == nullptr) {
        std::vector<std::string> names;
        for (const auto& x : kind.fields)
          names.push_back(x.name);
        fail("unknown config key '" + key + "'; " + kind.kind + " accepts " + joined(names));
        continue;
      }
      field(*f, value);
    }
    for (const auto& f : kind.fields)
      if (f.required && !b_.config.contains(f.name))
        fail("'" + f.name + "' is required (" + f.doc + ")");
  }

private:
  const entity& e_;
  const service_binding& b_;
  std::vector<problem>& out_;

  void fail(const std::string& what) {
    out_.push_back({b_.at, "@service " + b_.kind() + "." + b_.provider + " on " + e_.name + ": " + what});
  }

  void field(const config_field& f, const nlohmann::json& v) {
    auto wrong = [&](const std::string& expected) {
      fail("'" + f.name + "' must be " + expected + ", got " + v.dump());
    };
    switch (f.kind) {
      case field_kind::string:
        if (!v.is_string())
          wrong("a string");
        break;
      case field_kind::identifier:
        if (!v.is_string() || !identifier_text(v.get<std::string>()))
          wrong("a name of letters, digits, _ or -");
        break;
      case field_kind::boolean:
        if (!v.is_boolean())
          wrong("true or false");
        break;
      case field_kind::integer:
        if (!v.is_number_integer())
          wrong("an integer");
        break;
      case field_kind::string_list:
        if (!string_list(v))
          wrong("a list of strings");
        break;
      case field_kind::attribute:
        if (!v.is_string())
          wrong("an attribute's name");
        else
          attribute_ref(f, v.get<std::string>());
        break;
      case field_kind::attribute_list:
        if (!string_list(v))
          wrong("a list of attribute names");
        else
          for (const auto& x : v)
            attribute_ref(f, x.get<std::string>());
        break;
      case field_kind::template_text:
        if (!v.is_string())
          wrong("a string");
        else
          placeholders(f, v.get<std::string>());
        break;
      case field_kind::one_of:
        if (!v.is_string()
            || std::find(f.allowed.begin(), f.allowed.end(), v.get<std::string>()) == f.allowed.end())
          wrong("one of " + joined(f.allowed));
        break;
      case field_kind::some_of: {
        auto in = [&](const nlohmann::json& x) {
          return x.is_string()
                 && std::find(f.allowed.begin(), f.allowed.end(), x.get<std::string>()) != f.allowed.end();
        };
        bool ok = in(v) || (v.is_array() && !v.empty() && std::all_of(v.begin(), v.end(), in));
        if (!ok)
          wrong("one of " + joined(f.allowed) + ", or a list of them");
        break;
      }
      case field_kind::any:
        break;
    }
  }

  void attribute_ref(const config_field& f, const std::string& name) {
    const auto* a = e_.find(name);
    if (a == nullptr) {
      std::vector<std::string> names;
      for (const auto& x : e_.attributes)
        names.push_back(x.name);
      fail("'" + f.name + "' names " + name + ", which is not an attribute of " + e_.name
           + " (" + joined(names) + ")");
      return;
    }
    if (!f.accepts.empty() && std::find(f.accepts.begin(), f.accepts.end(), a->type) == f.accepts.end())
      fail("'" + f.name + "' names " + name + ", a " + to_string(a->type) + "; it takes "
           + type_names(f.accepts));
  }

  void placeholders(const config_field& f, const std::string& text) {
    size_t from = 0;
    while ((from = text.find("{{", from)) != std::string::npos) {
      auto close = text.find("}}", from);
      if (close == std::string::npos) {
        fail("'" + f.name + "' opens {{ without closing it");
        return;
      }
      auto name = text.substr(from + 2, close - from - 2);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      config_field any_type = f;
      any_type.accepts.clear();
      attribute_ref(any_type, name);
      from = close + 2;
    }
  }
};

/// A notifications.inapp binding's recipients travel in an event: their
/// attribute cannot be one a crud.rest binding hides.
void hidden_recipients(const entity& e, std::vector<problem>& out) {
  std::set<std::string> hidden;
  for (const auto& b : e.services)
    if (b.kind() == "crud.rest" && find_kind(b.kind()) != nullptr)
      for (const auto& h : effective_config(e, b).value("hidden", nlohmann::json::array()))
        if (h.is_string())
          hidden.insert(h.get<std::string>());
  for (const auto& b : e.services) {
    if (b.kind() != "notifications.inapp")
      continue;
    auto field = b.config.value("recipientField", nlohmann::json{});
    if (field.is_string() && hidden.contains(field.get<std::string>()))
      out.push_back({b.at, "@service notifications.inapp on " + e.name + ": recipientField "
                             + field.get<std::string>()
                             + " is hidden by crud.rest, and recipients travel in an event"});
  }
}

} // namespace

parse_result parse_and_check(std::string_view text, const check_options& opts) {
  auto r = parse_schema(text);
  auto more = check_services(r.schema, opts);
  r.problems.insert(r.problems.end(), more.begin(), more.end());
  std::stable_sort(r.problems.begin(), r.problems.end(), [](auto& a, auto& b) {
    return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
  });
  if (!r.problems.empty())
    r.schema.hash.clear();
  return r;
}

std::vector<problem> check_services(const entity_schema& s, const check_options& opts) {
  std::vector<problem> out;
  std::map<std::string, std::pair<std::string, position>> plurals; ///< plural -> entity, where
  std::map<std::string, std::pair<std::string, position>> cookies; ///< cookieName -> entity, where
  for (const auto& e : s.entities) {
    std::map<std::string, position> names; ///< kind/name -> first binding
    for (const auto& b : e.services) {
      const auto* kind = find_kind(b.kind());
      if (kind == nullptr) {
        std::vector<std::string> kinds;
        for (const auto& k : shipped_kinds())
          kinds.push_back(k.kind);
        out.push_back({b.at, "unknown service kind " + b.kind() + "; Weft ships " + joined(kinds)});
        continue;
      }
      if (std::find(kind->providers.begin(), kind->providers.end(), b.provider) == kind->providers.end()) {
        out.push_back({b.at, "provider '" + b.provider + "' is not shipped for " + b.kind()
                               + "; available: " + joined(kind->providers)});
        continue;
      }
      auto before = out.size();
      binding_check{e, b, out}.run(*kind);
      if (out.size() != before)
        continue; // the rest reads the config: only once it is sound
      auto cfg = effective_config(e, b);
      if (b.provider == "postgres" && opts.has_database == false)
        out.push_back({b.at, "@service " + b.kind() + ".postgres on " + e.name
                               + " needs a database (database.url), and this node has none; "
                                 "use the provider weft (the node's store) or memory"});
      auto name = cfg.value("name", std::string{"default"});
      auto [it, fresh] = names.emplace(b.kind() + "/" + name, b.at);
      if (!fresh)
        out.push_back({b.at, "two " + b.kind() + " services on " + e.name + " are named '" + name
                               + "' (the first at line " + std::to_string(it->second.line)
                               + "): give each its own name"});
      if (b.type == "auth") {
        const auto* login = e.find(cfg["loginField"].get<std::string>());
        if (login != nullptr && !login->unique && !login->primary_key)
          out.push_back({b.at, "@service " + b.kind() + " on " + e.name + ": loginField "
                                 + login->name + " must be unique (UK)"});
        auto password = cfg["passwordField"].get<std::string>();
        for (const char* other : {"loginField", "rolesField"})
          if (cfg.value(other, "") == password)
            out.push_back({b.at, "@service " + b.kind() + " on " + e.name + ": passwordField "
                                   + password + " cannot also be the " + other});
        if (b.kind() == "auth.cookies") {
          // One browser cookie per name and path: two services would log
          // each other out.
          auto cookie = cfg["cookieName"].get<std::string>();
          auto [c, first] = cookies.emplace(cookie, std::pair{e.name, b.at});
          if (!first)
            out.push_back({b.at, "two auth.cookies services use the cookie " + cookie + " ("
                                   + c->second.first + " at line "
                                   + std::to_string(c->second.second.line)
                                   + "): set a distinct cookieName"});
        }
      }
      if (b.kind() == "analytics.tracking"
          && cfg.contains("conditionalField") != cfg.contains("conditionalValue"))
        out.push_back({b.at, "@service analytics.tracking on " + e.name
                               + ": conditionalField and conditionalValue go together"});
      if (b.kind() == "crud.rest") {
        auto plural = cfg["plural"].get<std::string>();
        auto [p, first] = plurals.emplace(plural, std::pair{e.name, b.at});
        if (!first)
          out.push_back({b.at, "two collections are named /v1/" + plural + " (" + p->second.first
                                 + " at line " + std::to_string(p->second.second.line)
                                 + "): set a distinct plural"});
      }
    }
    hidden_recipients(e, out);
  }
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
  });
  return out;
}

} // namespace weft::schema
