#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/outbox/pg_outbox_relay.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/outbox_table.hpp"
#include "adapters/postgres/transaction.hpp"
#include "events/ids.hpp"
#include "runtime/event_bus.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"
#include "tests/support/process.hpp"

// What the outbox integration tests share: a migrated fresh database per
// test, an actor system with pools and relays stopped at the end, and a
// recording bus that counts every publish per event id, can fail the first
// publish of chosen subjects, stay silent, or forward to a real bus.
namespace weft::outbox::test {

using namespace std::chrono_literals;
using pg::test::fresh_database;
using pg::test::open_or_fail;
using pg::test::test_options;

/// Two scheduler threads, as on the build machine.
struct test_config : caf::actor_system_config {
  test_config() { set("scheduler.max-threads", 2); }
};

/// One publish request the recording bus saw.
struct seen_publish {
  bus_message msg;
  std::chrono::system_clock::time_point at;
};

/// Shared between a recording bus and the test thread.
struct bus_log {
  std::mutex mtx;
  std::vector<seen_publish> attempts;         ///< every publish request, in arrival order
  std::vector<bus_message> stored;            ///< acknowledged, in acknowledgement order
  std::map<std::string, std::vector<uint64_t>> seqs; ///< acknowledged sequence numbers per event id
  std::set<std::string> fail_once;            ///< envelope subjects whose next publish fails
  bool silent = false;                        ///< answer nothing
  std::multiset<std::string> in_flight;       ///< envelope subjects awaiting the inner bus
  bool overlap = false;                       ///< two of one subject in flight at once

  size_t stored_count() {
    std::lock_guard<std::mutex> lk{mtx};
    return stored.size();
  }
  size_t attempt_count() {
    std::lock_guard<std::mutex> lk{mtx};
    return attempts.size();
  }
  /// Publish requests per event id.
  std::map<std::string, int> per_id() {
    std::lock_guard<std::mutex> lk{mtx};
    std::map<std::string, int> out;
    for (auto& a : attempts)
      ++out[a.msg.event.id];
    return out;
  }
  /// Acknowledged event ids per envelope subject, in acknowledgement order.
  std::map<std::string, std::vector<std::string>> by_subject() {
    std::lock_guard<std::mutex> lk{mtx};
    std::map<std::string, std::vector<std::string>> out;
    for (auto& m : stored)
      out[m.event.subject].push_back(m.event.id);
    return out;
  }
};

/// A bus that records; with `inner`, it forwards and answers what `inner`
/// answers, else it acknowledges at once with a running sequence number.
event_bus_actor spawn_recording_bus(caf::actor_system& sys, std::shared_ptr<bus_log> log,
                                    event_bus_actor inner = {});

/// A test event of aggregate `subject`.
inline events::envelope make_event(const std::string& subject, int n = 0,
                                   const std::string& type = "test.thing.happened") {
  events::envelope ev;
  ev.id = events::new_uuid_v7();
  ev.source = "/weft/test";
  ev.type = type;
  ev.time = events::now_rfc3339_ms();
  ev.subject = subject;
  ev.data = "{\"n\":" + std::to_string(n) + "}";
  return ev;
}

/// A migrated fresh database, an actor system, and cleanup in the right order.
struct outbox_fixture {
  std::string url;
  pg::connection db;
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::vector<pg::pool> pools;
  std::vector<caf::actor> actors;

  outbox_fixture() : url(fresh_database()), db(open_or_fail(url)) {
    auto applied = pg::apply_migrations(db);
    if (!applied)
      throw std::runtime_error("migrations failed: " + pg::describe(applied.error()));
  }

  ~outbox_fixture() {
    for (auto& a : actors)
      self->send_exit(a, caf::exit_reason::kill);
    for (auto& p : pools)
      p.stop();
  }

  pg::pool make_pool(size_t size = 2) {
    pg::pool_options po;
    po.conn = test_options(url);
    po.size = size;
    pools.push_back(pg::pool::spawn(sys, po));
    return pools.back();
  }

  template <class Handle>
  Handle keep(Handle h) {
    actors.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// Options with quick timers for tests: its own pool, LISTEN on.
  pg_relay_options relay_options(event_bus_actor bus, std::string name = "outbox") {
    pg_relay_options o;
    o.pool = make_pool();
    o.listen = test_options(url);
    o.bus = std::move(bus);
    o.poll_interval = 100ms;
    o.backoff_ms = {100, 200};
    o.name = std::move(name);
    return o;
  }

  outbox_table_relay_actor relay(pg_relay_options o) { return keep(spawn_pg_outbox_relay(sys, std::move(o))); }

  /// Appends `evs` in one transaction; commits or rolls back.
  void append(const std::vector<events::envelope>& evs, bool commit = true) {
    auto tx = pg::transaction::begin(db);
    if (!tx)
      throw std::runtime_error("begin: " + pg::describe(tx.error()));
    if (auto err = pg::append_outbox(db, evs))
      throw std::runtime_error("append: " + pg::describe(err));
    auto err = commit ? tx->commit() : tx->rollback();
    if (err)
      throw std::runtime_error("commit/rollback: " + pg::describe(err));
  }

  /// One value of a query.
  int64_t scalar(const std::string& sql) {
    auto r = db.exec(sql);
    if (!r)
      throw std::runtime_error(sql + ": " + pg::describe(r.error()));
    return r->get<int64_t>(0, 0);
  }

  int64_t pending() { return scalar("SELECT count(*) FROM weft_outbox WHERE published_at IS NULL"); }

  /// drain(deadline) answered in time.
  bool drain(const outbox_table_relay_actor& relay, uint32_t deadline_ms) {
    bool answered = false;
    self->request(relay, std::chrono::seconds{30}, drain_atom::value, deadline_ms)
      .receive([&](ack_atom) { answered = true; }, [](caf::error&) {});
    return answered;
  }
};

/// `n` events numbered from `offset`, spread over `subjects` subjects
/// `<prefix><k>`.
inline std::vector<events::envelope> batch_of(int n, int subjects, int offset = 0,
                                              const std::string& prefix = "s") {
  std::vector<events::envelope> out;
  for (int i = 0; i < n; ++i)
    out.push_back(make_event(prefix + std::to_string((offset + i) % subjects), offset + i));
  return out;
}

} // namespace weft::outbox::test
