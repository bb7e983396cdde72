// Smoke tests of tests/support: each fixture does what the suites rely on.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/support/http_client.hpp"
#include "tests/support/jwt.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus.hpp"
#include "tests/support/servers.hpp"

using namespace weft::test;

namespace {

// Accepts one connection on 127.0.0.1:<port>, reads one request head, answers
// with `reply` and closes. Returns the request it read.
struct one_shot_server {
  int fd = -1;
  uint16_t port = 0;
  std::string request;
  std::thread th;

  explicit one_shot_server(std::string reply) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    ::listen(fd, 1);
    th = std::thread([this, reply = std::move(reply)] {
      int c = ::accept(fd, nullptr, nullptr);
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0)
          break;
        request.append(buf, static_cast<size_t>(n));
      }
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~one_shot_server() {
    th.join();
    ::close(fd);
  }
};

} // namespace

TEST_CASE("free_port gives distinct usable ports", "[support]") {
  auto a = free_port();
  auto b = free_port();
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK_FALSE(accepts_tcp("127.0.0.1", a));
}

TEST_CASE("child_process reports exit codes, output and signals", "[support]") {
  temp_dir dir;
  {
    auto r = run_command("/bin/sh", {"-c", "echo out; echo err >&2; echo $FOO; exit 3"}, {{"FOO", "bar"}});
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\nbar\n");
    CHECK(r.err == "err\n");
  }
  child_options o;
  o.args = {"-c", "exec sleep 30"};
  child_process p("/bin/sh", o);
  CHECK(p.running());
  CHECK_FALSE(p.wait_for(std::chrono::milliseconds(20)).has_value());
  p.send_signal(SIGTERM);
  auto code = p.wait_for(std::chrono::seconds(5));
  REQUIRE(code.has_value());
  CHECK(*code == 128 + SIGTERM);
  CHECK_FALSE(p.running());
}

TEST_CASE("temp_dir is removed at the end", "[support]") {
  std::filesystem::path p;
  {
    temp_dir d;
    p = d.path();
    write_text(d / "x", "y");
    CHECK(read_text(d / "x") == "y");
  }
  CHECK_FALSE(std::filesystem::exists(p));
}

TEST_CASE("http_client parses content-length and chunked answers", "[support]") {
  SECTION("content-length") {
    one_shot_server s("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Thing: a\r\n"
                      "Content-Length: 11\r\n\r\n{\"a\":[1,2]}");
    http_client c("127.0.0.1", s.port);
    auto r = c.post("/v1/x?y=1", {{"k", "v"}}, {{"X-Request-Id", "r1"}});
    REQUIRE(r.ok());
    CHECK(r.status == 201);
    CHECK(r.header("x-thing") == "a");
    CHECK(r.json()["a"][1] == 2);
    CHECK(s.request.rfind("POST /v1/x?y=1 HTTP/1.1\r\n", 0) == 0);
  }
  SECTION("chunked") {
    one_shot_server s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    http_client c("127.0.0.1", s.port);
    auto r = c.get("/");
    REQUIRE(r.ok());
    CHECK(r.body == "abcde");
  }
  SECTION("connection refused is a value") {
    http_client c("127.0.0.1", free_port());
    auto r = c.get("/");
    CHECK_FALSE(r.ok());
    CHECK(r.connect_failed);
    CHECK(r.status == 0);
  }
}

TEST_CASE("jwt helpers round-trip", "[support]") {
  CHECK(base64url_encode("hello?>") == "aGVsbG8_Pg");
  CHECK(base64url_decode("aGVsbG8_Pg") == "hello?>");
  auto t = sign_hs256({{"alg", "HS256"}, {"kid", "k1"}}, {{"sub", "u1"}, {"exp", 5}}, "secret-secret");
  CHECK(jwt_header(t)["kid"] == "k1");
  CHECK(jwt_claims(t)["sub"] == "u1");
  CHECK(t != sign_hs256({{"alg", "HS256"}, {"kid", "k1"}}, {{"sub", "u1"}, {"exp", 5}}, "other-secret"));
}

TEST_CASE("prometheus text is summed by labels", "[support]") {
  std::string text = "# HELP x y\n# TYPE c counter\n"
                     "c{type=\"a\",consumer=\"audit\"} 2\n"
                     "c{type=\"b\",consumer=\"audit\"} 3\n"
                     "d 7\n";
  CHECK(metric_sum(text, "c") == 5.0);
  CHECK(metric_sum(text, "c", {{"type", "b"}}) == 3.0);
  CHECK(metric_sum(text, "d") == 7.0);
  CHECK_FALSE(metric_sum(text, "e").has_value());
}

TEST_CASE("nats_server starts, crashes and restarts on the same port", "[support][servers]") {
  nats_server nats;
  CHECK(accepts_tcp("127.0.0.1", nats.port()));
  CHECK(std::filesystem::exists(nats.store_dir()));
  nats.kill();
  CHECK_FALSE(accepts_tcp("127.0.0.1", nats.port()));
  nats.start();
  CHECK(accepts_tcp("127.0.0.1", nats.port()));
  CHECK(nats.stop() == 0);
}

TEST_CASE("postgres_cluster runs SQL and survives an immediate restart", "[support][servers]") {
  postgres_cluster pg;
  pg.create_database("smoke");
  pg.psql("CREATE TABLE t (v int); INSERT INTO t VALUES (42);", "smoke");
  pg.restart("immediate");
  CHECK(pg.psql("SELECT v FROM t", "smoke") == "42\n");
  CHECK(pg.url("smoke").find("/smoke") != std::string::npos);
}
