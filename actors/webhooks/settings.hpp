#pragma once

#include <string>
#include <vector>

#include "config/section.hpp"

namespace weft::webhooks {

/// The `webhooks` config section.
struct webhooks_settings {
  std::vector<std::string> allow_hosts;   ///< sink hosts allowed although local or private
  uint32_t rotation_overlap_s = 86400;    ///< the old secret signs too this long after a rotation
  uint32_t max_subscriptions = 1000;      ///< subscriptions at most (a create beyond: 409)
};

/// The section, with its checks.
std::vector<config::section> config_sections();

const webhooks_settings& settings_of(const config::settings& s);

} // namespace weft::webhooks
