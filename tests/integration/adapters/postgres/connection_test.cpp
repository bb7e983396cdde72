#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "adapters/postgres/connection.hpp"
#include "adapters/postgres/pipeline.hpp"
#include "adapters/postgres/transaction.hpp"
#include "tests/integration/adapters/postgres/pg_support.hpp"
#include "tests/support/process.hpp"

using namespace weft;
using namespace weft::pg::test;
using namespace std::chrono_literals;

TEST_CASE("connection runs statements with text parameters and NULLs") {
  auto c = open_or_fail(fresh_database());
  REQUIRE(c.connected());
  REQUIRE_FALSE(c.exec_script("CREATE TABLE t (id bigint PRIMARY KEY, name text, flag boolean,"
                              " score double precision, tags text[], at timestamptz)"));

  std::optional<std::string> none;
  std::string_view view = "view-not-terminated";
  auto ins = c.exec("INSERT INTO t VALUES ($1, $2, $3, $4, $5::text[], $6)", int64_t{1},
                    view.substr(0, 4), true, 2.5, pg::text_array({"a", "b\"c", "d,e"}),
                    std::chrono::system_clock::time_point{std::chrono::seconds{1700000000}});
  REQUIRE(ins);
  CHECK(ins->affected() == 1);
  auto ins2 = c.exec("INSERT INTO t (id, name, flag) VALUES ($1, $2, $3)", 2, none, std::nullopt);
  REQUIRE(ins2);

  auto r = c.exec("SELECT id, name, flag, score, tags, extract(epoch FROM at)::bigint AS epoch"
                  " FROM t ORDER BY id");
  REQUIRE(r);
  REQUIRE(r->rows() == 2);
  REQUIRE(r->columns() == 6);
  CHECK(r->column_name(1) == "name");
  CHECK(r->column("epoch") == 5);
  CHECK(r->column("nope") == -1);
  CHECK(r->get<int64_t>(0, 0) == 1);
  CHECK(r->get<std::string>(0, 1) == "view");
  CHECK(r->get<bool>(0, 2));
  CHECK(r->get<double>(0, 3) == 2.5);
  CHECK(r->get<std::vector<std::string>>(0, 4) == std::vector<std::string>{"a", "b\"c", "d,e"});
  CHECK(r->get<int64_t>(0, "epoch") == 1700000000);
  CHECK(r->is_null(1, 1));
  CHECK(r->get<std::optional<std::string>>(1, 1) == std::nullopt);
  CHECK(r->get<std::optional<int>>(1, 0) == 2);
  CHECK(r->get<std::string>(1, 1).empty());
  CHECK(r->is_null(1, 2));

  // SQL only through parameters: a hostile value is just a value.
  auto evil = c.exec("SELECT $1::text", "'; DROP TABLE t; --");
  REQUIRE(evil);
  CHECK(evil->get<std::string>(0, 0) == "'; DROP TABLE t; --");
  auto upd = c.exec("UPDATE t SET name = $1", "x");
  REQUIRE(upd);
  CHECK(upd->affected() == 2);
}

TEST_CASE("text arrays survive quoting") {
  auto c = open_or_fail(fresh_database());
  std::vector<std::string> items{"", "NULL", "back\\slash", "{brace}", "sp ace", "ünï"};
  auto r = c.exec("SELECT $1::text[]", pg::text_array(items));
  REQUIRE(r);
  CHECK(r->get<std::vector<std::string>>(0, 0) == items);
  CHECK(pg::parse_text_array("{}") == std::vector<std::string>{});
  CHECK(pg::parse_text_array("nope") == std::nullopt);
}

