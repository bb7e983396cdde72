#include "actors/audit/settings.hpp"

namespace weft::audit {

std::vector<config::section> config_sections() {
  using A = audit_settings;
  config::module_section<A> s{"audit"};
  s.key("retention_s", &A::retention_s, config::range(0, 100u * 365 * 86400));
  return {s.build()};
}

const audit_settings& settings_of(const config::settings& s) {
  return s.section<audit_settings>("audit");
}

} // namespace weft::audit
