#include <catch2/catch.hpp>

#include "support.hpp"

using namespace weft::config;
using weft::config::test::has_problem;
using weft::config::test::printed;
using namespace weft::config::test;
using weft::config::test::problem_at;

TEST_CASE("WEFT_<SECTION>_<KEY> sets a key of every type", "[config][env]") {
  auto r = mload("", {{"WEFT_HTTP_PORT", "8081"},
                     {"WEFT_HTTP_BODY_LIMIT", "65536"},
                     {"WEFT_ROOT_EMAIL", "root@example.com"},
                     {"WEFT_ROOT_PASSWORD", "correct horse"},
                     {"WEFT_METRICS_ENABLED", "off"},
                     {"WEFT_NODE_SERVICES", "auth, audit"},
                     {"WEFT_BUS_BACKOFF_MS", "100,200"},
                     {"WEFT_LOG_LEVEL", "debug"}});
  INFO(printed(r));
  REQUIRE(r.ok());
  CHECK(r.value.http.port == 8081);
  CHECK(r.value.http.body_limit == 65536);
  CHECK(root_of(r.value).email == "root@example.com");
  CHECK_FALSE(r.value.metrics.enabled);
  CHECK(r.value.node.services == std::vector<std::string>{"auth", "audit"});
  CHECK(r.value.bus.backoff_ms == std::vector<uint32_t>{100, 200});
  CHECK(r.value.log.level == "debug");
}

TEST_CASE("environment wins over the file", "[config][env]") {
  auto r = mload(R"({"http": {"port": 1000, "threads": 2}, "node": {"services": ["auth"]}})",
                {{"WEFT_HTTP_PORT", "2000"}, {"WEFT_NODE_SERVICES", "audit"}});
  REQUIRE(r.ok());
  CHECK(r.value.http.port == 2000);
  CHECK(r.value.http.threads == 2); // not overridden
  CHECK(r.value.node.services == std::vector<std::string>{"audit"});
}

TEST_CASE("an empty list variable gives an empty list", "[config][env]") {
  auto r = mload("", {{"WEFT_NODE_SERVICES", ""}});
  REQUIRE(r.ok());
  CHECK(r.value.node.services.empty());
}

TEST_CASE("a bad value names the variable and the key", "[config][env]") {
  auto r = mload("", {{"WEFT_HTTP_PORT", "abc"},
                     {"WEFT_METRICS_ENABLED", "maybe"},
                     {"WEFT_BUS_BACKOFF_MS", "100,x"},
                     {"WEFT_HTTP_THREADS", "-1"}});
  INFO(printed(r));
  CHECK(has_problem(r, R"(WEFT_HTTP_PORT (http.port): expected unsigned integer, got "abc")"));
  CHECK(has_problem(r, R"(WEFT_METRICS_ENABLED (metrics.enabled): expected boolean (true/false, 1/0, yes/no, on/off), got "maybe")"));
  CHECK(has_problem(r, R"(WEFT_BUS_BACKOFF_MS (bus.backoff_ms): expected comma-separated unsigned integers, got "100,x")"));
  CHECK(has_problem(r, R"(WEFT_HTTP_THREADS (http.threads): expected unsigned integer, got "-1")"));
  CHECK(r.problems.size() == 4);
  const auto* p = problem_at(r, "http.port");
  REQUIRE(p != nullptr);
  CHECK(p->source == "WEFT_HTTP_PORT");
}

TEST_CASE("a value that is not UTF-8 names the variable (found by fuzzing)", "[config][env]") {
  auto r = mload("", {{"WEFT_NODE_NAME", "n\x91x"}});
  INFO(printed(r));
  CHECK(has_problem(r, "WEFT_NODE_NAME (node.name): is not valid UTF-8 text"));
  CHECK(mload("", {{"WEFT_NODE_NAME", "n\xc3\xa9"}}).ok());
}

TEST_CASE("a value out of range from the environment names the variable", "[config][env]") {
  auto r = mload("", {{"WEFT_HTTP_PORT", "70000"}, {"WEFT_LOG_FORMAT", "xml"}});
  INFO(printed(r));
  CHECK(has_problem(r, "WEFT_HTTP_PORT (http.port): must be in [0, 65535], got 70000"));
  CHECK(has_problem(r, R"(WEFT_LOG_FORMAT (log.format): must be one of {text, json}, got "xml")"));
  CHECK(r.problems.size() == 2);
}

