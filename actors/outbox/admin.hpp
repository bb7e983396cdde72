#pragma once

#include <cstdint>
#include <string>

#include <caf/fwd.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "adapters/postgres/pool.hpp"
#include "events/wire.hpp"
#include "runtime/service.hpp"

// Operating the durable outbox over HTTP: `POST /v1/outbox/republish`
// {"since": "<RFC 3339>"} for root makes the retained outbox rows published
// at or after `since` pending again, so the relays publish them once more
// (after a broker lost acknowledged data); answers {"republished": n}. Part
// of the node's outbox, not a service module: a durable node declares it.
namespace weft::outbox {

using republish_atom = caf::atom_constant<caf::atom("republish")>;

struct republish_request {
  std::string since;

  static auto describe() {
    return wire::object<republish_request>(
      "weft.outbox.republish_request", "What to publish again",
      wire::field("since", &republish_request::since)
        .format("date-time")
        .doc("rows published at or after this time go out again"));
  }
};
WEFT_WIRE(republish_request)

struct republish_result {
  int64_t republished = 0;

  static auto describe() {
    return wire::object<republish_result>(
      "weft.outbox.republish_result", "How many rows will be published again",
      wire::field("republished", &republish_result::republished));
  }
};
WEFT_WIRE(republish_result)

/// The outbox's front: runs republish_since on the shared pool.
using outbox_admin_actor = caf::typed_actor<
  caf::replies_to<republish_atom, republish_request>::with<republish_result>>;

/// Spawns the front.
outbox_admin_actor spawn_outbox_admin(caf::actor_system& sys, pg::pool pool);

/// The declaration of the outbox's routes (service `outbox`).
service_decl outbox_admin_decl();

} // namespace weft::outbox
