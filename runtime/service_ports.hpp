#pragma once

#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "events/envelope.hpp"
#include "runtime/atoms.hpp"
#include "runtime/principal.hpp"

// The ports between the stores and the outbox relays, and the identity port
// of the HTTP edge. Each message says one thing.
namespace weft {

/// The in-memory outbox relay: "publish these committed events", in the
/// order given (the memory store sends them at commit, under its lock, so
/// per subject in commit order). Ordering rule: commit -> publish -> forget.
/// `drain` answers once everything handed over is stored on the bus, or the
/// deadline (ms) passed.
using event_relay_actor
  = caf::typed_actor<caf::reacts_to<publish_atom, std::vector<events::envelope>>,
                     caf::replies_to<drain_atom, uint32_t>::with<ack_atom>>;

/// The PostgreSQL outbox relay: "rows were committed to weft_outbox, look
/// now" (the rows are the truth; it also polls and listens). Ordering rule:
/// commit -> publish -> mark published. `drain` as above.
using outbox_table_relay_actor
  = caf::typed_actor<caf::reacts_to<wake_atom>,
                     caf::replies_to<drain_atom, uint32_t>::with<ack_atom>>;

/// Resolves an API key (as sent in `X-API-Key`) to its principal; answers
/// `api_errc::unauthenticated` for an unknown or revoked key.
using identity_actor
  = caf::typed_actor<caf::replies_to<resolve_atom, std::string>::with<principal>>;

} // namespace weft
