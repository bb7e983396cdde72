#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/expected.hpp>

#include "actors/webhooks/settings.hpp"
#include "runtime/service.hpp"

// The delivery side of the webhooks service, one per node: every
// webhooks.poll_ms it leases due delivery rows (with the other nodes' dispatchers
// sharing the work through the leases), POSTs each through the http_poster
// thread, signed per Standard Webhooks with the subscription's secret (and
// the previous one during a rotation), and records how it went:
// - 2xx: delivered;
// - 410 Gone: the subscription is disabled (event
//   weft.webhook.subscription.disabled), the delivery is `gone`;
// - anything else (3xx, 4xx, 5xx, timeout, refused, a forbidden address):
//   tried again at the next step of webhooks.retry_schedule_ms (+-20%
//   jitter), or later when a 429/503 says Retry-After; after the last step
//   it is dead-lettered on weft.dlq.webhooks (the event, with the endpoint
//   and the reason in Weft-Dlq-* headers), then `exhausted` (event
//   weft.webhook.attempt.exhausted).
// A subscription failing without a success for webhooks.disable_after_s is
// disabled (event weft.webhook.subscription.disabled). Paused ones are not
// claimed for. Every webhooks.stats_ms it sets the pending gauges.
// Its store session may block (PostgreSQL): it runs on a thread of its own.
namespace weft::webhooks {

/// Wakes this node's dispatcher when the matcher here committed deliveries,
/// so they go out now rather than at its next poll (the poll still finds
/// those another node's matcher wrote). Thread-safe; pokes coalesce.
class dispatch_wake {
public:
  void attach(caf::actor dispatcher);
  /// After a commit that added deliveries.
  void poke();
  /// The dispatcher took the poke: the next one sends again.
  void taken() { queued_ = false; }

private:
  std::mutex mtx_;
  // Weak: a strong handle held past the actor system's end would keep the
  // detached dispatcher's thread waiting, and the node from exiting.
  caf::actor_addr target_;
  std::atomic<bool> queued_{false};
};

/// Spawns the node's dispatcher (detached), woken through `wake`.
caf::actor spawn_dispatcher(service_context& ctx, const webhooks_settings& settings,
                            std::shared_ptr<dispatch_wake> wake);

} // namespace weft::webhooks
