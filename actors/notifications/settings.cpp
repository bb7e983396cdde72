#include "actors/notifications/settings.hpp"

namespace weft::notifications {

std::vector<config::section> config_sections() {
  using N = notifications_settings;
  config::module_section<N> s{"notifications"};
  s.key("welcome_title", &N::welcome_title, config::not_empty())
    .key("api_key_title", &N::api_key_title, config::not_empty());
  return {s.build()};
}

const notifications_settings& settings_of(const config::settings& s) {
  return s.section<notifications_settings>("notifications");
}

} // namespace weft::notifications
