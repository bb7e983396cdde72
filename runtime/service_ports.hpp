#pragma once

#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/envelope.hpp"
#include "runtime/atoms.hpp"
#include "runtime/principal.hpp"

// The ports between a service and the delivery machinery around it.
namespace weft {

/// A service's event handler, called by its inbox once per event id: reply
/// `ack_atom` when the effects are committed, an error to have it retried.
using event_sink_actor
  = caf::typed_actor<caf::replies_to<handle_atom, events::envelope>::with<ack_atom>>;

/// Where a service puts the events of a committed change. The outbox relay
/// publishes them in order, retrying until the bus has stored each one.
/// Ordering rule: commit -> publish -> mark published. `drain` answers once
/// everything handed over so far is stored on the bus, or the deadline (ms)
/// passed.
using outbox_actor
  = caf::typed_actor<caf::reacts_to<publish_atom, std::vector<events::envelope>>,
                     caf::replies_to<drain_atom, uint32_t>::with<ack_atom>>;

/// Resolves an API key (as sent in `X-API-Key`) to its principal; answers
/// `api_errc::unauthenticated` for an unknown or revoked key.
using identity_actor
  = caf::typed_actor<caf::replies_to<resolve_atom, std::string>::with<principal>>;

} // namespace weft
