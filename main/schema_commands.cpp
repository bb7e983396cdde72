#include "main/schema_commands.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

#include "schema/check.hpp"
#include "schema/format.hpp"

namespace weft {

namespace {

constexpr int exit_bad_schema = 2;

} // namespace

int run_schema_command(const command_line& cl) {
  std::ifstream in{cl.schema_path, std::ios::binary};
  if (!in) {
    std::cerr << "weft: schema: cannot read " << cl.schema_path << '\n';
    return exit_bad_schema;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto r = schema::parse_and_check(text.str());
  for (const auto& p : r.problems)
    std::cerr << "weft: schema: " << schema::to_string(cl.schema_path, p) << '\n';
  if (!r.ok())
    return exit_bad_schema;
  if (cl.what == command_line::verb::schema_fmt) {
    auto formatted = schema::format_schema(r.schema);
    if (!cl.write) {
      std::cout << formatted;
      return 0;
    }
    std::ofstream out{cl.schema_path, std::ios::binary | std::ios::trunc};
    out << formatted;
    if (!out) {
      std::cerr << "weft: schema: cannot write " << cl.schema_path << '\n';
      return 1;
    }
    return 0;
  }
  for (const auto& p : r.legacy)
    std::cerr << "weft: schema: note: " << schema::to_string(cl.schema_path, p) << '\n';
  size_t services = 0;
  for (const auto& e : r.schema.entities)
    services += e.services.size();
  std::cout << "weft: schema ok: " << cl.schema_path << ": " << r.schema.entities.size()
            << " entities, " << services << " services, version " << r.schema.hash << '\n';
  return 0;
}

} // namespace weft
