#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "adapters/postgres/connection.hpp"
#include "runtime/service_ports.hpp"

// LISTEN weft_outbox for a relay: a detached actor (its own thread, its own
// connection) that blocks in connection::wait_for_notification, never on a
// CAF scheduler thread. Each notification, and each new session (NOTIFYs
// sent while it was down are lost), wakes the relay with an empty
// `wake_atom`. Between waits it reads its mailbox, so an exit message
// stops it within `wait`.
namespace weft::outbox {

/// Spawns the listener for `relay`; send it an exit message to stop it.
caf::actor spawn_outbox_listener(caf::actor_system& sys, pg::connect_options conn,
                                 outbox_table_relay_actor relay,
                                 std::chrono::milliseconds wait = std::chrono::milliseconds{250});

} // namespace weft::outbox