TEST_CASE("a closed port answers unavailable at once") {
  auto opts = test_options("postgresql://postgres@127.0.0.1:" + std::to_string(weft::test::free_port())
                           + "/postgres");
  auto start = std::chrono::steady_clock::now();
  auto c = pg::connection::open(opts);
  REQUIRE_FALSE(c);
  CHECK(c.error() == api_errc::unavailable);
  CHECK(pg::is_retryable(c.error()));
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("SQL errors map to api_errc with the SQLSTATE kept") {
  auto c = open_or_fail(fresh_database());
  REQUIRE_FALSE(c.exec_script("CREATE TABLE u (email text UNIQUE)"));
  REQUIRE(c.exec("INSERT INTO u VALUES ($1)", "a@example.com"));
  auto dup = c.exec("INSERT INTO u VALUES ($1)", "a@example.com");
  REQUIRE_FALSE(dup);
  CHECK(dup.error() == api_errc::conflict);
  CHECK(pg::is_unique_violation(dup.error()));
  CHECK(pg::sqlstate(dup.error()) == "23505");
  CHECK(pg::constraint(dup.error()) == "u_email_key");
  CHECK_FALSE(pg::is_retryable(dup.error()));

  auto bad = c.exec("SELECT * FROM no_such_table");
  REQUIRE_FALSE(bad);
  CHECK(bad.error() == api_errc::internal);
  CHECK(pg::sqlstate(bad.error()) == "42P01");
  CHECK(pg::server_message(bad.error()).find("no_such_table") != std::string::npos);
  CHECK(pg::describe(bad.error()).find("42P01") != std::string::npos);

  auto slow = c.exec("SET statement_timeout = 50");
  REQUIRE(slow);
  auto cancelled = c.exec("SELECT pg_sleep(2)");
  REQUIRE_FALSE(cancelled);
  CHECK(cancelled.error() == api_errc::timeout);
  // The session is fine afterwards.
  CHECK(c.exec("SELECT 1"));

  // COPY cannot go through exec: refused, and the next call starts afresh.
  auto copy = c.exec("COPY (SELECT 1) TO STDOUT");
  REQUIRE_FALSE(copy);
  CHECK(copy.error() == api_errc::internal);
  CHECK(c.exec("SELECT 1"));
}

TEST_CASE("prepared statements are prepared once per session and again after a reconnect") {
  auto url = fresh_database();
  auto c = open_or_fail(url);
  static constexpr pg::statement add{"add", "SELECT $1::int + $2::int"};
  auto count_prepared = [&c] {
    return c.exec("SELECT count(*) FROM pg_prepared_statements WHERE name = 'add'")->get<int>(0, 0);
  };
  REQUIRE(c.exec(add, 1, 2)->get<int>(0, 0) == 3);
  REQUIRE(c.exec(add, 5, 6)->get<int>(0, 0) == 11);
  CHECK(count_prepared() == 1);

  // Another statement under the same name is a bug, reported as such.
  static constexpr pg::statement clash{"add", "SELECT 1"};
  auto wrong = c.exec(clash);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error() == api_errc::internal);

  // The server ends our session: the next call fails (the loss is only seen
  // then), the one after reconnects and prepares again.
  auto gen = c.generation();
  auto pid = c.exec("SELECT pg_backend_pid()")->get<int>(0, 0);
  auto other = open_or_fail(url);
  REQUIRE(other.exec("SELECT pg_terminate_backend($1)", pid));
  auto lost = c.exec(add, 1, 1);
  if (!lost)
    CHECK(lost.error() == api_errc::unavailable);
  auto again = c.exec(add, 20, 22);
  REQUIRE(again);
  CHECK(again->get<int>(0, 0) == 42);
  CHECK(c.generation() == gen + 1);
  CHECK(count_prepared() == 1);

  // A session that lost the statement behind our back (DISCARD ALL).
  REQUIRE_FALSE(c.exec_script("DEALLOCATE ALL"));
  auto after_discard = c.exec(add, 2, 2);
  REQUIRE(after_discard);
  CHECK(after_discard->get<int>(0, 0) == 4);
}

TEST_CASE("a transaction rolls back unless committed") {
  auto c = open_or_fail(fresh_database());
  REQUIRE_FALSE(c.exec_script("CREATE TABLE k (v int PRIMARY KEY)"));
  auto count = [&c] { return c.exec("SELECT count(*) FROM k")->get<int>(0, 0); };
  {
    auto tx = pg::transaction::begin(c);
    REQUIRE(tx);
    CHECK(c.in_transaction());
    REQUIRE(c.exec("INSERT INTO k VALUES (1)"));
    CHECK(count() == 1);
    // Nested BEGIN is refused.
    CHECK_FALSE(pg::transaction::begin(c));
  } // destroyed uncommitted
  CHECK_FALSE(c.in_transaction());
  CHECK(count() == 0);
  {
    auto tx = pg::transaction::begin(c, pg::isolation::serializable);
    REQUIRE(tx);
    REQUIRE(c.exec("INSERT INTO k VALUES (1)"));
    REQUIRE_FALSE(tx->commit());
  }
  CHECK(count() == 1);
  {
    // A failed statement aborts the transaction: commit reports it.
    auto tx = pg::transaction::begin(c);
    REQUIRE(c.exec("INSERT INTO k VALUES (2)"));
    CHECK_FALSE(c.exec("INSERT INTO k VALUES (1)"));
    auto err = tx->commit();
    REQUIRE(err);
    CHECK(pg::sqlstate(err) == "25P02");
  }
  CHECK(count() == 1);

  // in_transaction commits on success, rolls back on error.
  auto ok = pg::in_transaction(c, [](pg::connection& t) -> caf::expected<int64_t> {
    auto r = t.exec("INSERT INTO k VALUES (3), (4)");
    if (!r)
      return std::move(r.error());
    return r->affected();
  });
  REQUIRE(ok);
  CHECK(*ok == 2);
  auto failed = pg::in_transaction(c, [](pg::connection& t) -> caf::error {
    if (auto r = t.exec("INSERT INTO k VALUES (5)"); !r)
      return std::move(r.error());
    auto dup = t.exec("INSERT INTO k VALUES (3)");
    return dup ? caf::error{} : std::move(dup.error());
  });
  CHECK(failed == api_errc::conflict);
  CHECK(count() == 3);
}

