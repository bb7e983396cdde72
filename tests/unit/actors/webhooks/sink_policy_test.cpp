#include <catch2/catch.hpp>

#include "actors/webhooks/sink_policy.hpp"

using namespace weft::webhooks;

TEST_CASE("webhook sinks: URLs parse into scheme, host, port and target", "[webhooks]") {
  sink_url u;
  std::string why;
  REQUIRE(parse_sink("https://Example.COM/hooks?x=1#frag", u, why));
  CHECK(u.scheme == "https");
  CHECK(u.host == "example.com");
  CHECK(u.port == 443);
  CHECK(u.target == "/hooks?x=1");
  REQUIRE(parse_sink("http://[2001:db8::1]:8080", u, why));
  CHECK(u.host == "2001:db8::1");
  CHECK(u.port == 8080);
  CHECK(u.target == "/");
  for (auto bad : {"ftp://example.com/", "example.com/x", "http://user:pw@example.com/",
                   "http://example.com:0/", "http://example.com:70000/", "http://:80/",
                   "http://exa mple.com/", "http://[::1/", "http://example.com:8a/"}) {
    INFO(bad);
    CHECK_FALSE(parse_sink(bad, u, why));
    CHECK_FALSE(why.empty());
  }
}

TEST_CASE("webhook sinks: local, private, link-local and metadata addresses are refused",
          "[webhooks]") {
  for (auto ip : {"127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                  "192.168.1.1", "169.254.169.254", "169.254.1.1", "100.64.0.1", "0.0.0.0",
                  "224.0.0.1", "255.255.255.255", "::1", "::", "fd00::1", "fe80::1",
                  "::ffff:127.0.0.1", "::ffff:10.0.0.1", "ff02::1"}) {
    INFO(ip);
    CHECK_FALSE(forbidden_address(ip).empty());
  }
  for (auto ip : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "2001:4860:4860::8888", "93.184.216.34"}) {
    INFO(ip);
    CHECK(forbidden_address(ip).empty());
  }
  CHECK(forbidden_address("169.254.169.254").find("metadata") != std::string::npos);
  CHECK(forbidden_address("example.com").empty()); // a name: checked once resolved
}

TEST_CASE("webhook sinks: the check at creation, and webhooks.allow_hosts", "[webhooks]") {
  CHECK(check_sink("https://example.com/hook", {}).empty());
  CHECK_FALSE(check_sink("http://127.0.0.1:9000/hook", {}).empty());
  CHECK_FALSE(check_sink("http://[::1]:9000/hook", {}).empty());
  CHECK_FALSE(check_sink("http://localhost:9000/hook", {}).empty());
  CHECK_FALSE(check_sink("http://metadata.google.internal/", {}).empty());
  CHECK_FALSE(check_sink("http://169.254.169.254/latest/meta-data", {}).empty());
  CHECK(check_sink("http://127.0.0.1:9000/hook", {"127.0.0.1"}).empty());
  CHECK(check_sink("http://LOCALHOST:9000/hook", {"localhost"}).empty());
  CHECK(check_sink("http://127.0.0.1:9000/hook", {"localhost"}).find("allow_hosts") != std::string::npos);
  CHECK_FALSE(check_sink("gopher://example.com/", {"example.com"}).empty());
}