TEST_CASE("an unknown WEFT_ variable is a problem, WEFT_CONFIG and WEFT_BINARY are not",
          "[config][env]") {
  auto r = mload("", {{"WEFT_HTTP_PROT", "1"},
                     {"WEFT_CONFIG", "/etc/weft.json"},
                     {"WEFT_BINARY", "/usr/bin/weft"},
                     {"HOME", "/root"},
                     {"PATH", "/bin"}});
  INFO(printed(r));
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].source == "WEFT_HTTP_PROT");
  CHECK(r.problems[0].path.empty());
  CHECK(has_problem(r, "WEFT_HTTP_PROT: unknown variable (no such config key)"));
}

TEST_CASE("DATABASE_URL and NATS_URL", "[config][env]") {
  auto r = mload(R"({"database": {"url": "postgresql://file/db"}})",
                {{"DATABASE_URL", "postgresql://u:p@db/weft"}, {"NATS_URL", "nats://n:4222"}});
  REQUIRE(r.ok());
  CHECK(r.value.database.url == "postgresql://u:p@db/weft");
  CHECK(r.value.nats.url == "nats://n:4222");
  r = mload("", {{"DATABASE_URL", "postgresql://a/x"}, {"WEFT_DATABASE_URL", "postgresql://b/y"}});
  REQUIRE(r.ok());
  CHECK(r.value.database.url == "postgresql://b/y"); // the WEFT_ name wins
}

TEST_CASE("WEFT_FAULTS_RULES takes JSON text", "[config][env][faults]") {
  auto r = mload("", {{"WEFT_FAULTS_RULES", R"([{"handler":"audit","first":3}])"}});
  INFO(printed(r));
  REQUIRE(r.ok());
  REQUIRE(r.value.faults.rules.size() == 1);
  CHECK(r.value.faults.rules[0].handler == "audit");
  CHECK(r.value.faults.rules[0].first == 3);
  CHECK(r.value.faults.rules[0].mode == "fail");

  r = mload("", {{"WEFT_FAULTS_RULES", R"([{"handler":"audit","mode":"x"}])"}});
  CHECK(has_problem(r, R"(WEFT_FAULTS_RULES (faults.rules[0].mode): must be one of {fail, fail_after, no_ack}, got "x")"));
  r = mload("", {{"WEFT_FAULTS_RULES", "[{"}});
  CHECK(has_problem(r, "WEFT_FAULTS_RULES (faults.rules): expected a JSON array of fault rules, got malformed JSON"));
  r = mload("", {{"WEFT_FAULTS_RULES", R"({"handler":"audit"})"}});
  CHECK(has_problem(r, "WEFT_FAULTS_RULES (faults.rules): expected array of objects, got object"));
}

TEST_CASE("file and environment problems are reported together", "[config][env]") {
  auto r = mload(R"({"htp": {}, "http": {"threads": 0}})",
                {{"WEFT_HTTP_PORT", "abc"}, {"WEFT_NOPE", "1"}});
  INFO(printed(r));
  CHECK(r.problems.size() == 4);
}

TEST_CASE("env_name and key_paths", "[config][env]") {
  CHECK(env_name("http.body_limit") == "WEFT_HTTP_BODY_LIMIT");
  CHECK(env_name("root.email") == "WEFT_ROOT_EMAIL");
  CHECK(key_paths().back() == "cluster.tls.insecure"); // the node's own sections end there
  auto keys = key_paths(modules().get());
  CHECK(keys.front() == "node.name");
  CHECK(keys.back() == "schema.allow_destructive"); // then the modules' sections
  CHECK(std::find(keys.begin(), keys.end(), "faults.rules") != keys.end());
  // Every key can be set from the environment under its env_name.
  for (const auto& k : keys) {
    auto r = mload("", {{env_name(k), k == "faults.rules" ? "[]" : "1"}});
    for (const auto& p : r.problems)
      CHECK(p.message.find("unknown variable") == std::string::npos);
  }
}

TEST_CASE("process_environment reads this process's environment", "[config][env]") {
  auto env = process_environment();
  CHECK(env.count("PATH") == 1);
}
