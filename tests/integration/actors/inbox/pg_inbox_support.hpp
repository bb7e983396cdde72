#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "actors/inbox/pg_inbox.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "adapters/memory/memory_bus.hpp"
#include "adapters/postgres/migrations.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"
#include "tests/support/prometheus.hpp"
#include "tests/unit/adapters/memory/bus_probe.hpp"

// The durable inbox against a real PostgreSQL (one cluster per binary, a
// database per test cloned from a migrated template) and the in-process bus.
namespace weft::test {

using namespace std::chrono_literals;

/// A database with the embedded migrations applied; its URL.
inline std::string migrated_database() {
  static std::once_flag once;
  static const std::string tmpl = "inbox_tmpl_" + std::to_string(::getpid());
  std::call_once(once, [] {
    pg::test::cluster().create_database(tmpl);
    auto c = pg::test::open_or_fail(pg::test::cluster().url(tmpl));
    auto applied = pg::apply_migrations(c);
    if (!applied)
      throw std::runtime_error("migrations failed: " + pg::describe(applied.error()));
  }); // the connection closes here: a template must have no sessions
  static std::atomic<int> n{0};
  auto name = "inbox_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
  pg::test::cluster().create_database(name, tmpl);
  return pg::test::cluster().url(name);
}

/// `WEFT_INBOX_BENCH_URL` (a server of your own, e.g. with fsync on, for
/// figures at production durability), migrated and with the inbox and audit
/// tables emptied; else a fresh migrated_database().
inline std::string bench_database() {
  const char* env = std::getenv("WEFT_INBOX_BENCH_URL");
  if (env == nullptr || *env == 0)
    return migrated_database();
  auto c = pg::test::open_or_fail(env);
  auto applied = pg::apply_migrations(c);
  if (!applied)
    throw std::runtime_error("migrations failed: " + pg::describe(applied.error()));
  if (auto err = c.exec_script("TRUNCATE weft_inbox, weft_audit_trail"))
    throw std::runtime_error("cannot empty the tables: " + pg::describe(err));
  return env;
}

/// An event of `type` with a fresh UUIDv7 id and the current time.
inline bus_message new_event(const std::string& type = "auth.user.created",
                             const std::string& aggregate = "a-1") {
  auto m = make_message(type, events::new_uuid_v7(), aggregate);
  m.event.time = events::now_rfc3339_ms();
  m.event.data = R"({"email":"someone@example.com"})";
  return m;
}

/// The audit-like handler: one row per event in weft_audit_trail.
inline caf::error audit_insert(pg::connection& c, const events::envelope& ev) {
  static constexpr pg::statement insert{
    "test_audit_insert",
    "INSERT INTO weft_audit_trail (event_id, type, subject, time, envelope)"
    " VALUES ($1, $2, $3, $4, $5::jsonb)"};
  auto r = c.exec(insert, ev.id, ev.type, ev.subject, ev.time, events::encode(ev));
  return r ? caf::error{} : std::move(r.error());
}

/// The same as one multi-row INSERT for a batch handler.
inline caf::error audit_insert_many(pg::connection& c, std::span<const events::envelope> evs) {
  static constexpr pg::statement insert{
    "test_audit_insert_many",
    "INSERT INTO weft_audit_trail (event_id, type, subject, time, envelope)"
    " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[],"
    " $5::jsonb[])"};
  std::vector<std::string> ids, types, subjects, times, bodies;
  for (const auto& ev : evs) {
    ids.push_back(ev.id);
    types.push_back(ev.type);
    subjects.push_back(ev.subject);
    times.push_back(ev.time);
    bodies.push_back(events::encode(ev));
  }
  auto r = c.exec(insert, pg::text_array(ids), pg::text_array(types), pg::text_array(subjects),
                  pg::text_array(times), pg::text_array(bodies));
  return r ? caf::error{} : std::move(r.error());
}

/// Handler calls per event id, shared with the worker threads.
struct call_log {
  std::mutex mtx;
  std::map<std::string, int> calls;
  int total = 0;

