#include "events/wire_schema.hpp"

#include <nlohmann/json.hpp>

#include "events/wire.hpp"

namespace weft::wire {

namespace {

using json = nlohmann::json;

/// How a field is named in a message: its pointer without the leading slash.
std::string name_of(const std::string& pointer) {
  return pointer.empty() ? std::string{"the body"} : pointer.substr(1);
}

std::string escape_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

bool has_type(const json& value, const std::string& type) {
  if (type == "string")
    return value.is_string();
  if (type == "integer")
    return value.is_number_integer();
  if (type == "number")
    return value.is_number();
  if (type == "boolean")
    return value.is_boolean();
  if (type == "array")
    return value.is_array();
  if (type == "object")
    return value.is_object();
  if (type == "null")
    return value.is_null();
  return true;
}

std::string a_type(const std::string& type) {
  if (type == "integer" || type == "array" || type == "object")
    return "an " + type;
  if (type == "null")
    return "null";
  return "a " + type;
}

std::string number_text(const json& n) {
  if (n.is_number_float()) {
    auto d = n.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)))
      return std::to_string(static_cast<int64_t>(d));
  }
  return n.dump();
}

struct checker {
  size_t max;
  std::vector<violation> out;

  bool full() const { return out.size() >= max; }

  void add(const std::string& pointer, std::string message) {
    if (!full())
      out.push_back({pointer, std::move(message)});
  }

  /// False if the type check failed (nothing else is checked then).
  bool check_type(const json& schema, const json& value, const std::string& p) {
    auto t = schema.find("type");
    if (t == schema.end())
      return true;
    if (t->is_string()) {
      auto type = t->get<std::string>();
      if (has_type(value, type))
        return true;
      add(p, name_of(p) + " must be " + a_type(type));
      return false;
    }
    if (t->is_array()) {
      std::string names;
      for (const auto& x : *t) {
        if (!x.is_string())
          continue;
        if (has_type(value, x.get<std::string>()))
          return true;
        names += names.empty() ? "" : " or ";
        names += a_type(x.get<std::string>());
      }
      add(p, name_of(p) + " must be " + names);
      return false;
    }
    return true;
  }

