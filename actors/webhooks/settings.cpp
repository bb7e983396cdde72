#include "actors/webhooks/settings.hpp"

namespace weft::webhooks {

std::vector<config::section> config_sections() {
  using W = webhooks_settings;
  config::module_section<W> s{"webhooks"};
  s.key("allow_hosts", &W::allow_hosts)
    .key("rotation_overlap_s", &W::rotation_overlap_s, config::range(0, 30 * 86400))
    .key("max_subscriptions", &W::max_subscriptions, config::range(1, 1000000));
  return {s.build()};
}

const webhooks_settings& settings_of(const config::settings& s) {
  return s.section<webhooks_settings>("webhooks");
}

} // namespace weft::webhooks
