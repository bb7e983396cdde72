#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include "adapters/postgres/connection.hpp"
#include "events/envelope.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/faults.hpp"
#include "runtime/metrics.hpp"

// The durable inbox: a bus handler that applies each event id once per
// consumer, with the record and the handler's effects in one PostgreSQL
// transaction (table weft_inbox, migration 0001).
//
// Ordering rule: record -> handle -> commit -> ack.
//   record  INSERT (consumer, event_id) ... ON CONFLICT DO NOTHING; a row
//           already there means a duplicate: acked, the handler not run;
//   handle  the handler applies the event with the same connection, inside
//           the same transaction (it may append outbox rows, with causationid
//           set to the event's id, to emit follow-up events);
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

/// Applies one event's effects with `c`, already inside the inbox's
/// transaction: no BEGIN/COMMIT of its own, no effects outside the database
/// (it may run again after a rollback). An error naks the event (the bus
/// retries it with backoff); an error of category `events` dead-letters it.
using pg_handler = std::function<caf::error(pg::connection& c, const events::envelope& ev)>;

/// Applies several events at once (e.g. one multi-row INSERT), same rules as
/// pg_handler. An error rolls the batch back; the inbox then runs the events
/// one by one (a span of one, each under a savepoint) so that only the events
/// that fail are naked.
using pg_batch_handler
  = std::function<caf::error(pg::connection& c, std::span<const events::envelope> evs)>;

/// Options of one durable inbox.
struct pg_inbox_options {
  std::string consumer;                ///< the durable consumer (service) name, the inbox key
  pg::connect_options conn;            ///< each worker opens its own connection with these
  pg_handler handler;                  ///< applies one event (used when batch_handler is empty)
  pg_batch_handler batch_handler;      ///< applies many events at once; preferred when set
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