  void check(const json& schema, const json& value, const std::string& p) {
    if (full() || !schema.is_object())
      return;
    if (!check_type(schema, value, p))
      return;
    if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      bool found = false;
      for (const auto& x : *e)
        found = found || x == value;
      if (!found) {
        std::string names;
        for (const auto& x : *e)
          names += (names.empty() ? "" : ", ") + x.dump();
        add(p, name_of(p) + " must be one of " + names);
        return;
      }
    }
    if (auto c = schema.find("const"); c != schema.end() && *c != value) {
      add(p, name_of(p) + " must be " + c->dump());
      return;
    }
    if (value.is_string())
      check_string(schema, value, p);
    else if (value.is_number())
      check_number(schema, value, p);
    else if (value.is_array())
      check_array(schema, value, p);
    else if (value.is_object())
      check_object(schema, value, p);
  }

  void check_string(const json& schema, const json& value, const std::string& p) {
    // JSON Schema counts characters (code points), not bytes.
    const auto& s = value.get_ref<const std::string&>();
    int64_t chars = 0;
    for (unsigned char c : s)
      chars += (c & 0xC0) != 0x80 ? 1 : 0;
    if (auto m = schema.find("minLength"); m != schema.end() && m->is_number_integer()
                                            && chars < m->get<int64_t>())
      add(p, name_of(p) + " must have at least " + m->dump()
               + (m->get<int64_t>() == 1 ? " character" : " characters"));
    if (auto m = schema.find("maxLength"); m != schema.end() && m->is_number_integer()
                                            && chars > m->get<int64_t>())
      add(p, name_of(p) + " must have at most " + m->dump()
               + (m->get<int64_t>() == 1 ? " character" : " characters"));
  }

  void check_number(const json& schema, const json& value, const std::string& p) {
    auto v = value.get<double>();
    if (auto m = schema.find("minimum"); m != schema.end() && m->is_number() && v < m->get<double>())
      add(p, name_of(p) + " must be at least " + number_text(*m));
    if (auto m = schema.find("maximum"); m != schema.end() && m->is_number() && v > m->get<double>())
      add(p, name_of(p) + " must be at most " + number_text(*m));
  }

  void check_array(const json& schema, const json& value, const std::string& p) {
    auto n = static_cast<int64_t>(value.size());
    if (auto m = schema.find("minItems"); m != schema.end() && m->is_number_integer()
                                           && n < m->get<int64_t>())
      add(p, name_of(p) + " must have at least " + m->dump()
               + (m->get<int64_t>() == 1 ? " item" : " items"));
    if (auto m = schema.find("maxItems"); m != schema.end() && m->is_number_integer()
                                           && n > m->get<int64_t>())
      add(p, name_of(p) + " must have at most " + m->dump()
               + (m->get<int64_t>() == 1 ? " item" : " items"));
    if (auto items = schema.find("items"); items != schema.end())
      for (size_t i = 0; i < value.size() && !full(); ++i)
        check(*items, value[i], p + "/" + std::to_string(i));
  }

  void check_object(const json& schema, const json& value, const std::string& p) {
    if (auto req = schema.find("required"); req != schema.end() && req->is_array())
      for (const auto& k : *req)
        if (k.is_string() && !value.contains(k.get<std::string>()))
          add(p + "/" + escape_token(k.get<std::string>()),
              name_of(p + "/" + escape_token(k.get<std::string>())) + " is required");
    auto props = schema.find("properties");
    if (auto m = schema.find("minProperties"); m != schema.end() && m->is_number_integer()
                                                && static_cast<int64_t>(value.size()) < m->get<int64_t>())
      add(p, name_of(p) + " must have at least " + m->dump()
               + (m->get<int64_t>() == 1 ? " member" : " members"));
    // Closed objects (the schema-driven collections' bodies): a member the
    // schema does not name is refused rather than silently dropped.
    if (auto ap = schema.find("additionalProperties");
        ap != schema.end() && ap->is_boolean() && !ap->get<bool>())
      for (const auto& [key, v] : value.items())
        if (props == schema.end() || !props->is_object() || !props->contains(key))
          add(p + "/" + escape_token(key), name_of(p + "/" + escape_token(key)) + " is not allowed");
    if (props == schema.end() || !props->is_object())
      return;
    for (const auto& [key, sub] : props->items()) {
      auto v = value.find(key);
      if (v != value.end())
        check(sub, *v, p + "/" + escape_token(key));
    }
  }
};

} // namespace

std::vector<violation> validate(const json& schema, const json& value, size_t max) {
  checker c{max == 0 ? 1 : max, {}};
  c.check(schema, value, "");
  return std::move(c.out);
}

namespace detail {

/// A bound as JSON: an integer when it is one (`"maximum": 500`, not 500.0).
json bound(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v)))
    return static_cast<int64_t>(v);
  return v;
}

json apply_facets(json schema, const facets& f, bool is_array) {
  if (!f.doc.empty())
    schema["description"] = f.doc;
  if (!f.format.empty())
    schema["format"] = f.format;
  if (f.min_length)
    schema[is_array ? "minItems" : "minLength"] = *f.min_length;
  if (f.max_length)
    schema[is_array ? "maxItems" : "maxLength"] = *f.max_length;
  if (f.minimum)
    schema["minimum"] = bound(*f.minimum);
  if (f.maximum)
    schema["maximum"] = bound(*f.maximum);
  if (!f.one_of.empty())
    schema["enum"] = f.one_of;
  if (f.nullable) {
    if (auto t = schema.find("type"); t != schema.end() && t->is_string())
      schema["type"] = json::array({t->get<std::string>(), "null"});
  }
  return schema;
}

} // namespace detail

json with_property_facet(json schema, const std::string& property, const std::string& keyword,
                         const json& value) {
  json* at = &schema;
  size_t start = 0;
  while (start <= property.size()) {
    auto dot = property.find('.', start);
    auto name = property.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    at = &(*at)["properties"][name];
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  (*at)[keyword] = value;
  return schema;
}

} // namespace weft::wire
