#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "adapters/postgres/connection.hpp"
#include "adapters/postgres/pool.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/metrics.hpp"
#include "runtime/service_ports.hpp"

// The durable outbox relay: publishes the rows of weft_outbox (written by
// repositories inside their domain transactions) to the bus.
//
// Ordering rule: commit -> publish -> mark published. A crash between the
// bus's acknowledgement and the mark publishes the row again; the bus's
// duplicate window (Nats-Msg-Id = event id) and the inboxes make that safe.
//
// Woken by `wake_atom` from a local store session after its commit (the
// rows are the truth, the message only says "look now"), by LISTEN weft_outbox (other processes' commits; a detached
// listener actor with its own connection), and by a poll timer. Each wake
// claims a batch under a lease (pg::claim_outbox: several relays never hold
// the same row), publishes many rows at once but the rows of one subject one
// after another in id order, and marks them published in batches. A failed
// or timed-out publish is recorded with a backoff and jitter; the later rows
// of its subject wait for the retry (their leases are released). Published
// rows are deleted after `retention`. Nothing blocks the actor: SQL runs on
// the pg::pool, LISTEN on its own thread.
//
// `drain(deadline_ms)` stops claiming, releases the rows not started, and
// answers once the publishes in flight are answered and marked (or at the
// deadline). The relay claims nothing afterwards: drain it just before
// stopping it.
namespace weft::outbox {

/// Options of the PostgreSQL outbox relay.
struct pg_relay_options {
  pg::pool pool;                                      ///< claims, marks and cleanup run here
  pg::connect_options listen;                         ///< LISTEN connection; empty url = no listener (poll only)
  event_bus_actor bus;                                ///< where events go
  uint32_t batch_size = 500;                          ///< rows claimed at once
  uint32_t max_in_flight = 128;                       ///< publishes awaiting the bus at most
  std::chrono::milliseconds lease{30000};             ///< a claimed row is nobody else's for this long
  std::chrono::milliseconds poll_interval{200};       ///< claim at least this often when idle
  std::chrono::milliseconds publish_timeout{5000};    ///< an unanswered publish counts as failed
  std::chrono::milliseconds db_timeout{10000};        ///< answer deadline of one pool job
  std::chrono::seconds retention{900};                ///< published rows kept this long (republish window)
  std::chrono::milliseconds cleanup_interval{60000};  ///< between retention cleanups
  std::chrono::milliseconds gauge_interval{1000};     ///< between weft_outbox_pending refreshes
  std::vector<uint32_t> backoff_ms{100, 500, 2000, 5000}; ///< retry delay per attempt, last repeats, +-20% jitter
  weft::metrics* metrics = nullptr;                   ///< may be null
  std::string name = "outbox";                        ///< label `relay` of the metrics, in logs
  std::string owner;                                  ///< locked_by of its leases; empty: `<name>:<uuid>`
};

/// Spawns the relay (and its listener when `opts.listen.url` is set).
outbox_table_relay_actor spawn_pg_outbox_relay(caf::actor_system& sys, pg_relay_options opts);

} // namespace weft::outbox
