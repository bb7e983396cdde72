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
  /// When each attempt is made, after the event (the Standard Webhooks
  /// schedule: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h).
  std::vector<uint32_t> retry_schedule_ms{0,        5000,     300000,   1800000,  7200000,
                                          18000000, 36000000, 50400000, 72000000, 86400000};
  uint32_t connect_timeout_ms = 3000;     ///< one attempt's TCP/TLS connect
  uint32_t timeout_ms = 10000;            ///< one attempt in all
  uint32_t poll_ms = 200;                 ///< how often a node looks for due deliveries
  uint32_t lease_ms = 30000;              ///< a claimed delivery is this node's this long
  uint32_t max_in_flight = 64;            ///< attempts under way per node
  /// A subscription failing this long without a success is disabled (0: never).
  uint32_t disable_after_s = 5 * 86400;
  uint32_t stats_ms = 5000;               ///< how often pending counts are read for metrics
};

/// The section, with its checks.
std::vector<config::section> config_sections();

const webhooks_settings& settings_of(const config::settings& s);

} // namespace weft::webhooks
