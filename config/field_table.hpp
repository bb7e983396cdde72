#pragma once

// Internal to config/: the table that declares every key once. A field knows
// its name, how to read itself from JSON and from an environment string, how
// to write itself back, and how to validate; the loader walks the table for
// the file, the environment, validation, the dump and the key list alike.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/loader.hpp"
#include "config/settings.hpp"

namespace weft::config::detail {

using json = nlohmann::json;

/// Key path -> the environment variable that set it.
using origin_map = std::map<std::string, std::string>;

/// Collects problems, stamping each with the source that gave the value:
/// a fixed one (the variable being read), or, when validating, the variable
/// that set the path or an enclosing path (`faults.rules` for
/// `faults.rules[0].mode`).
class sink {
public:
  explicit sink(std::vector<config_problem>& out, std::string source = {},
                const origin_map* origins = nullptr)
    : out_(&out), source_(std::move(source)), origins_(origins) {}

  /// Records `path: message` with its source.
  void add(std::string path, std::string message) {
    auto source = source_.empty() ? origin_of(path) : source_;
    out_->push_back(config_problem{std::move(path), std::move(message), std::move(source)});
  }

  /// The same destination, another fixed source.
  sink with_source(std::string source) const { return sink{*out_, std::move(source)}; }

  /// How many problems the destination holds.
  size_t count() const { return out_->size(); }

private:
  std::string origin_of(const std::string& path) const {
    if (origins_ == nullptr)
      return {};
    for (const auto& [key, var] : *origins_)
      if (path.starts_with(key)
          && (path.size() == key.size() || path[key.size()] == '.' || path[key.size()] == '['))
        return var;
    return {};
  }

