#include "actors/inbox/pg_inbox.hpp"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/inbox/event_checks.hpp"
#include "actors/inbox/inbox_consumer.hpp"
#include "actors/inbox/pg_inbox_batch.hpp"
#include "adapters/postgres/errors.hpp"
#include "events/routes.hpp"

// Actors of the durable inbox. The front (on the scheduler) checks, injects
// faults and delegates each delivery to a detached worker, which answers the
// bus itself. A worker batches without timers: the first delivery into an
// empty batch sends the worker a `flush` that queues behind the deliveries
// already in its mailbox, so all of those join the transaction; max_batch
// flushes early. Promises are answered after COMMIT; only fault mode no_ack
// drops one undelivered (CAF 0.17 then sends nothing: the bus times out).
namespace weft::inbox {

namespace {

using flush_atom = caf::atom_constant<caf::atom("ibflush")>;

/// A worker: the bus port plus its own flush (the batch number it closes).
/// `deliver` carries the fault plan's fail_after verdict from the front.
using worker_actor = caf::typed_actor<
  caf::replies_to<deliver_atom, delivery, bool>::with<ack_atom>,
  caf::reacts_to<flush_atom, uint64_t>>;

/// What the front and its workers share, read-only once spawned.
struct shared_config {
  std::string consumer;
  pg::connect_options conn;
  batch_handlers handlers;
  weft::metrics* metrics = nullptr;
  size_t max_batch = 128;
  outbox_table_relay_actor relay;
};

struct worker_state {
  static inline const char* name = "weft.pg_inbox.worker";
  std::shared_ptr<const shared_config> cfg;
  std::unique_ptr<pg::connection> conn; ///< opened on this worker's thread, on first use
  std::vector<batch_item> batch;
  std::vector<caf::typed_response_promise<ack_atom>> promises;
  uint64_t batch_id = 0; ///< the open batch; a flush for an older one is stale
  bool failing = false;  ///< the last transaction failed as a whole (logged once)
};

using worker_pointer = worker_actor::stateful_pointer<worker_state>;

/// Logs a failing database once, and its recovery; handler errors at debug.
void log_outcome(worker_pointer self, const batch_report& rep,
                 const std::vector<batch_item>& items) {
  auto& st = self->state;
  if (rep.fatal && !st.failing)
    spdlog::warn("inbox {}: a transaction of {} deliveries failed, naked for retry: {}",
                 st.cfg->consumer, items.size(), pg::describe(rep.fatal));
  else if (!rep.fatal && st.failing)
    spdlog::info("inbox {}: transactions commit again", st.cfg->consumer);
  st.failing = static_cast<bool>(rep.fatal);
  if (!rep.fatal && rep.failed > 0 && spdlog::should_log(spdlog::level::debug))
    for (const auto& x : items)
      if (x.result == outcome::failed)
        spdlog::debug("inbox {}: event {} failed: {}", st.cfg->consumer, x.event.id,
                      pg::describe(x.error));
}

/// Runs the open batch in one transaction and answers every delivery.
void flush(worker_pointer self) {
  auto& st = self->state;
  if (st.batch.empty())
    return;
  ++st.batch_id;
  std::vector<batch_item> items;
  std::vector<caf::typed_response_promise<ack_atom>> promises;
  items.swap(st.batch);
  promises.swap(st.promises);
  if (!st.conn)
    st.conn = std::make_unique<pg::connection>(st.cfg->conn);
  auto rep = apply_batch(*st.conn, st.cfg->handlers, items);
  log_outcome(self, rep, items);
  // Counted before answering: whoever sees the ack sees the counts too.
  if (auto* m = st.cfg->metrics) {
    for (uint64_t i = 0; i < rep.duplicates; ++i)
      m->inbox_duplicate(st.cfg->consumer);
    m->inbox_batch(st.cfg->consumer, items.size(), rep.applied, rep.failed,
                   rep.handler_seconds);
  }
  if (rep.emitted && st.cfg->relay)
    self->send(st.cfg->relay, wake_atom::value);
  // Committed (or seen committed before): ack. Anything else: nak.
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].result == outcome::applied || items[i].result == outcome::duplicate)
      promises[i].deliver(ack_atom::value);
    else
      promises[i].deliver(std::move(items[i].error));
  }
  // Keep the capacity for the next batch.
  items.clear();
  promises.clear();
  st.batch.swap(items);
  st.promises.swap(promises);
}

