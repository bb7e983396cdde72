#include <catch2/catch.hpp>

#include "support.hpp"

using namespace weft::config;
using weft::config::test::has_problem;
using weft::config::test::printed;
using namespace weft::config::test;
using weft::config::test::problem_at;

TEST_CASE("empty text gives the defaults", "[config]") {
  for (std::string text : {"", "  \n", "{}"}) {
    auto r = mload(text, {});
    INFO(printed(r));
    REQUIRE(r.ok());
    CHECK(r.value.http.port == 8080);
    CHECK(r.value.node.services == std::vector<std::string>{"auth", "audit", "notifications", "webhooks", "entities"});
    CHECK(r.value.bus.backoff_ms == std::vector<uint32_t>{100, 500, 2000, 5000});
    CHECK(r.value.database.url.empty());
    CHECK(dump(r.value, false) == dump(mdefaults(), false));
  }
}

TEST_CASE("file values are read into every field type", "[config]") {
  auto r = mload(R"({
    "node": {"name": "n2", "services": ["audit"], "scheduler_threads": 2},
    "http": {"host": "127.0.0.1", "port": 0, "threads": 4, "body_limit": 2048},
    "metrics": {"enabled": false},
    "log": {"level": "debug", "format": "json"},
    "auth": {"jwt_secret": "0123456789abcdef0123456789abcdef"},
    "root": {"email": "root@example.com", "password": "correct horse"},
    "bus": {"backoff_ms": [10, 20], "max_deliver": 3},
    "database": {"url": "postgresql://localhost/weft"},
    "nats": {"url": "nats://localhost:4222"}
  })",
                {});
  INFO(printed(r));
  REQUIRE(r.ok());
  const auto& v = r.value;
  CHECK(v.node.name == "n2");
  CHECK(v.node.services == std::vector<std::string>{"audit"});
  CHECK(v.node.scheduler_threads == 2);
  CHECK(v.http.host == "127.0.0.1");
  CHECK(v.http.port == 0);
  CHECK(v.http.threads == 4);
  CHECK(v.http.body_limit == 2048);
  CHECK(v.http.header_limit == 16384); // untouched keys keep their defaults
  CHECK_FALSE(v.metrics.enabled);
  CHECK(v.log.level == "debug");
  CHECK(v.log.format == "json");
  CHECK(auth_of(v).jwt_secret.size() == 32);
  CHECK(root_of(v).email == "root@example.com");
  CHECK(v.bus.backoff_ms == std::vector<uint32_t>{10, 20});
  CHECK(v.bus.max_deliver == 3);
  CHECK(v.database.url == "postgresql://localhost/weft");
  CHECK(v.nats.url == "nats://localhost:4222");
}

TEST_CASE("unknown sections and keys are problems", "[config]") {
  auto r = mload(R"({"htp": {}, "http": {"prot": 1}})", {});
  CHECK(r.problems.size() == 2);
  CHECK(has_problem(r, "htp: unknown key"));
  CHECK(has_problem(r, "http.prot: unknown key"));
}

TEST_CASE("wrong JSON types are problems", "[config]") {
  auto r = mload(R"({
    "http": {"port": "8080", "host": 1, "threads": -1, "body_limit": 1.5},
    "metrics": {"enabled": "yes"},
    "node": {"services": "auth", "name": null},
    "bus": {"backoff_ms": [1, "2"]},
    "log": []
  })",
                {});
  INFO(printed(r));
  CHECK(has_problem(r, "http.port: expected unsigned integer, got string"));
  CHECK(has_problem(r, "http.host: expected string, got number"));
  CHECK(has_problem(r, "http.threads: expected unsigned integer, got negative number -1"));
  CHECK(has_problem(r, "http.body_limit: expected unsigned integer, got fractional number 1.5"));
  CHECK(has_problem(r, "metrics.enabled: expected boolean, got string"));
  CHECK(has_problem(r, "node.services: expected array of strings, got string"));
  CHECK(has_problem(r, "node.name: expected string, got null"));
  CHECK(has_problem(r, "bus.backoff_ms[1]: expected unsigned integer, got string"));
  CHECK(has_problem(r, "log: expected object, got array"));
  CHECK(r.problems.size() == 9);
}

