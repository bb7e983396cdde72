// The node as a process: the CLI (version, config check, exit code 2 with
// key paths for a bad config), SIGTERM while idle and while requests are in
// flight, health and meta endpoints, X-Request-Id, metrics.
#include "tests/system/common.hpp"

#include <signal.h>

#include <regex>
#include <thread>

using namespace sys;

namespace {

run_result weft_cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  return run_weft(WEFT_BINARY, std::move(args), std::move(env));
}

} // namespace

TEST_CASE("weft version prints the version", "[system][cli]") {
  auto r = weft_cli({"version"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(std::regex_search(r.out, std::regex(R"(^weft \d+\.\d+\.\d+)")));
}

TEST_CASE("weft config check: 0 for a good file, 2 with key paths for a bad one", "[system][cli][config]") {
  temp_dir dir;
  write_text(dir / "good.json", json({{"http", {{"port", 18099}}}, {"log", {{"level", "warn"}}}}).dump());
  write_text(dir / "bad.json", R"({"htp": {}, "http": {"port": "abc"}, "auth": {"access_ttl_s": -5}})");
  write_text(dir / "broken.json", R"({"http": {"port": 80)");

  auto good = weft_cli({"config", "check", (dir / "good.json").string()});
  INFO("good: " << good.out << good.err);
  CHECK(good.exit_code == 0);

  auto bad = weft_cli({"config", "check", (dir / "bad.json").string()});
  INFO("bad: " << bad.out << bad.err);
  CHECK(bad.exit_code == 2);
  // Every problem at once, each with its key path.
  CHECK(bad.err.find("htp") != std::string::npos);
  CHECK(bad.err.find("http.port") != std::string::npos);
  CHECK(bad.err.find("auth.access_ttl_s") != std::string::npos);

  auto broken = weft_cli({"config", "check", (dir / "broken.json").string()});
  INFO("broken: " << broken.out << broken.err);
  CHECK(broken.exit_code == 2);
  CHECK_FALSE(broken.err.empty());

  auto missing = weft_cli({"config", "check", (dir / "no-such-file.json").string()});
  CHECK(missing.exit_code == 2);
}

TEST_CASE("weft run with a bad config exits 2 naming the key path", "[system][cli][config]") {
  temp_dir dir;
  struct bad_config {
    const char* text;
    std::vector<std::string> paths;
  };
  std::vector<bad_config> cases = {
    {R"({"htp": {}})", {"htp"}},
    {R"({"http": {"port": "abc"}})", {"http.port"}},
    {R"({"http": {"port": 70000}})", {"http.port"}},
    {R"({"auth": {"jwt_secret": "too-short"}})", {"auth.jwt_secret"}},
    {R"({"htp": {}, "bus": {"max_deliver": "many"}})", {"htp", "bus.max_deliver"}},
  };
  int i = 0;
  for (auto& c : cases) {
    INFO("config: " << c.text);
    auto file = dir / ("bad" + std::to_string(++i) + ".json");
    write_text(file, c.text);
    auto r = weft_cli({"run", "--config", file.string()});
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 2);
    for (auto& p : c.paths)
      CHECK(r.err.find(p) != std::string::npos);
  }
  // An unknown WEFT_ variable is a problem too; a known one overrides the file.
  auto file = dir / "ok.json";
  write_text(file, R"({"log": {"level": "warn"}})");
  auto r = weft_cli({"config", "check", file.string()}, {{"WEFT_HTP_PORT", "1"}});
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 2);
  auto env_bad = weft_cli({"config", "check", file.string()}, {{"WEFT_HTTP_PORT", "abc"}});
  CHECK(env_bad.exit_code == 2);
  CHECK(env_bad.err.find("http.port") != std::string::npos);
}

TEST_CASE("SIGTERM while idle: exit 0 within the shutdown deadline", "[system][lifecycle]") {
  weft_node node(node_options({{"node", {{"shutdown_timeout_ms", 3000}}}}));
  REQUIRE(node.get("/health/live").status == 200);
  auto started = clock::now();
  auto code = node.stop(5s);
  auto took = clock::now() - started;
  INFO("stderr: " << node.stderr_text());
  CHECK(code == 0);
  CHECK(took < 5s);
  // The port is closed afterwards.
  CHECK(node.get("/health/live").connect_failed);
}

