#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <caf/error.hpp>

#include "actors/inbox/pg_inbox.hpp"
#include "adapters/postgres/connection.hpp"
#include "runtime/service.hpp"
#include "events/envelope.hpp"

// One inbox transaction over a batch of deliveries, without actors: the
// workers of pg_inbox.cpp call apply_batch and answer the bus from the
// outcomes. Tested directly against PostgreSQL as well.
//
// Fast path (every handler succeeds), four round trips plus the handlers':
//   BEGIN
//   INSERT INTO weft_inbox SELECT * FROM unnest($1::text[], $2::uuid[])
//     ON CONFLICT DO NOTHING RETURNING ...   -- all records, sorted by key
//   handlers of the events that were inserted (batch handler: one call)
//   INSERT the outbox rows of the events the handlers emitted, if any
//   COMMIT
// Careful path (some handler failed, so the fast path was rolled back):
//   BEGIN; per event: SAVEPOINT + INSERT one record (one round trip),
//   handler, ROLLBACK TO SAVEPOINT if it failed; COMMIT.
// Handlers run in delivery order. A handler whose event failed on the fast
// path is not run again on the careful path: it gets its error at once.
// Records are inserted in key order so that two transactions holding some of
// the same ids (two workers, two nodes) wait for each other instead of
// deadlocking.
namespace weft::inbox {

/// What became of one delivery.
enum class outcome : uint8_t { pending, applied, duplicate, failed };

/// One delivery in a batch.
struct batch_item {
  std::string consumer_key;  ///< the consumer, or `<consumer>|<dlq subject>` for a dead letter
  std::string event_key;     ///< the event id as a lower-case UUID (derived if it is none)
  events::envelope event;
  int first = -1;            ///< an earlier item of the batch with the same keys, or -1
  bool fail_after = false;   ///< fault plan: fail once the handler has written (rolled back)
  outcome result = outcome::pending;
  caf::error error;          ///< when failed
};

/// Counts of one apply_batch call, for metrics.
struct batch_report {
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t failed = 0;
  bool careful = false;                 ///< the careful path ran
  bool emitted = false;                 ///< the commit wrote outbox rows (wake the relay)
  caf::error fatal;                     ///< why the transaction failed as a whole (BEGIN, records, COMMIT)
  std::vector<double> handler_seconds;  ///< one per handler call
};

/// The handlers of an inbox (batch preferred when set).
struct batch_handlers {
  event_handler_fn one;
  event_batch_handler_fn many;
};

/// Runs `items` through one transaction on `c` and sets every item's outcome.
batch_report apply_batch(pg::connection& c, const batch_handlers& h,
                         std::vector<batch_item>& items);

} // namespace weft::inbox
