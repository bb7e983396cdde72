#pragma once

#include <memory>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "adapters/nats/connection.hpp"
#include "runtime/event_bus.hpp"

// Internal: the reading half of the bus port on JetStream. Reading a
// consumer's letters (or any part of the stream, for a replay), pruning
// old letters and redriving letters are blocking requests to the server (an ordered
// consumer over the subjects, get, publish and delete by sequence), so they
// run on a detached actor of their own; the bus actor delegates `query`
// and `redrive` to it.
namespace weft::nats {

using dead_letters_actor = caf::typed_actor<
  caf::replies_to<redrive_atom, std::string, std::vector<uint64_t>, bool>::with<uint64_t>,
  caf::replies_to<query_atom, stream_query>::with<std::vector<delivery>>,
  caf::replies_to<prune_atom, int64_t, uint32_t>::with<uint64_t>>;

/// Spawns the reader (detached) on the bus's connection.
dead_letters_actor spawn_dead_letters(caf::actor_system& sys, std::shared_ptr<connection> conn);

} // namespace weft::nats
