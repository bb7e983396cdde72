#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include <caf/all.hpp>

#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/outbox_table.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "runtime/api_error.hpp"
#include "runtime/idempotency.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"
#include "tests/support/process.hpp"

// The durable store's units of work are PostgreSQL transactions: the
// handler's rows, its events as outbox rows, its Idempotency-Key answer and
// an inbox record commit together; the relay is woken after the commit.
using namespace weft;
using namespace weft::pg::test;

namespace {

std::string migrated() {
  auto url = fresh_database();
  auto c = open_or_fail(url);
  REQUIRE(pg::apply_migrations(c));
  REQUIRE_FALSE(c.exec_script("CREATE TABLE things (k text PRIMARY KEY)"));
  return url;
}

int64_t count(pg::connection& c, const std::string& sql) {
  auto r = c.exec(sql);
  REQUIRE(r);
  return r->get<int64_t>(0, 0);
}

caf::error insert_thing(unit_of_work& w, const std::string& k) {
  auto* c = pg::connection_of(w);
  if (c == nullptr) // not thread-safe to REQUIRE here: the caller checks the error
    return api_error(api_errc::internal, "not a PostgreSQL unit of work");
  auto r = c->exec("INSERT INTO things VALUES ($1)", k);
  return r ? caf::error{} : std::move(r.error());
}

events::envelope event(std::string id) {
  events::envelope ev;
  ev.id = std::move(id);
  ev.source = "/weft/test";
  ev.type = "test.thing.added";
  ev.subject = "t";
  return ev;
}

/// Counts the wake-ups a relay would get.
outbox_table_relay_actor spawn_wake_counter(caf::actor_system& sys,
                                           std::shared_ptr<std::atomic<int>> n) {
  return sys.spawn([n]() -> outbox_table_relay_actor::behavior_type {
    return {
      [n](wake_atom) { ++*n; },
      [](drain_atom, uint32_t) { return ack_atom::value; },
    };
  });
}

} // namespace

TEST_CASE("pg store: a unit's rows and events commit together, then the relay is woken",
          "[pg_store]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto url = migrated();
  auto db = open_or_fail(url);
  auto wakes = std::make_shared<std::atomic<int>>(0);
  auto relay = spawn_wake_counter(sys, wakes);
  pg::pg_store data{test_options(url), 3};
  data.set_relay(relay);
  CHECK(data.kind() == store_kind::postgres);
  CHECK(data.blocking());
  CHECK(data.parallelism() == 3);
  auto s = data.open_session("test");

  REQUIRE_FALSE(s->transact([&](unit_of_work& w) -> caf::error {
    CHECK(w.kind() == store_kind::postgres);
    w.emit(event("0190f0a0-0000-7000-8000-000000000001"));
    w.emit(event("0190f0a0-0000-7000-8000-000000000002"));
    return insert_thing(w, "a");
  }));
  CHECK(count(db, "SELECT count(*) FROM things") == 1);
  CHECK(count(db, "SELECT count(*) FROM weft_outbox WHERE type = 'test.thing.added'") == 2);
  CHECK(weft::test::wait_until([&] { return wakes->load() == 1; }, std::chrono::seconds(5)));

  // A failing unit: its row, events and inbox record are rolled back, no wake.
  auto err = s->transact([&](unit_of_work& w) -> caf::error {
    insert_thing(w, "b");
    w.emit(event("0190f0a0-0000-7000-8000-000000000003"));
    REQUIRE(w.record_delivery("c", "0190f0a0-0000-7000-8000-0000000000aa"));
    return api_error(api_errc::conflict, "no");
  });
  CHECK(is_api_error(err, api_errc::conflict));
  CHECK(count(db, "SELECT count(*) FROM things") == 1);
  CHECK(count(db, "SELECT count(*) FROM weft_outbox") == 2);
  CHECK(count(db, "SELECT count(*) FROM weft_inbox") == 0);
  // A unit without events commits without waking anyone.
  REQUIRE_FALSE(s->transact([&](unit_of_work& w) { return insert_thing(w, "c"); }));
  CHECK(wakes->load() == 1);
  // A read emitting events is refused.
  auto bad = s->read([&](unit_of_work& w) -> caf::error {
    w.emit(event("0190f0a0-0000-7000-8000-000000000004"));
    return {};
  });
  CHECK(is_api_error(bad, api_errc::internal));
  data.set_relay({});
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
}

TEST_CASE("pg store: inbox records and Idempotency-Key answers", "[pg_store]") {
  auto url = migrated();
  pg::pg_store data{test_options(url), 1};
  auto s = data.open_session("test");
  auto record = [&](const std::string& consumer, const std::string& key) {
    bool fresh = false;
    REQUIRE_FALSE(s->transact([&](unit_of_work& w) -> caf::error {
      auto r = w.record_delivery(consumer, key);
      if (!r)
        return r.error();
      fresh = *r;
      return {};
    }));
    return fresh;
  };
  const std::string e1 = "0190f0a0-0000-7000-8000-0000000000e1";
  CHECK(record("audit", e1));
  CHECK_FALSE(record("audit", e1));
  CHECK(record("notifications", e1));

  request_meta meta{"r1", "127.0.0.1", "key-1", "hash-1"};
  int runs = 0;
  auto work = [&](unit_of_work& w) -> caf::expected<std::string> {
    ++runs;
    if (auto err = insert_thing(w, "k" + std::to_string(runs)))
      return err;
    return std::string{"answer-" + std::to_string(runs)};
  };
  using namespace std::chrono_literals;
  auto first = idempotency::commit<std::string>(*s, meta, "op", 60s, work);
  REQUIRE(first);
  CHECK(*first == "answer-1");
  // A second commit under the key conflicts: the winner's answer, its own
  // row rolled back.
  auto second = idempotency::commit<std::string>(*s, meta, "op", 60s, work);
  REQUIRE(second);
  CHECK(*second == "answer-1");
  auto db = open_or_fail(url);
  CHECK(count(db, "SELECT count(*) FROM things") == 1);
  auto other = meta;
  other.request_hash = "hash-2";
  CHECK(is_api_error(idempotency::replay<std::string>(*s, other, "op").error(),
                     api_errc::unprocessable));
}

TEST_CASE("pg store: sessions of one store run side by side", "[pg_store]") {
  auto url = migrated();
  pg::pg_store data{test_options(url), 2};
  std::vector<std::thread> ts;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      auto s = data.open_session("t" + std::to_string(t));
      for (int i = 0; i < 25; ++i)
        if (s->transact([&](unit_of_work& w) {
              return insert_thing(w, std::to_string(t) + "-" + std::to_string(i));
            }))
          ++failures;
    });
  for (auto& t : ts)
    t.join();
  CHECK(failures.load() == 0);
  auto db = open_or_fail(url);
  CHECK(count(db, "SELECT count(*) FROM things") == 100);
}
