#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/migrations.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"

using namespace weft;
using namespace weft::pg::test;

namespace {

int count(pg::connection& c, const char* sql) {
  auto r = c.exec(sql);
  REQUIRE(r);
  return r->get<int>(0, 0);
}

} // namespace

TEST_CASE("the embedded migrations apply to an empty database and then do nothing") {
  auto embedded = pg::embedded_migrations();
  REQUIRE_FALSE(embedded.empty());
  CHECK(embedded[0].file_name() == "0001_initial.sql");

  auto c = open_or_fail(fresh_database());
  auto applied = pg::apply_migrations(c);
  REQUIRE(applied);
  // Every embedded migration, in order, the initial schema first.
  REQUIRE(applied->size() == embedded.size());
  CHECK(applied->front() == "0001_initial.sql");
  for (const char* table : {"weft_users", "weft_refresh_tokens", "weft_api_keys",
                            "weft_audit_trail", "weft_outbox", "weft_inbox",
                            "weft_idempotency_keys"}) {
    auto r = c.exec("SELECT to_regclass($1) IS NOT NULL", table);
    REQUIRE(r);
    CHECK(r->get<bool>(0, 0));
  }
  CHECK(count(c, "SELECT count(*) FROM weft_schema_migrations WHERE version = 1"
                 " AND name = 'initial' AND length(checksum) = 64") == 1);

  auto again = pg::apply_migrations(c);
  REQUIRE(again);
  CHECK(again->empty());
  CHECK(count(c, "SELECT count(*) FROM weft_schema_migrations")
        == static_cast<int64_t>(embedded.size()));

  // The schema works as the services will use it.
  REQUIRE(c.exec("INSERT INTO weft_outbox (event_id, type, subject, payload)"
                 " VALUES ($1, 'auth.user.created', 'u1', '{}')",
                 "0190f0a0-0000-7000-8000-000000000001"));
  CHECK(count(c, "SELECT count(*) FROM weft_outbox WHERE published_at IS NULL"
                 " AND attempts = 0 AND next_attempt_at <= now()") == 1);
  // The migration lock was released.
  CHECK(count(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0);
}

TEST_CASE("two nodes migrating at once apply each migration once") {
  auto url = fresh_database();
  // The first migration is slow, so both runners surely overlap.
  static const pg::migration ms[] = {
    {1, "slow", "SELECT pg_sleep(0.3); CREATE TABLE m1 (x int);"},
    {2, "second", "CREATE TABLE m2 (x int); INSERT INTO m2 VALUES (1);"},
  };
  caf::expected<std::vector<std::string>> a{std::vector<std::string>{}};
  caf::expected<std::vector<std::string>> b{std::vector<std::string>{}};
  std::thread ta{[&] {
    auto c = pg::connection::open(test_options(url));
    a = c ? pg::apply_migrations(*c, ms) : c.error();
  }};
  std::thread tb{[&] {
    auto c = pg::connection::open(test_options(url));
    b = c ? pg::apply_migrations(*c, ms) : c.error();
  }};
  ta.join();
  tb.join();
  REQUIRE(a);
  REQUIRE(b);
  std::vector<std::string> all = *a;
  all.insert(all.end(), b->begin(), b->end());
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::string>{"0001_slow.sql", "0002_second.sql"});

  auto c = open_or_fail(url);
  CHECK(count(c, "SELECT count(*) FROM weft_schema_migrations") == 2);
  CHECK(count(c, "SELECT count(*) FROM m2") == 1);
}

TEST_CASE("a changed applied migration is an error naming the file and a failing one leaves nothing") {
  auto c = open_or_fail(fresh_database());
  static const pg::migration v1[] = {{1, "accounts", "CREATE TABLE accounts (id int);"}};
  REQUIRE(pg::apply_migrations(c, v1));

  static const pg::migration edited[] = {{1, "accounts", "CREATE TABLE accounts (id bigint);"}};
  auto mismatch = pg::apply_migrations(c, edited);
  REQUIRE_FALSE(mismatch);
  CHECK(pg::server_message(mismatch.error()).find("0001_accounts.sql") != std::string::npos);
  CHECK(pg::server_message(mismatch.error()).find("changed") != std::string::npos);

  static const pg::migration broken[] = {
    {1, "accounts", "CREATE TABLE accounts (id int);"},
    {2, "broken", "CREATE TABLE half (x int); SELECT no_such_column FROM accounts;"},
  };
  auto failed = pg::apply_migrations(c, broken);
  REQUIRE_FALSE(failed);
  CHECK(pg::server_message(failed.error()).find("0002_broken.sql") != std::string::npos);
  CHECK(count(c, "SELECT count(*) FROM weft_schema_migrations") == 1);
  auto half = c.exec("SELECT to_regclass('half') IS NULL");
  REQUIRE(half);
  CHECK(half->get<bool>(0, 0));

  static const pg::migration unordered[] = {{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}};
  CHECK_FALSE(pg::apply_migrations(c, unordered));
}