TEST_CASE("values out of range are problems", "[config]") {
  auto r = mload(R"({
    "http": {"port": 70000, "threads": 0, "body_limit": 100},
    "metrics": {"port": 5000000000},
    "log": {"level": "loud", "format": "xml"},
    "node": {"services": ["auth", "billing", "auth"]},
    "auth": {"password_memlimit_kib": 1024, "password_opslimit": 1, "jwt_secret": "short"},
    "bus": {"max_deliver": 0, "backoff_ms": []}
  })",
                {});
  INFO(printed(r));
  CHECK(has_problem(r, "http.port: must be in [0, 65535], got 70000"));
  CHECK(has_problem(r, "http.threads: must be in [1, 64], got 0"));
  CHECK(has_problem(r, "http.body_limit: must be at least 1024, got 100"));
  CHECK(has_problem(r, "metrics.port: must be in [0, 4294967295], got 5000000000"));
  CHECK(has_problem(r, R"(log.level: must be one of {trace, debug, info, warn, error, off}, got "loud")"));
  CHECK(has_problem(r, R"(log.format: must be one of {text, json}, got "xml")"));
  CHECK(has_problem(r, R"(node.services[1]: must be one of {auth, audit, notifications, webhooks, entities}, got "billing")"));
  CHECK(has_problem(r, R"(node.services[2]: duplicate "auth")"));
  CHECK(has_problem(r, "auth.password_memlimit_kib: must be at least 19456, got 1024"));
  CHECK(has_problem(r, "auth.password_opslimit: must be at least 2, got 1"));
  CHECK(has_problem(r, "auth.jwt_secret: must be empty or at least 32 bytes, got 5 bytes"));
  CHECK(has_problem(r, "bus.max_deliver: must be at least 1, got 0"));
  CHECK(has_problem(r, "bus.backoff_ms: must not be empty"));
  CHECK(r.problems.size() == 13);
}

TEST_CASE("every problem is collected at once", "[config]") {
  auto r = mload(R"({"htp": {}, "http": {"port": "x", "threads": 99}})", {});
  INFO(printed(r));
  CHECK(r.problems.size() == 3);
  CHECK_FALSE(r.ok());
}

TEST_CASE("cross-key checks", "[config]") {
  auto r = mload(R"({"root": {"email": "root@example.com"}, "metrics": {"port": 8080}})", {});
  CHECK(has_problem(r, "root.password: must be set when root.email is set"));
  CHECK(has_problem(r, "metrics.port: must differ from http.port (8080)"));
  r = mload(R"({"root": {"email": "nobody", "password": "short"}})", {});
  CHECK(has_problem(r, "root.email: must be an email address (contain '@')"));
  CHECK(has_problem(r, "root.password: must be at least auth.password_min_length (8) characters"));
  CHECK(mload(R"({"metrics": {"port": 8080, "enabled": false}})", {}).ok());
}

TEST_CASE("malformed JSON is one problem at path \"\" with line and column", "[config]") {
  auto r = mload("{\"http\": {\n  \"port\": 80,,\n}}", {});
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].path.empty());
  CHECK(r.problems[0].message.find("malformed JSON") == 0);
  CHECK(r.problems[0].message.find("line 2") != std::string::npos);
  r = mload("[1, 2]", {});
  REQUIRE(r.problems.size() == 1);
  CHECK(to_string(r.problems[0]) == "expected a JSON object of sections, got array");
}

TEST_CASE("fault rules from the file", "[config][faults]") {
  auto r = mload(R"({"faults": {"rules": [
    {"handler": "audit", "first": 3},
    {"handler": "audit", "mode": "no_ack", "fraction": 0.5, "type": "auth.user.created"}
  ]}})",
                {});
  INFO(printed(r));
  REQUIRE(r.ok());
  const auto& rules = r.value.faults.rules;
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].handler == "audit");
  CHECK(rules[0].mode == "fail");
  CHECK(rules[0].first == 3);
  CHECK(rules[0].fraction == 0.0);
  CHECK(rules[1].mode == "no_ack");
  CHECK(rules[1].fraction == 0.5);
  CHECK(rules[1].type == "auth.user.created");
}

TEST_CASE("bad fault rules name the rule and key", "[config][faults]") {
  auto r = mload(R"({"faults": {"rules": [
    {"handler": "", "mode": "boom", "fraction": 1.5, "extra": 1},
    {"handler": "audit", "first": "3"},
    7
  ]}})",
                {});
  INFO(printed(r));
  CHECK(has_problem(r, "faults.rules[0].handler: must not be empty"));
  CHECK(has_problem(r, R"(faults.rules[0].mode: must be one of {fail, fail_after, no_ack}, got "boom")"));
  CHECK(has_problem(r, "faults.rules[0].fraction: must be in [0, 1], got 1.5"));
  CHECK(has_problem(r, "faults.rules[0].extra: unknown key"));
  CHECK(has_problem(r, "faults.rules[1].first: expected unsigned integer, got string"));
  CHECK(has_problem(r, "faults.rules[2]: expected object, got number"));
  CHECK(has_problem(r, "faults.rules[2].handler: must not be empty"));
  CHECK(r.problems.size() == 7);
  CHECK(mload(R"({"faults": {"rules": {}}})", {}).problems.size() == 1);
}

TEST_CASE("to_string of a problem", "[config]") {
  CHECK(to_string({"http.port", "bad", ""}) == "http.port: bad");
  CHECK(to_string({"http.port", "bad", "WEFT_HTTP_PORT"}) == "WEFT_HTTP_PORT (http.port): bad");
  CHECK(to_string({"", "bad", "WEFT_X"}) == "WEFT_X: bad");
  CHECK(to_string({"", "bad", ""}) == "bad");
}
