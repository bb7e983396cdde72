#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapters/postgres/errors.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/params.hpp"

// What needs no server: parameter text, arrays, the error helpers and the
// embedded migrations. Everything else is in tests/integration.
using namespace weft;

TEST_CASE("parameters render as PostgreSQL text") {
  CHECK(std::string{pg::param{int64_t{-42}}.c_str()} == "-42");
  CHECK(std::string{pg::param{uint32_t{7}}.c_str()} == "7");
  CHECK(std::string{pg::param{true}.c_str()} == "true");
  CHECK(std::string{pg::param{2.5}.c_str()} == "2.5");
  CHECK(pg::param{std::nullopt}.is_null());
  CHECK(pg::param{std::nullopt}.c_str() == nullptr);
  CHECK(pg::param{std::optional<int>{}}.is_null());
  CHECK(std::string{pg::param{std::optional<int>{3}}.c_str()} == "3");
  std::string_view view = "abcdef";
  CHECK(std::string{pg::param{view.substr(1, 2)}.c_str()} == "bc");
  std::string s = "borrowed";
  pg::param p{s};
  CHECK(p.c_str() == s.c_str()); // no copy
  auto owned = p.to_owned();
  s = "changed";
  CHECK(std::string{owned.c_str()} == "borrowed");
  using namespace std::chrono;
  system_clock::time_point t{seconds{1700000000} + microseconds{123456}};
  CHECK(std::string{pg::param{t}.c_str()} == "2023-11-14 22:13:20.123456+00");
  system_clock::time_point before_epoch{microseconds{-1}};
  CHECK(std::string{pg::param{before_epoch}.c_str()} == "1969-12-31 23:59:59.999999+00");
}

TEST_CASE("text arrays quote and parse back") {
  CHECK(pg::text_array({}) == "{}");
  CHECK(pg::text_array({"user", "a\"b", "c\\d"}) == R"({"user","a\"b","c\\d"})");
  CHECK(pg::parse_text_array("{user,admin}") == std::vector<std::string>{"user", "admin"});
  CHECK(pg::parse_text_array(R"({"a b","c\"d",NULL,""})")
        == std::vector<std::string>{"a b", "c\"d", "", ""});
  CHECK(pg::parse_text_array("{}") == std::vector<std::string>{});
  CHECK_FALSE(pg::parse_text_array(""));
  CHECK_FALSE(pg::parse_text_array("{\"open}"));
  CHECK_FALSE(pg::parse_text_array("{{1,2},{3,4}}"));
}

TEST_CASE("database errors carry api_errc and the SQLSTATE") {
  auto e = pg::make_pg_error(api_errc::conflict, "already exists", "23505", "duplicate key",
                             "weft_users_email_key");
  CHECK(e == api_errc::conflict);
  CHECK(pg::sqlstate(e) == "23505");
  CHECK(pg::server_message(e) == "duplicate key");
  CHECK(pg::constraint(e) == "weft_users_email_key");
  CHECK(pg::is_unique_violation(e));
  CHECK_FALSE(pg::is_retryable(e));
  CHECK(pg::describe(e) == "postgres conflict 23505 (weft_users_email_key): duplicate key");
  // The context starts as api_error's: detail, pointer, retry-after.
  REQUIRE(e.context().size() >= 3);
  CHECK(e.context().get_as<std::string>(0) == "already exists");

  auto down = pg::unavailable("connection refused");
  CHECK(down == api_errc::unavailable);
  CHECK(pg::is_retryable(down));
  CHECK(down.context().get_as<uint32_t>(2) == 1); // Retry-After: 1
  CHECK(pg::sqlstate(caf::error{}).empty());
}

TEST_CASE("the embedded migrations are ordered and named") {
  auto ms = pg::embedded_migrations();
  REQUIRE_FALSE(ms.empty());
  CHECK(ms[0].file_name() == "0001_initial.sql");
  CHECK(ms[0].sql.find("CREATE TABLE weft_outbox") != std::string_view::npos);
  for (size_t i = 1; i < ms.size(); ++i)
    CHECK(ms[i].version > ms[i - 1].version);
  CHECK(pg::migration_checksum("")
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(pg::migration_checksum(ms[0].sql).size() == 64);
}
