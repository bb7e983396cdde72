#pragma once

#include <cstddef>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "adapters/postgres/connection.hpp"
#include "events/envelope.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/faults.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service.hpp"
#include "runtime/service_ports.hpp"

// The durable inbox: a bus handler that applies each event id once per
// consumer, with the record and the handler's effects in one PostgreSQL
// transaction (table weft_inbox, migration 0001).
//
// Ordering rule: record -> handle -> commit -> ack.
//   record  INSERT (consumer, event_id) ... ON CONFLICT DO NOTHING; a row
//           already there means a duplicate: acked, the handler not run;
//   handle  the handler applies the event through a unit of work on the same
//           connection, inside the same transaction (pg::connection_of(w)
//           for its repositories; the events it emits become outbox rows of
//           that transaction, and the relay is woken after the commit);
//   commit  the record and the effects become durable together;
//   ack     only then is the bus told. A handler error rolls its event back
//           and naks it; a failed COMMIT naks the whole batch. A crash
//           between commit and ack redelivers an event that is now a
//           duplicate: effectively once.
//
// Group commit: deliveries that arrive together share one transaction (up to
// max_batch), which is what makes throughput (one row per transaction is
// commit-bound at ~1k/s). All blocking libpq work runs on detached worker
// actors, each with its own connection; a delivery goes to the worker chosen
// by its event id, so redeliveries of one event never race each other.
namespace weft::inbox {

/// Options of one durable inbox.
struct pg_inbox_options {
  std::string consumer;                ///< the durable consumer (service) name, the inbox key
  pg::connect_options conn;            ///< each worker opens its own connection with these
  event_handler_fn handler;            ///< applies one event (used when batch_handler is empty)
  event_batch_handler_fn batch_handler; ///< applies many events at once; preferred when set
  outbox_table_relay_actor relay;      ///< woken after a commit whose handlers emitted events
  weft::fault_plan* faults = nullptr;  ///< may be null; consulted per delivery under `consumer`
  weft::metrics* metrics = nullptr;    ///< may be null
  size_t max_batch = 128;              ///< deliveries per transaction at most
  size_t workers = 2;                  ///< detached actors, one connection each (two overlap commits)
};

/// Spawns the inbox: a front actor (the returned handle, to subscribe to the
/// bus) and `workers` detached workers linked to it. Sending the front an
/// exit stops them all; a worker finishes its current transaction first.
event_handler_actor spawn_pg_inbox(caf::actor_system& sys, pg_inbox_options opts);

} // namespace weft::inbox