worker_actor::behavior_type worker(worker_pointer self, std::shared_ptr<const shared_config> cfg) {
  self->state.cfg = std::move(cfg);
  self->state.batch.reserve(self->state.cfg->max_batch);
  self->state.promises.reserve(self->state.cfg->max_batch);
  // Stopped by the front (linked): deliveries not yet in a transaction are
  // naked so the bus need not wait for ack_wait.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    auto& st = self->state;
    for (auto& rp : st.promises)
      rp.deliver(caf::make_error(errc::stopping, std::string{"inbox stopping"}));
    st.promises.clear();
    st.batch.clear();
    self->quit(msg.reason);
  });
  return {
    [self](deliver_atom, delivery& d, bool fail_after) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      batch_item x;
      x.consumer_key = consumer_key_of(st.cfg->consumer, d.message);
      x.event_key = event_key_of(d.message.event.id);
      x.event = std::move(d.message.event);
      x.fail_after = fail_after;
      st.batch.push_back(std::move(x));
      st.promises.push_back(rp);
      if (st.batch.size() >= st.cfg->max_batch)
        flush(self);
      else if (st.batch.size() == 1)
        self->send(self, flush_atom::value, st.batch_id);
      return rp;
    },
    [self](flush_atom, uint64_t id) {
      if (id == self->state.batch_id)
        flush(self);
    },
  };
}

struct front_state {
  static inline const char* name = "weft.pg_inbox";
  std::string consumer;
  weft::fault_plan* faults = nullptr;
  bool has_handler = false;
  std::vector<worker_actor> workers;
};

using front_pointer = event_handler_actor::stateful_pointer<front_state>;

event_handler_actor::behavior_type front(front_pointer self, pg_inbox_options opts) {
  auto cfg = std::make_shared<shared_config>();
  cfg->consumer = opts.consumer;
  cfg->conn = std::move(opts.conn);
  cfg->handlers = batch_handlers{std::move(opts.handler), std::move(opts.batch_handler)};
  cfg->metrics = opts.metrics;
  cfg->relay = std::move(opts.relay);
  cfg->max_batch = std::max<size_t>(1, opts.max_batch);
  auto& st = self->state;
  st.consumer = std::move(opts.consumer);
  st.faults = opts.faults;
  st.has_handler = cfg->handlers.one || cfg->handlers.many;
  std::shared_ptr<const shared_config> shared = std::move(cfg);
  for (size_t i = 0; i < std::max<size_t>(1, opts.workers); ++i)
    st.workers.push_back(self->spawn<caf::detached + caf::linked>(worker, shared));
  return {
    [self](deliver_atom, delivery& d) -> caf::typed_response_promise<ack_atom> {
      auto& st = self->state;
      auto rp = self->make_response_promise<ack_atom>();
      auto verdict = admit(d, st.consumer, st.faults);
      if (verdict.refuse) {
        rp.deliver(std::move(verdict.refuse));
        return rp;
      }
      if (verdict.drop)
        return rp; // dropped undelivered: the bus redelivers after ack_wait
      if (!st.has_handler) {
        rp.deliver(caf::make_error(errc::no_handler, std::string{"inbox has no handler"}));
        return rp;
      }
      const auto& ev = d.message.event;
      // By event id: copies of one event meet in one worker, in order.
      auto idx = std::hash<std::string>{}(ev.id) % st.workers.size();
      rp.delegate(st.workers[idx], deliver_atom::value, std::move(d), verdict.fail_after);
      return rp;
    },
  };
}

} // namespace

event_handler_actor spawn_pg_inbox(caf::actor_system& sys, pg_inbox_options opts) {
  return sys.spawn(front, std::move(opts));
}

} // namespace weft::inbox