TEST_CASE("a pipeline sends 1000 inserts in one round trip (all or nothing)") {
  auto c = open_or_fail(fresh_database());
  REQUIRE_FALSE(c.exec_script("CREATE TABLE o (id bigint PRIMARY KEY, payload text NOT NULL)"));
  static constexpr pg::statement ins{"ins_o", "INSERT INTO o VALUES ($1, $2)"};
  pg::pipeline p{c};
  for (int i = 0; i < 1000; ++i)
    p.add(ins, i, std::string(300, 'x') + std::to_string(i)); // temporaries are copied
  p.add("SELECT count(*) FROM o");
  REQUIRE(p.size() == 1001);
  auto results = p.run();
  REQUIRE(results);
  REQUIRE(results->size() == 1001);
  CHECK((*results)[0].affected() == 1);
  CHECK(results->back().get<int>(0, 0) == 1000);
  CHECK(p.size() == 0);

  // One duplicate key in the middle: nothing of the batch stays.
  for (int i = 1000; i < 1100; ++i)
    p.add(ins, i == 1050 ? 7 : i, "y");
  auto failed = p.run();
  REQUIRE_FALSE(failed);
  CHECK(failed.error() == api_errc::conflict);
  CHECK(c.exec("SELECT count(*) FROM o")->get<int>(0, 0) == 1000);
  // The connection is usable afterwards, out of pipeline mode.
  CHECK(c.exec(ins, 5000, "z"));
}

TEST_CASE("SET LOCAL in a pipeline holds for that pipeline's transaction only (the outbox's "
          "lazy commits rely on it)") {
  auto c = open_or_fail(fresh_database());
  pg::pipeline p{c};
  p.add("SET LOCAL synchronous_commit TO off");
  p.add("SHOW synchronous_commit");
  auto rs = p.run();
  REQUIRE(rs);
  CHECK(rs->back().get<std::string>(0, 0) == "off");
  CHECK(c.exec("SHOW synchronous_commit")->get<std::string>(0, 0) == "on");
}

TEST_CASE("LISTEN/NOTIFY delivers (also after a reconnect)") {
  auto url = fresh_database();
  auto listener = open_or_fail(url);
  auto writer = open_or_fail(url);
  REQUIRE_FALSE(listener.listen("weft_outbox"));
  REQUIRE_FALSE(listener.listen("Mixed Case")); // quoted identifier

  auto none = listener.wait_for_notification(50ms);
  REQUIRE(none);
  CHECK_FALSE(*none);

  REQUIRE_FALSE(writer.notify("weft_outbox", "42"));
  auto n = listener.wait_for_notification(5s);
  REQUIRE(n);
  REQUIRE(*n);
  CHECK((*n)->channel == "weft_outbox");
  CHECK((*n)->payload == "42");
  REQUIRE_FALSE(writer.notify("Mixed Case"));
  auto m = listener.wait_for_notification(5s);
  REQUIRE((m && *m));
  CHECK((*m)->channel == "Mixed Case");

  // A new session LISTENs again by itself.
  auto gen = listener.generation();
  listener.disconnect();
  REQUIRE_FALSE(listener.ensure());
  CHECK(listener.generation() == gen + 1);
  REQUIRE_FALSE(writer.notify("weft_outbox", "after"));
  auto k = listener.wait_for_notification(5s);
  REQUIRE((k && *k));
  CHECK((*k)->payload == "after");
}

TEST_CASE("a pipeline whose answers outgrow the socket buffers does not deadlock") {
  auto c = open_or_fail(fresh_database());
  static constexpr pg::statement big{"big", "SELECT repeat('x', $1::int) || $2::text"};
  pg::pipeline p{c};
  for (int i = 0; i < 2000; ++i)
    p.add(big, 8000, std::to_string(i)); // ~16 MB back while we are still sending
  auto start = std::chrono::steady_clock::now();
  auto results = p.run();
  REQUIRE(results);
  REQUIRE(results->size() == 2000);
  CHECK((*results)[1999].get<std::string>(0, 0) == std::string(8000, 'x') + "1999");
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("a session idle inside a transaction is ended by the server and its locks released") {
  auto url = fresh_database();
  auto opts = test_options(url);
  opts.idle_in_transaction_timeout = 300ms;
  auto opened = weft::pg::connection::open(opts);
  REQUIRE(opened);
  auto hung = std::move(*opened);
  auto other = open_or_fail(url);
  REQUIRE_FALSE(other.exec_script("CREATE TABLE k (v int PRIMARY KEY)"));
  // A client that took a row lock and then stopped answering (SIGSTOP).
  REQUIRE_FALSE(hung.exec_script("BEGIN; INSERT INTO k VALUES (1)"));
  auto t0 = std::chrono::steady_clock::now();
  // Blocks on the row until the server ends the idle session, then succeeds.
  auto r = other.exec("INSERT INTO k VALUES (1) ON CONFLICT DO NOTHING RETURNING v");
  auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE(r);
  CHECK(r->rows() == 1); // the hung session's insert was rolled back
  CHECK(waited >= 200ms);
  CHECK(waited < 5s);
}
