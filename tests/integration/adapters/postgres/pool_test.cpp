#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "adapters/postgres/pool.hpp"
#include "runtime/atoms.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"

using namespace weft;
using namespace weft::pg::test;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

// An event-based actor that answers `query` through the pool and `ready`
// (a ping) at once, also while its queries are running.
caf::behavior front(caf::event_based_actor* self, pg::pool pool, pg::milliseconds timeout) {
  return {
    [=](query_atom, const std::string& sql) -> caf::result<int64_t> {
      auto rp = self->make_response_promise<int64_t>();
      pg::run<int64_t>(self, pool, timeout, [sql](pg::connection& c) -> caf::expected<int64_t> {
        auto r = c.exec(sql);
        if (!r)
          return std::move(r.error());
        return r->get<int64_t>(0, 0);
      }).then([rp](int64_t v) mutable { rp.deliver(v); },
              [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [=](tick_atom) -> caf::result<bool> {
      auto rp = self->make_response_promise<bool>();
      pg::run<void>(self, pool, timeout, [](pg::connection& c) -> caf::error {
        auto r = c.exec("CREATE TABLE IF NOT EXISTS ticks (at timestamptz DEFAULT now())");
        return r ? caf::error{} : std::move(r.error());
      }).then([rp]() mutable { rp.deliver(true); },
              [rp](caf::error& err) mutable { rp.deliver(err); });
      return rp;
    },
    [](ready_atom) { return true; },
  };
}

} // namespace

TEST_CASE("a pool runs jobs for an event-based actor without blocking it") {
  auto url = fresh_database();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  pg::pool_options po;
  po.conn = test_options(url);
  po.size = 2;
  po.max_queued = 3;
  auto pool = pg::pool::spawn(sys, po);
  auto a = sys.spawn(front, pool, pg::milliseconds{5000});
  caf::scoped_actor self{sys};

  // A plain answer.
  self->request(a, 5s, query_atom::value, std::string{"SELECT 41 + 1"})
    .receive([](int64_t v) { CHECK(v == 42); }, [](caf::error& e) { FAIL(caf::to_string(e)); });
  // void jobs.
  self->request(a, 5s, tick_atom::value)
    .receive([](bool ok) { CHECK(ok); }, [](caf::error& e) { FAIL(caf::to_string(e)); });

  // A slow query keeps a worker busy; the actor still answers a ping at once.
  auto start = steady::now();
  self->send(a, query_atom::value, std::string{"SELECT 7 FROM pg_sleep(1.0)"});
  self->request(a, 5s, ready_atom::value).receive([](bool) {}, [](caf::error& e) {
    FAIL(caf::to_string(e));
  });
  CHECK(steady::now() - start < 800ms);
  self->receive([](int64_t v) { CHECK(v == 7); },
                [](caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK(steady::now() - start >= 900ms);

  // SQL errors arrive as values on the error path.
  self->request(a, 5s, query_atom::value, std::string{"SELECT * FROM nowhere"})
    .receive([](int64_t) { FAIL("expected an error"); },
             [](caf::error& e) { CHECK(e == api_errc::internal); });

  // A full pool says so at once instead of queueing without bound.
  for (int i = 0; i < 3; ++i)
    self->send(a, query_atom::value, std::string{"SELECT 1 FROM pg_sleep(0.3)"});
  CHECK(weft::test::wait_until([&] { return pool.queued() == 3; }, 2s));
  self->request(a, 5s, query_atom::value, std::string{"SELECT 1"})
    .receive([](int64_t) { FAIL("expected saturation"); },
             [](caf::error& e) { CHECK(e == api_errc::unavailable); });
  for (int i = 0; i < 3; ++i)
    self->receive([](int64_t v) { CHECK(v == 1); }, [](caf::error& e) { FAIL(caf::to_string(e)); });
  CHECK(weft::test::wait_until([&] { return pool.queued() == 0; }, 2s));

  // No answer in time: timeout, and the job is skipped if it had not started.
  auto impatient = sys.spawn(front, pool, pg::milliseconds{100});
  self->request(impatient, 5s, query_atom::value, std::string{"SELECT 1 FROM pg_sleep(1)"})
    .receive([](int64_t) { FAIL("expected a timeout"); },
             [](caf::error& e) { CHECK(e == api_errc::timeout); });

  // post(): fire and forget.
  std::atomic<int> ran{0};
  CHECK(pool.post([&ran](pg::connection& c) {
    if (c.exec("SELECT 1"))
      ++ran;
  }));
  CHECK(weft::test::wait_until([&] { return ran.load() == 1; }, 5s));

  pool.stop();
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(impatient, caf::exit_reason::user_shutdown);
}
