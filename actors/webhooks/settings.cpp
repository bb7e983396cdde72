#include "actors/webhooks/settings.hpp"

namespace weft::webhooks {

std::vector<config::section> config_sections() {
  using W = webhooks_settings;
  config::module_section<W> s{"webhooks"};
  s.key("allow_hosts", &W::allow_hosts)
    .key("rotation_overlap_s", &W::rotation_overlap_s, config::range(0, 30 * 86400))
    .key("max_subscriptions", &W::max_subscriptions, config::range(1, 1000000))
    .key("retry_schedule_ms", &W::retry_schedule_ms, config::non_empty_list())
    .key("connect_timeout_ms", &W::connect_timeout_ms, config::range(10, 600000))
    .key("timeout_ms", &W::timeout_ms, config::range(10, 600000))
    .key("poll_ms", &W::poll_ms, config::range(5, 600000))
    .key("lease_ms", &W::lease_ms, config::range(100, 3600000))
    .key("max_in_flight", &W::max_in_flight, config::range(1, 10000))
    .key("disable_after_s", &W::disable_after_s, config::range(0, 365 * 86400))
    .key("stats_ms", &W::stats_ms, config::range(100, 3600000));
  return {s.build()};
}

const webhooks_settings& settings_of(const config::settings& s) {
  return s.section<webhooks_settings>("webhooks");
}

} // namespace weft::webhooks
