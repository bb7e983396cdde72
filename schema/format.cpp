#include "schema/format.hpp"

namespace weft::schema {

namespace {

void service_lines(std::string& out, const service_binding& b, bool canonical) {
  out += "        %% @service " + b.type + "." + b.method + "." + b.provider;
  std::string config = canonical || b.config_text.empty() ? b.config.dump() : b.config_text;
  if (config == "{}" && b.config_text.empty()) {
    out += '\n';
    return;
  }
  out += ' ';
  // A config written over several lines keeps them, each a `%%` line.
  size_t from = 0;
  for (bool first = true;; first = false) {
    auto nl = config.find('\n', from);
    auto piece = config.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
    if (!first)
      out += "        %% ";
    out += piece;
    out += '\n';
    if (nl == std::string::npos)
      break;
    from = nl + 1;
  }
}

} // namespace

std::string format_schema(const entity_schema& s, bool canonical) {
  std::string out = "erDiagram\n";
  for (const auto& e : s.entities) {
    out += "    " + e.name + " {\n";
    for (const auto& a : e.attributes) {
      if (a.implicit)
        continue;
      out += "        " + to_string(a.type) + " " + a.name;
      std::string keys;
      for (auto [on, key] : {std::pair{a.primary_key, "PK"}, {a.foreign_key, "FK"}, {a.unique, "UK"}})
        if (on)
          keys += (keys.empty() ? "" : ",") + std::string{key};
      if (!keys.empty())
        out += " " + keys;
      if (!a.comment.empty())
        out += " \"" + a.comment + "\"";
      out += '\n';
      if (a.indexed)
        out += "        %% @index\n";
      if (a.default_value)
        out += "        %% @default(" + a.default_value->dump() + ")\n";
    }
    for (const auto& b : e.services)
      service_lines(out, b, canonical);
    out += "    }\n";
  }
  for (const auto& r : s.relationships)
    out += "    " + r.left + " " + r.cardinality + " " + r.right + " : " + r.label + "\n";
  return out;
}

} // namespace weft::schema
