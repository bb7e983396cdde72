// The Grafana dashboard (deploy/grafana/weft.json) queries only metrics a
// running node exports: a durable, clustered node after some traffic.
#include "tests/system/durable_common.hpp"

#include <fstream>
#include <regex>
#include <sstream>

using namespace sys;

TEST_CASE("deploy: every metric the dashboard queries is exported by a running node",
          "[system][durable][deploy]") {
  std::ifstream in(std::string{WEFT_SOURCE_DIR} + "/deploy/grafana/weft.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto dash = json::parse(ss.str());
  std::set<std::string> wanted;
  std::regex metric(R"(weft_[a-z_]+)");
  for (auto& p : dash.at("panels"))
    for (auto& t : p.at("targets")) {
      auto expr = t.at("expr").get<std::string>();
      for (std::sregex_iterator i(expr.begin(), expr.end(), metric), e; i != e; ++i)
        wanted.insert(i->str());
    }
  REQUIRE(wanted.size() >= 8);

  durable_servers s;
  auto port = free_port();
  weft_node node{durable_options(
    s, {{"cluster", {{"listen", "127.0.0.1:" + std::to_string(port)}, {"tls", {{"insecure", true}}}}},
        {"faults", {{"rules", {{{"handler", "audit"}, {"type", "auth.apikey.created"}, {"first", 1000}}}}}}})};
  // Traffic that touches every part: HTTP, the outbox, the inboxes, and an
  // event the audit handler fails until it is dead-lettered (redeliveries,
  // then a dead letter: the fault rule above).
  auto root = login_root(node);
  auto r = node.post("/v1/auth/api-keys", {{"name", "dash"}, {"role", "user"}}, bearer(root.access));
  REQUIRE(r.status == 201);
  std::set<std::string> missing;
  wait_until(
    [&] {
      auto text = node.metrics_text();
      missing.clear();
      for (auto& m : wanted)
        if (text.find("\n" + m + " ") == std::string::npos && text.find("\n" + m + "{") == std::string::npos)
          missing.insert(m);
      return missing.empty();
    },
    30s);
  for (auto& m : missing)
    FAIL_CHECK("the dashboard queries " << m << ", which the node does not export");
}
