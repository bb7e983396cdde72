#include "config/field_table.hpp"

// Fault rules: `faults.rules` is a list of objects, read by the same field
// table mechanism as the sections; from the environment only as JSON text
// (WEFT_FAULTS_RULES='[{"handler":"audit","first":3}]').

namespace weft::config::detail {

namespace {

template <class T>
basic_field<fault_rule> rule_key(std::string name, T fault_rule::*mem, check_fn<T> check = {}) {
  return make_field<fault_rule, T>(
    std::move(name), [mem](auto& r) -> auto& { return r.*mem; }, std::move(check), false);
}

std::string item_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

} // namespace

const std::vector<basic_field<fault_rule>>& fault_rule_fields() {
  static const std::vector<basic_field<fault_rule>> fields{
    rule_key("handler", &fault_rule::handler, not_empty()),
    rule_key("mode", &fault_rule::mode, one_of({"fail", "fail_after", "no_ack"})),
    rule_key("first", &fault_rule::first),
    rule_key("fraction", &fault_rule::fraction, real_range(0.0, 1.0)),
    rule_key("type", &fault_rule::type),
  };
  return fields;
}

void read_json(const json& j, std::vector<fault_rule>& out, const std::string& path, sink& s) {
  if (!j.is_array())
    return s.add(path, "expected array of objects, got " + describe_json(j));
  std::vector<fault_rule> rules(j.size());
  for (size_t i = 0; i < j.size(); ++i)
    read_object(j[i], rules[i], fault_rule_fields(), item_path(path, i), s);
  out = std::move(rules);
}

void read_text(std::string_view text, std::vector<fault_rule>& out, const std::string& path,
               sink& s) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    return s.add(path, "expected a JSON array of fault rules, got malformed JSON");
  read_json(j, out, path, s);
}

json write_json(const std::vector<fault_rule>& rules) {
  json out = json::array();
  for (const auto& r : rules) {
    json obj = json::object();
    for (const auto& f : fault_rule_fields())
      obj[f.name] = f.write_json(r);
    out.push_back(std::move(obj));
  }
  return out;
}

/// Validates every rule's keys, reporting `faults.rules[i].key`.
check_fn<std::vector<fault_rule>> each_rule() {
  return [](const std::vector<fault_rule>& rules, const std::string& path, sink& s) {
    for (size_t i = 0; i < rules.size(); ++i)
      for (const auto& f : fault_rule_fields())
        f.check(rules[i], item_path(path, i) + "." + f.name, s);
  };
}

} // namespace weft::config::detail
