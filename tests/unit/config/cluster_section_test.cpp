#include <catch2/catch.hpp>

#include "tests/unit/config/support.hpp"

// The cluster section: nested `tls` keys in the file, flat names in the
// environment, and the checks that keep a node from listening unprotected
// or declaring a peer gone between two heartbeats.
using namespace weft::config;
using namespace weft::config::test;

namespace {

bool has_problem_starting(const load_result& r, const std::string& prefix) {
  for (const auto& p : r.problems)
    if (to_string(p).starts_with(prefix))
      return true;
  return false;
}

} // namespace

TEST_CASE("cluster: off by default, nested tls keys from the file and the environment",
          "[config][cluster]") {
  auto d = mdefaults();
  CHECK_FALSE(d.cluster.enabled());
  CHECK(d.cluster.heartbeat_ms == 250);
  CHECK(d.cluster.timeout_ms == 1500);

  auto r = mload(R"({"cluster": {"name": "prod-eu", "listen": "0.0.0.0:7400",
                     "advertise": "10.0.0.5:7400", "seeds": ["10.0.0.6:7400", "n3:7400"],
                     "tls": {"cert": "/c.pem", "key": "/k.pem", "ca": "/ca.pem"}}})",
                 {{"WEFT_CLUSTER_HEARTBEAT_MS", "200"}, {"WEFT_CLUSTER_TLS_CA", "/other-ca.pem"}});
  INFO(printed(r));
  REQUIRE(r.ok());
  const auto& c = r.value.cluster;
  CHECK(c.enabled());
  CHECK(c.tls());
  CHECK(c.name == "prod-eu");
  CHECK(c.seeds == std::vector<std::string>{"10.0.0.6:7400", "n3:7400"});
  CHECK(c.heartbeat_ms == 200);
  CHECK(c.tls_cert == "/c.pem");
  CHECK(c.tls_ca == "/other-ca.pem"); // the environment wins
  // Printed back nested, as in the file.
  auto dumped = nlohmann::json::parse(dump(r.value, false));
  CHECK(dumped["cluster"]["tls"]["key"] == "/k.pem");
}

TEST_CASE("cluster: bad sections name their keys", "[config][cluster]") {
  struct bad {
    const char* text;
    std::vector<std::string> problems;
  };
  std::vector<bad> cases = {
    {R"({"cluster": {"listen": "nonsense", "tls": {"insecure": true}}})", {"cluster.listen: must be host:port"}},
    {R"({"cluster": {"listen": "h:99999", "tls": {"insecure": true}}})", {"cluster.listen: must be host:port"}},
    {R"({"cluster": {"listen": ":7400", "tls": {"insecure": true}}})", {"cluster.listen: must be host:port"}},
    {R"({"cluster": {"listen": "127.0.0.1:0", "seeds": ["a:0", "b"], "tls": {"insecure": true}}})",
     {"cluster.seeds[0]: must be host:port", "cluster.seeds[1]: must be host:port"}},
    {R"({"cluster": {"listen": "127.0.0.1:0"}})", {"cluster.tls.cert: a cluster listener needs mutual TLS"}},
    {R"({"cluster": {"listen": "127.0.0.1:0", "tls": {"cert": "/c.pem"}}})",
     {"cluster.tls.key: must be set", "cluster.tls.ca: must be set"}},
    {R"({"cluster": {"listen": "127.0.0.1:0", "heartbeat_ms": 500, "timeout_ms": 600,
         "tls": {"insecure": true}}})", {"cluster.timeout_ms: must be at least 2 x cluster.heartbeat_ms"}},
    {R"({"cluster": {"seeds": ["a:1"]}})", {"cluster.listen: must be set when cluster.seeds is"}},
    {R"({"cluster": {"name": "a/b"}})", {"cluster.name: must be a non-empty name"}},
    {R"({"cluster": {"tls": {"cert": "/c.pem", "pem": 1}}})", {"cluster.tls.pem: unknown key"}},
    {R"({"cluster": {"tls": "yes"}})", {"cluster.tls: expected object"}},
  };
  for (const auto& c : cases) {
    auto r = mload(c.text, {});
    INFO(c.text << "\n" << printed(r));
    CHECK_FALSE(r.ok());
    for (const auto& p : c.problems)
      CHECK(has_problem_starting(r, p));
  }
}