  std::vector<config_problem>* out_;
  std::string source_;
  const origin_map* origins_;
};

// -- value conversion, one overload per field type (values.cpp, rules.cpp) ---
// On a problem the reader reports it under `path` and leaves `out` unchanged
// (or partly filled; a problem means the settings are not used anyway).

/// Reads a JSON value.
void read_json(const json& j, std::string& out, const std::string& path, sink& s);
void read_json(const json& j, uint32_t& out, const std::string& path, sink& s);
void read_json(const json& j, bool& out, const std::string& path, sink& s);
void read_json(const json& j, double& out, const std::string& path, sink& s);
void read_json(const json& j, std::vector<std::string>& out, const std::string& path, sink& s);
void read_json(const json& j, std::vector<uint32_t>& out, const std::string& path, sink& s);
void read_json(const json& j, std::vector<fault_rule>& out, const std::string& path, sink& s);

/// Reads an environment string: numbers and booleans as text, lists comma
/// separated, fault rules as JSON text.
void read_text(std::string_view text, std::string& out, const std::string& path, sink& s);
void read_text(std::string_view text, uint32_t& out, const std::string& path, sink& s);
void read_text(std::string_view text, bool& out, const std::string& path, sink& s);
void read_text(std::string_view text, double& out, const std::string& path, sink& s);
void read_text(std::string_view text, std::vector<std::string>& out, const std::string& path,
               sink& s);
void read_text(std::string_view text, std::vector<uint32_t>& out, const std::string& path,
               sink& s);
void read_text(std::string_view text, std::vector<fault_rule>& out, const std::string& path,
               sink& s);

/// Writes a value back as JSON.
json write_json(const std::vector<fault_rule>& rules);
template <class T>
json write_json(const T& x) {
  return json(x);
}

/// `string`, `number`, `-3`, ...: how a wrong JSON value is named in a problem.
std::string describe_json(const json& j);

// -- the table ----------------------------------------------------------------

/// Validates one value after file and environment are applied.
template <class T>
using check_fn = std::function<void(const T&, const std::string& path, sink&)>;

/// One key of an object (a section, or a fault rule).
template <class Owner>
struct basic_field {
  std::string name;
  bool secret = false; ///< redacted by dump()
  std::function<void(Owner&, const json&, const std::string&, sink&)> read_json;
  std::function<void(Owner&, std::string_view, const std::string&, sink&)> read_text;
  std::function<json(const Owner&)> write_json;
  std::function<void(const Owner&, const std::string&, sink&)> check;
};

/// A key of an Owner; `get(owner)` reaches the member, const or not.
template <class Owner, class T, class Get>
basic_field<Owner> make_field(std::string name, Get get, check_fn<T> check, bool secret) {
  basic_field<Owner> f;
  f.name = std::move(name);
  f.secret = secret;
  f.read_json = [get](Owner& o, const json& j, const std::string& p, sink& s) {
    detail::read_json(j, get(o), p, s);
  };
  f.read_text = [get](Owner& o, std::string_view t, const std::string& p, sink& s) {
    detail::read_text(t, get(o), p, s);
  };
  f.write_json = [get](const Owner& o) { return detail::write_json(get(o)); };
  f.check = [get, check](const Owner& o, const std::string& p, sink& s) {
    if (check)
      check(get(o), p, s);
  };
  return f;
}

using field = basic_field<settings>;

/// One section: its keys and an optional check across keys. A service
/// module's section also knows how to put its defaults into the settings.
struct section {
  std::string name;
  std::vector<field> fields;
  std::function<void(const settings&, sink&)> check;
  std::function<void(settings&)> init; ///< module sections: store the default struct
};

/// `key("port", &settings::http, &http_section::port, range(0, 65535))`.
template <class Sec, class T>
field key(std::string name, Sec settings::*sec, T Sec::*mem, check_fn<T> check = {},
          bool secret = false) {
  return make_field<settings, T>(
    std::move(name), [sec, mem](auto& x) -> auto& { return (x.*sec).*mem; }, std::move(check),
    secret);
}

/// The node's own sections, in file order (schema.cpp).
const std::vector<section>& schema();

/// The node's sections, then those of `ext` (if any), in file order.
std::vector<const section*> all_sections(const schema_extension* ext);

/// The keys of one fault rule (rules.cpp).
const std::vector<basic_field<fault_rule>>& fault_rule_fields();

/// Reads a JSON object by a field table: unknown keys and non-objects are
/// problems, reported under `path` + `.` + key. A dotted field name
/// (`tls.cert`) is a key of a nested object (`"tls": {"cert": ...}`).
template <class Owner>
void read_object(const json& j, Owner& out, const std::vector<basic_field<Owner>>& fields,
                 const std::string& path, sink& s, const std::string& prefix = {}) {
  if (!j.is_object()) {
    s.add(path, "expected object, got " + describe_json(j));
    return;
  }
  for (const auto& [k, v] : j.items()) {
    auto child = path.empty() ? k : path + "." + k;
    auto name = prefix + k;
    const basic_field<Owner>* f = nullptr;
    bool nested = false;
    for (const auto& candidate : fields) {
      if (candidate.name == name)
        f = &candidate;
      else if (candidate.name.starts_with(name + "."))
        nested = true;
    }
    if (f != nullptr)
      f->read_json(out, v, child, s);
    else if (nested)
      read_object(v, out, fields, child, s, name + ".");
    else
      s.add(child, "unknown key");
  }
}

// -- validators ---------------------------------------------------------------

/// `must be in [lo, hi], got v`.
check_fn<uint32_t> range(uint32_t lo, uint32_t hi);
/// `must be at least lo, got v`.
check_fn<uint32_t> at_least(uint32_t lo);
/// `must be in [lo, hi], got v`, for fractions and the like.
check_fn<double> real_range(double lo, double hi);
/// `must not be empty`.
check_fn<std::string> not_empty();
/// `must be empty or at least n bytes` (a secret: empty means "random").
check_fn<std::string> empty_or_at_least_bytes(size_t n);
/// `must be one of {a, b}, got "x"`.
check_fn<std::string> one_of(std::vector<std::string> allowed);
/// Each entry one of `allowed`, no duplicates.
check_fn<std::vector<std::string>> each_one_of(std::vector<std::string> allowed);
/// A list that must not be empty.
check_fn<std::vector<uint32_t>> non_empty_list();
/// Every fault rule's keys, reported as `faults.rules[i].key` (rules.cpp).
check_fn<std::vector<fault_rule>> each_rule();

} // namespace weft::config::detail
