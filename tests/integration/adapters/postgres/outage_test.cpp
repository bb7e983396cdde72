#include <catch2/catch.hpp>

#include <chrono>

#include "adapters/postgres/health.hpp"
#include "adapters/postgres/transaction.hpp"
#include "runtime/metrics.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"
#include "tests/support/process.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

using namespace weft;
using namespace weft::pg::test;
using namespace std::chrono_literals;
using weft::test::wait_until;

namespace {

using steady = std::chrono::steady_clock;

std::string scrape(const weft::metrics& m) {
  return prometheus::TextSerializer{}.Serialize(m.registry()->Collect());
}

} // namespace

TEST_CASE("with PostgreSQL stopped calls answer unavailable at once and recover by themselves") {
  keep_running guard;
  auto url = fresh_database();
  auto c = open_or_fail(url);
  REQUIRE_FALSE(c.exec_script("CREATE TABLE w (v int)"));
  static constexpr pg::statement ins{"ins_w", "INSERT INTO w VALUES ($1)"};
  REQUIRE(c.exec(ins, 1));

  weft::metrics m;
  pg::health_options ho;
  ho.conn = test_options(url);
  ho.interval = 200ms;
  ho.check_timeout = 1s;
  ho.metrics = &m;
  pg::database_health health{ho};
  REQUIRE(health.wait_ready(5s));
  CHECK(scrape(m).find("weft_database_up 1") != std::string::npos);

  // A transaction open when the server goes away.
  auto tx = pg::transaction::begin(c);
  REQUIRE(tx);
  REQUIRE(c.exec(ins, 2));

  cluster().stop("fast");
  auto start = steady::now();
  auto lost = c.exec(ins, 3);
  REQUIRE_FALSE(lost);
  CHECK(lost.error() == api_errc::unavailable);
  // Inside the transaction the session stays lost: no silent autocommit.
  auto still = c.exec(ins, 4);
  REQUIRE_FALSE(still);
  CHECK(pg::server_message(still.error()).find("inside a transaction") != std::string::npos);
  CHECK(tx->commit() == api_errc::unavailable);
  CHECK_FALSE(c.in_transaction());

  for (int i = 0; i < 20; ++i) {
    auto e = c.ensure();
    CHECK(e == api_errc::unavailable);
    CHECK(c.exec(ins, 5).error() == api_errc::unavailable);
  }
  CHECK(steady::now() - start < 2s); // no call hung
  CHECK(wait_until([&] { return !health.ready(); }, 2s));
  CHECK(wait_until([&] { return scrape(m).find("weft_database_up 0") != std::string::npos; }, 2s));

  cluster().start();
  CHECK(wait_until([&] { return health.ready(); }, 10s));
  CHECK(wait_until([&] { return static_cast<bool>(c.exec(ins, 6)); }, 10s));
  CHECK(scrape(m).find("weft_database_up 1") != std::string::npos);
  auto rows = c.exec("SELECT array_agg(v ORDER BY v)::text FROM w");
  REQUIRE(rows);
  CHECK(rows->get<std::string>(0, 0) == "{1,6}"); // 2 rolled back, 3..5 never ran
}

TEST_CASE("a crashed server (immediate stop) is seen as unavailable too") {
  keep_running guard;
  auto url = fresh_database();
  auto c = open_or_fail(url);
  cluster().kill();
  auto start = steady::now();
  auto r = c.exec("SELECT 1");
  REQUIRE_FALSE(r);
  CHECK(pg::is_retryable(r.error()));
  CHECK(steady::now() - start < 2s);

  // Start-up waiting gives up at its deadline, not before, not much after.
  start = steady::now();
  auto down = c.wait_until_connected(300ms);
  CHECK(down == api_errc::unavailable);
  CHECK(steady::now() - start >= 250ms);
  CHECK(steady::now() - start < 2s);

  cluster().start();
  CHECK(wait_until([&] { return static_cast<bool>(c.exec("SELECT 1")); }, 10s));
  CHECK_FALSE(c.wait_until_connected(1s));
}

TEST_CASE("readiness reacts to a failure report before the next interval") {
  keep_running guard;
  pg::health_options ho;
  ho.conn = test_options(fresh_database());
  ho.interval = 60s; // only report_failure can wake it
  pg::database_health health{ho};
  REQUIRE(health.wait_ready(5s));
  auto before = health.checks();

  // A worker's connection that loses its session tells readiness itself.
  auto opts = test_options(ho.conn.url);
  int lost = 0;
  opts.on_lost = [&](const caf::error& err) {
    ++lost;
    CHECK(err == api_errc::unavailable);
    health.report_failure();
  };
  auto c = pg::connection::open(opts);
  REQUIRE(c);
  cluster().stop("fast");
  CHECK_FALSE(c->exec("SELECT 1"));
  CHECK(lost == 1);
  CHECK(wait_until([&] { return !health.ready(); }, 3s));
  CHECK(health.checks() > before);
  CHECK_FALSE(c->exec("SELECT 1")); // still down: no second loss reported
  CHECK(lost == 1);
}
