#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace weft {

/// What the fault plan decides for one delivery to a handler: nothing; fail
/// before the handler; run the handler, then fail (so its writes must roll
/// back); or never answer.
enum class fault_action { none, fail, fail_after, no_ack };

/// Fault injection from config (`faults.rules`), off by default. Thread-safe;
/// counts deliveries per rule, so "the first N" means the first N the
/// handler sees after start, including redeliveries.
class fault_plan {
public:
  fault_plan() = default;
  explicit fault_plan(std::vector<config::fault_rule> rules);

  /// Decide for the next delivery of `type` to `handler`.
  fault_action next(std::string_view handler, std::string_view type);

  bool empty() const { return rules_.empty(); }

private:
  struct rule {
    config::fault_rule cfg;
    std::atomic<uint64_t> seen{0};
  };
  std::vector<std::unique_ptr<rule>> rules_;
};

} // namespace weft
