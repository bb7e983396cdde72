#pragma once

#include <memory>
#include <span>

#include <caf/expected.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/webhooks/interface.hpp"
#include "actors/webhooks/settings.hpp"
#include "runtime/service.hpp"
#include "runtime/store.hpp"
#include "runtime/unit_of_work.hpp"
#include "events/envelope.hpp"

// The subscriptions front: checks what a subscription may be (a sink the
// SSRF guard allows, type patterns, one subject filter) and keeps it on the
// node's store.
namespace weft::webhooks {

class dispatch_wake;

struct subscriptions_state {
  subscriptions_state() = default; // not an aggregate: CAF 0.17 would build it from `self`
  std::shared_ptr<store_session> session;
  webhooks_settings settings;
  event_bus_actor bus; ///< read back for a replay from a position
  static inline const char* name = "weft.webhooks";
};

/// (`bus` is an event_bus_actor; CAF 0.17's spawn takes no typed handle here.)
subscriptions_actor::behavior_type
subscriptions_behavior(subscriptions_actor::stateful_pointer<subscriptions_state> self,
                       std::shared_ptr<store_session> session, webhooks_settings settings,
                       caf::actor bus);

/// Spawns the front and the dispatcher (woken through `wake`) on the node's store.
caf::expected<service_instance> spawn_webhooks_group(service_context& ctx,
                                                     const webhooks_settings& settings,
                                                     std::shared_ptr<dispatch_wake> wake);

struct subscription_record;

/// The matcher, run by the service's inbox for the events of the stream,
/// many at once: a delivery row for each enabled subscription whose types
/// and filters match, in the inbox's unit of work (so once per event); once
/// it commits, `wake` (may be null) wakes the dispatcher of this node.
caf::error match_events(unit_of_work& w, std::span<const events::envelope> evs,
                        const webhooks_settings& s, const std::shared_ptr<dispatch_wake>& wake);

/// True if `ev` is of the types of `s` and passes its filters.
bool selects(const subscription_record& s, const events::envelope& ev);

/// True if `s` is enabled and selects `ev`.
bool matches(const subscription_record& s, const events::envelope& ev);


} // namespace weft::webhooks