  /// Counts a call; the number of calls for `id` so far, this one included.
  int record(const std::string& id) {
    std::lock_guard<std::mutex> lk{mtx};
    ++total;
    return ++calls[id];
  }
  int of(const std::string& id) {
    std::lock_guard<std::mutex> lk{mtx};
    auto i = calls.find(id);
    return i == calls.end() ? 0 : i->second;
  }
  int count() {
    std::lock_guard<std::mutex> lk{mtx};
    return total;
  }
};

/// An actor system, a migrated database, the in-process bus, metrics, and
/// a connection of the test's own; every actor is stopped at the end.
struct pg_inbox_fixture {
  // Workers use the metrics until the actor system has joined them.
  weft::metrics metrics;
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  std::string url;
  event_bus_actor bus = memory::spawn_memory_bus(sys, {});
  std::vector<caf::actor> actors{caf::actor_cast<caf::actor>(bus)};
  pg::connection db;
  std::shared_ptr<call_log> log = std::make_shared<call_log>();

  /// On `database` (a URL), by default a fresh migrated one.
  explicit pg_inbox_fixture(std::string database = migrated_database())
    : url(std::move(database)), db(pg::test::open_or_fail(url)) {
    // nop
  }

  ~pg_inbox_fixture() {
    for (auto& a : actors)
      self->send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// Options for consumer `name` with the audit handler, counting calls.
  inbox::pg_inbox_options options(const std::string& name = "audit") {
    inbox::pg_inbox_options o;
    o.consumer = name;
    o.conn = pg::test::test_options(url);
    o.metrics = &metrics;
    o.handler = [log = log](unit_of_work& unit_, const events::envelope& ev) {
      auto& c = *pg::connection_of(unit_);
      log->record(ev.id);
      return audit_insert(c, ev);
    };
    return o;
  }

  event_handler_actor inbox(inbox::pg_inbox_options o) {
    auto h = inbox::spawn_pg_inbox(sys, std::move(o));
    actors.push_back(caf::actor_cast<caf::actor>(h));
    return h;
  }

  /// A single-number query on the test's own connection (-1 on error).
  int64_t scalar(const std::string& sql) {
    auto r = db.exec(sql);
    if (!r && pg::is_retryable(r.error()))
      r = db.exec(sql); // the server was restarted: the next call reconnects
    if (!r || r->rows() != 1)
      return -1;
    return r->get<int64_t>(0, 0);
  }

  /// The metrics as Prometheus text.
  std::string scrape() const {
    return prometheus::TextSerializer{}.Serialize(metrics.registry()->Collect());
  }

  /// A metric's value summed over samples matching `match` (0 if absent).
  double metric(std::string_view name, const std::map<std::string, std::string>& match = {}) {
    return metric_sum(scrape(), name, match).value_or(0.0);
  }

  /// Delivers `m` as the bus would; the error, or none for an ack.
  caf::error deliver(const event_handler_actor& to, const bus_message& m, uint32_t attempt = 1) {
    caf::error result;
    self->request(to, 10s, deliver_atom::value, delivery{m, 1, attempt})
      .receive([](ack_atom) {}, [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  /// Delivers all of `ms` at once (they meet in the inbox's mailbox) and
  /// collects the answers by index: none for an ack.
  std::vector<caf::error> deliver_all(const event_handler_actor& to,
                                      const std::vector<bus_message>& ms) {
    std::vector<caf::error> out(ms.size());
    // Requests are sent when made; each answer is then received by its id.
    using handle = decltype(self->request(to, 10s, deliver_atom::value, delivery{}));
    std::vector<handle> pending;
    pending.reserve(ms.size());
    for (size_t i = 0; i < ms.size(); ++i)
      pending.push_back(self->request(to, 10s, deliver_atom::value, delivery{ms[i], i + 1, 1}));
    for (size_t i = 0; i < ms.size(); ++i)
      pending[i].receive([](ack_atom) {}, [&](caf::error& e) { out[i] = std::move(e); });
    return out;
  }
};

} // namespace weft::test
