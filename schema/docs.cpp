#include "schema/docs.hpp"

#include "schema/kinds.hpp"

namespace weft::schema {

std::string markdown_of(const entity_schema& s, const std::string& source_name) {
  std::string out = "# " + source_name + "\n\nSchema version `" + s.hash + "` (events' `dataversion`).\n";
  out += "\n## Entities\n";
  for (const auto& e : s.entities) {
    out += "\n### " + e.name + "\n\n| attribute | type | keys | notes |\n|---|---|---|---|\n";
    for (const auto& a : e.attributes) {
      std::string keys;
      for (auto [on, k] : {std::pair{a.primary_key, "PK"}, {a.foreign_key, "FK"}, {a.unique, "UK"}})
        if (on)
          keys += (keys.empty() ? "" : ", ") + std::string{k};
      std::string notes = a.comment;
      auto add = [&](const std::string& x) { notes += (notes.empty() ? "" : "; ") + x; };
      if (a.indexed)
        add("indexed");
      if (a.default_value)
        add("default " + a.default_value->dump());
      if (a.implicit)
        add("kept by Weft");
      out += "| `" + a.name + "` | " + to_string(a.type) + " | " + keys + " | " + notes + " |\n";
    }
    for (const auto& r : s.relationships)
      if (r.left == e.name || r.right == e.name)
        out += "\n" + r.left + " `" + r.cardinality + "` " + r.right + ": " + r.label + "\n";
  }
  out += "\n## Services\n\n| entity | service | provider | config in effect |\n|---|---|---|---|\n";
  for (const auto& e : s.entities)
    for (const auto& b : e.services)
      out += "| " + e.name + " | `" + b.kind() + "` | " + b.provider + " | `"
             + effective_config(e, b).dump() + "` |\n";
  return out;
}

} // namespace weft::schema
