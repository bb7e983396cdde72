#include "actors/entities/settings.hpp"

#include <fstream>
#include <sstream>

#include "config/settings.hpp"
#include "schema/check.hpp"

namespace weft::entities {

namespace {

/// The file's text; nullopt if it cannot be read.
std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

} // namespace

std::vector<config::section> config_sections() {
  using S = schema_settings;
  config::module_section<S> s{"schema"};
  s.key("file", &S::file).key("allow_destructive", &S::allow_destructive);
  s.check([](const S& x, const config::settings& all, config::sink& out) {
    if (x.file.empty())
      return;
    auto text = read_file(x.file);
    if (!text) {
      out.add("schema.file", "cannot read " + x.file);
      return;
    }
    auto r = schema::parse_and_check(*text, {!all.database.url.empty()});
    for (const auto& p : r.problems)
      out.add("schema.file", schema::to_string(x.file, p));
  });
  return {s.build()};
}

const schema_settings& settings_of(const config::settings& s) {
  return s.section<schema_settings>("schema");
}

caf::expected<std::shared_ptr<const schema::entity_schema>> load_schema(const config::settings& s) {
  const auto& x = settings_of(s);
  if (x.file.empty())
    return std::shared_ptr<const schema::entity_schema>{};
  auto text = read_file(x.file);
  if (!text)
    return caf::make_error(caf::sec::runtime_error, "schema: cannot read " + x.file);
  auto r = schema::parse_and_check(*text, {!s.database.url.empty()});
  if (!r.ok())
    return caf::make_error(caf::sec::runtime_error,
                           "schema: " + schema::to_string(x.file, r.problems.front()));
  return std::make_shared<const schema::entity_schema>(std::move(r.schema));
}

} // namespace weft::entities