TEST_CASE("SIGINT stops the node like SIGTERM", "[system][lifecycle]") {
  weft_node node(node_options());
  node.process().send_signal(SIGINT);
  auto code = node.process().wait_for(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("SIGTERM with requests in flight: they are answered, then exit 0", "[system][lifecycle]") {
  weft_node node(node_options({{"node", {{"shutdown_timeout_ms", 8000}}}}));
  auto email = unique_email("inflight");
  register_user(node, email);

  // Logins cost an Argon2 hash each; six of them sent at once are still
  // being worked on when the signal arrives. Each goes on a keep-alive
  // connection that has already carried one request, so the node has
  // accepted it (a connection still in the listen backlog may be refused).
  constexpr int n = 6;
  std::atomic<int> sent{0};
  std::vector<int> warm(n, 0);
  std::vector<http_response> answers(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      http_client c("127.0.0.1", node.http_port(), true);
      warm[static_cast<size_t>(i)] = c.get("/health/live").status;
      http_request req;
      req.method = "POST";
      req.target = "/v1/auth/login";
      req.headers = {{"Content-Type", "application/json"}};
      req.body = json({{"email", email}, {"password", user_password}}).dump();
      req.after_send = [&] { ++sent; };
      answers[static_cast<size_t>(i)] = c.request(req);
    });
  bool all_sent = wait_until([&] { return sent.load() == n; }, 10s);
  node.process().send_signal(SIGTERM);
  for (auto& t : threads)
    t.join();
  REQUIRE(all_sent);
  auto code = node.process().wait_for(15s);

  for (int i = 0; i < n; ++i) {
    auto& a = answers[static_cast<size_t>(i)];
    INFO("request " << i << ": warm-up " << warm[static_cast<size_t>(i)] << ", answer: " << a.status << " "
                    << a.error << " " << a.body);
    REQUIRE(warm[static_cast<size_t>(i)] == 200);
    CHECK(a.ok());
    CHECK(a.status == 200);
    CHECK(a.json_or_null().contains("access_token"));
  }
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  // Sent after the stop: refused, not hung.
  auto late = node.post("/v1/auth/login", {{"email", email}, {"password", user_password}});
  CHECK(late.connect_failed);
}

TEST_CASE("health, version, OpenAPI and X-Request-Id", "[system][http][meta]") {
  weft_node node(node_options({{"node", {{"name", "meta-node"}}}}));

  auto live = node.get("/health/live");
  CHECK(live.status == 200);
  CHECK(node.get("/health/ready").status == 200);

  auto v = node.get("/v1/utils/version");
  INFO(v.body);
  REQUIRE(v.status == 200);
  auto vj = v.json();
  CHECK(vj["node"] == "meta-node");
  CHECK(contains(vj["services"], "auth"));
  CHECK(contains(vj["services"], "audit"));
  auto cli = weft_cli({"version"});
  CHECK(cli.out.find(vj.value("version", "?")) != std::string::npos);
  CHECK(node.get("/utils/version").json_or_null() == vj); // unversioned alias

  auto api = node.get("/v1/openapi.json");
  REQUIRE(api.status == 200);
  CHECK(api.header("Content-Type").rfind("application/json", 0) == 0);
  auto doc = api.json_or_null();
  REQUIRE(doc.is_object());
  CHECK(doc.value("openapi", "").rfind("3.1", 0) == 0);
  REQUIRE(doc["paths"].is_object());
  for (auto* p : {"/v1/auth/login", "/v1/auth/register", "/v1/auth/refresh", "/v1/auth/logout", "/v1/auth/me",
                  "/v1/auth/validate", "/v1/auth/api-keys", "/v1/users", "/v1/audit"}) {
    INFO("path " << p);
    CHECK(doc["paths"].contains(p));
  }
  if (doc["paths"].contains("/v1/auth/login"))
    CHECK(doc["paths"]["/v1/auth/login"].contains("post"));

  // X-Request-Id: echoed when sent (also on errors), generated when absent.
  auto echoed = node.get("/health/live", {{"X-Request-Id", "req-abc-123"}});
  CHECK(echoed.header("X-Request-Id") == "req-abc-123");
  auto on_error = node.get("/v1/nothing-here", {{"X-Request-Id", "req-err-456"}});
  CHECK(on_error.status == 404);
  CHECK(on_error.header("X-Request-Id") == "req-err-456");
  auto g1 = node.get("/health/live").header("X-Request-Id");
  auto g2 = node.get("/health/live").header("X-Request-Id");
  CHECK_FALSE(g1.empty());
  CHECK(g1 != g2);
}

TEST_CASE("metrics port serves Prometheus counters of HTTP requests", "[system][metrics]") {
  weft_node node(node_options());
  for (int i = 0; i < 3; ++i)
    REQUIRE(node.get("/health/live").status == 200);
  REQUIRE(node.get("/v1/auth/me").status == 401);
  auto text = node.metrics_text();
  INFO(text.substr(0, 2000));
  REQUIRE_FALSE(text.empty());
  auto samples = parse_metrics(text);
  double ok = 0, unauth = 0;
  for (auto& s : samples) {
    if (s.name != "weft_http_requests_total")
      continue;
    CHECK(s.labels.count("route") == 1);
    CHECK(s.labels.count("method") == 1);
    CHECK(s.labels.count("status") == 1);
    if (s.labels["status"] == "200" && s.labels["method"] == "GET")
      ok += s.value;
    if (s.labels["status"] == "401")
      unauth += s.value;
  }
  CHECK(ok >= 3);
  CHECK(unauth >= 1);
  // The metrics are on their own port, not on the API port.
  CHECK(node.get("/metrics").status == 404);
}

TEST_CASE("environment overrides the config file", "[system][config]") {
  auto opts = node_options({{"node", {{"name", "from-file"}}}});
  opts.env["WEFT_NODE_NAME"] = "from-env";
  weft_node node(opts);
  auto v = node.get("/v1/utils/version");
  REQUIRE(v.status == 200);
  CHECK(v.json()["node"] == "from-env");
}
