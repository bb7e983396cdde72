// Nodes of a cluster on loopback, on embedded defaults: an adapter node
// (node.services: []) serves the REST API of a service node it joined
// through a seed; when that node dies the adapter answers 503 at once (no
// request waits for its timeout) and says in /health/ready which services
// have no live replica; when it comes back the adapter routes to it again.
// A node of another cluster is refused at the handshake.
#include "tests/system/common.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

using namespace sys;

namespace {

using steady = std::chrono::steady_clock;

json cluster_config(const std::string& name, uint16_t port, json seeds,
                    const std::string& cluster_name = "weft") {
  return {{"name", cluster_name},
          {"listen", "127.0.0.1:" + std::to_string(port)},
          {"seeds", std::move(seeds)},
          {"tls", {{"insecure", true}}}};
}

/// A service node hosting every module, listening for peers on `port`.
weft_node_options service_node(const std::string& name, uint16_t port, json seeds = json::array()) {
  return node_options({{"node", {{"name", name}}}, {"cluster", cluster_config(name, port, seeds)}});
}

/// An adapter node: no service of its own, joins `seed`.
weft_node_options adapter_node(const std::string& name, uint16_t seed_port,
                               const std::string& cluster_name = "weft") {
  auto o = node_options({{"node", {{"name", name}, {"services", json::array()}}},
                         {"cluster", cluster_config(name, free_port(),
                                                    {"127.0.0.1:" + std::to_string(seed_port)},
                                                    cluster_name)}});
  return o;
}

/// Connects to 127.0.0.1:port, writes `bytes`, closes. False if it could not connect.
bool send_raw(uint16_t port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (ok)
    ok = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) >= 0;
  ::close(fd);
  return ok;
}

/// Runs a shell command (openssl for test certificates); REQUIREs success.
void sh(const std::string& cmd) {
  INFO(cmd);
  REQUIRE(std::system((cmd + " > /dev/null 2>&1").c_str()) == 0);
}

/// A CA and, for each name, a key and a certificate signed by it, in `dir`:
/// `ca.pem`, `<name>.key`, `<name>.pem`; plus `rogue.key`/`rogue.pem`,
/// self-signed (no CA of ours vouches for it).
void make_certificates(const temp_dir& dir, const std::vector<std::string>& names) {
  auto d = dir.path().string();
  sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=weft-test-ca -keyout " + d
     + "/ca.key -out " + d + "/ca.pem");
  for (const auto& n : names) {
    sh("openssl req -newkey rsa:2048 -nodes -subj /CN=" + n + " -keyout " + d + "/" + n
       + ".key -out " + d + "/" + n + ".csr");
    sh("openssl x509 -req -days 1 -in " + d + "/" + n + ".csr -CA " + d + "/ca.pem -CAkey " + d
       + "/ca.key -CAcreateserial -out " + d + "/" + n + ".pem");
  }
  sh("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=rogue -keyout " + d
     + "/rogue.key -out " + d + "/rogue.pem");
}

json tls_of(const temp_dir& dir, const std::string& name, const std::string& ca = "ca") {
  auto d = dir.path().string();
  return {{"cert", d + "/" + name + ".pem"}, {"key", d + "/" + name + ".key"},
          {"ca", d + "/" + ca + ".pem"}};
}

long ms_since(steady::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
}

} // namespace

TEST_CASE("an adapter node serves a service node's API, fails fast when it dies, and "
          "routes to it again when it returns",
          "[system][cluster]") {
  auto port = free_port();
  weft_node svc{service_node("svc-1", port)};
  // Ready only once every service has a live replica: it joined.
  weft_node edge{adapter_node("edge-1", port)};

  // The auth flow, all through the adapter.
  auto email = unique_email("cluster");
  auto user = register_user(edge, email);
  CHECK(user.value("email", "") == email);
  auto t = login(edge, email);
  auto me = edge.get("/v1/auth/me", bearer(t.access));
  INFO(me.body);
  REQUIRE(me.status == 200);
  CHECK(me.json().value("email", "") == email);
  // The same account answers on the service node itself: one service, two doors.
  CHECK(svc.get("/v1/auth/me", bearer(t.access)).status == 200);

  // Both nodes list both members; the adapter hosts nothing.
  auto root = login_root(edge);
  auto nodes = edge.get("/v1/cluster/nodes", bearer(root.access));
  INFO(nodes.body);
  REQUIRE(nodes.status == 200);
  std::map<std::string, json> by_name;
  auto listed = nodes.json();
  for (auto& n : listed.at("nodes"))
    by_name[n.at("name").get<std::string>()] = n;
  REQUIRE(by_name.count("svc-1") == 1);
  REQUIRE(by_name.count("edge-1") == 1);
  CHECK(by_name["svc-1"]["state"] == "up");
  CHECK(contains(by_name["svc-1"]["services"], "auth"));
  CHECK(by_name["edge-1"]["self"] == true);
  CHECK(by_name["edge-1"]["services"].empty());
  CHECK(edge.get("/v1/cluster/nodes", bearer(t.access)).status == 403);
  auto on_svc = svc.get("/v1/cluster/nodes", bearer(root.access));
  CHECK(on_svc.body.find("\"edge-1\"") != std::string::npos);
  // The adapter's OpenAPI shows the routes it does not host.
  auto spec = edge.get("/v1/openapi.json");
  CHECK(spec.body.find("/v1/auth/login") != std::string::npos);
  auto metrics = edge.metrics_text();
  CHECK(metrics.find("weft_cluster_members 2") != std::string::npos);
  CHECK(metrics.find("weft_cluster_member_up{node=\"svc-1\"} 1") != std::string::npos);

  // Logins in flight when the node dies (Argon2id keeps each busy a while): a
  // login is a write without an Idempotency-Key, so it is not re-sent; its
  // client gets 503 with Retry-After at once, never the 5 s timeout (504).
  std::atomic<bool> stop_logins{false};
  std::mutex mtx;
  std::vector<std::pair<int, long>> logins; // status, ms
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i)
    clients.emplace_back([&] {
      http_client c("127.0.0.1", edge.http_port(), true, 10s);
      while (!stop_logins) {
        auto s0 = steady::now();
        auto a = c.post("/v1/auth/login", {{"email", email}, {"password", user_password}});
        std::lock_guard<std::mutex> lk(mtx);
        logins.emplace_back(a.status, ms_since(s0));
        if (a.status != 200)
          return;
      }
    });
  REQUIRE(wait_until([&] { std::lock_guard<std::mutex> lk(mtx); return logins.size() >= 4; }, 20s));

  // SIGKILL: the adapter sees the node go within milliseconds and answers
  // 503 with Retry-After at once, not after its 5 s request timeout.
  svc.kill();
  auto t0 = steady::now();
  stop_logins = true;
  for (auto& t : clients)
    t.join();
  int refused = 0;
  for (auto& [status, ms] : logins) {
    INFO("login " << status << " in " << ms << " ms");
    refused += status == 503 ? 1 : 0;
    CHECK((status == 200 || status == 503));
    CHECK(ms < 3000);
  }
  std::cout << "cluster: " << logins.size() << " logins, " << refused
            << " answered 503 when their node died" << std::endl;
  CHECK(refused == 4); // each client's last login: in flight at the kill, or sent after it
  http_response r;
  REQUIRE(wait_until(
    [&] {
      r = edge.get("/v1/auth/me", bearer(t.access));
      return r.status == 503;
    },
    std::chrono::seconds(3)));
  CHECK(ms_since(t0) < 3000);
  check_problem(r, 503);
  CHECK_FALSE(r.header("Retry-After").empty());
  auto t1 = steady::now();
  r = edge.post("/v1/auth/login", {{"email", email}, {"password", user_password}});
  CHECK(r.status == 503);
  CHECK(ms_since(t1) < 1000);
  auto ready = edge.get("/health/ready");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("auth") != std::string::npos);
  nodes = edge.get("/v1/cluster/nodes", bearer(root.access)); // root's token is checked locally
  CHECK(nodes.body.find("\"gone\"") != std::string::npos);
  CHECK(edge.metrics_text().find("weft_cluster_member_up{node=\"svc-1\"} 0") != std::string::npos);

  // Back on the same port: the adapter dials its seed again and routes there.
  svc.start();
  REQUIRE(edge.wait_ready(std::chrono::seconds(20)));
  auto again = unique_email("cluster-again"); // embedded store: a new node's memory is empty
  register_user(edge, again);
  CHECK(login(edge, again).access.size() > 0);
}

TEST_CASE("a node of another cluster is refused at the handshake", "[system][cluster]") {
  auto port = free_port();
  weft_node svc{service_node("svc-1", port)};
  auto o = adapter_node("stranger", port, "other");
  o.wait_ready = false;
  weft_node stranger{o};
  // It says why it cannot join, and neither side counts the other.
  REQUIRE(wait_until([&] { return stranger.stderr_text().find("cannot join seed") != std::string::npos; },
                     std::chrono::seconds(15)));
  CHECK(stranger.stderr_text().find("weft/other/") != std::string::npos);
  // Its HTTP edge starts after its cluster part: serving, but not ready.
  REQUIRE(wait_until([&] { return stranger.get("/health/live").status == 200; }, 10s));
  CHECK(stranger.get("/health/ready").status == 503);
  auto root = login_root(svc);
  auto nodes = svc.get("/v1/cluster/nodes", bearer(root.access));
  CHECK(nodes.status == 200);
  CHECK(nodes.body.find("stranger") == std::string::npos);
  CHECK(stranger.get("/v1/auth/me", bearer(root.access)).status == 503);

  // Garbage on the cluster port closes that connection, nothing else.
  std::string junk(4096, '\0');
  for (size_t i = 0; i < junk.size(); ++i)
    junk[i] = static_cast<char>((i * 7919 + 13) & 0xff);
  CHECK(send_raw(port, junk));
  CHECK(send_raw(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(svc.get("/health/live").status == 200);
  CHECK(svc.get("/v1/cluster/nodes", bearer(root.access)).status == 200);
  CHECK(svc.running());
}

TEST_CASE("nodes authenticate each other by mutual TLS, a node without our CA's certificate "
          "is refused",
          "[system][cluster][tls]") {
  temp_dir certs;
  make_certificates(certs, {"svc-1", "edge-1"});
  auto port = free_port();
  auto so = service_node("svc-1", port);
  so.config["cluster"]["tls"] = tls_of(certs, "svc-1");
  weft_node svc{so};
  CHECK(svc.stderr_text().find("not protected by TLS") == std::string::npos);

  auto eo = adapter_node("edge-1", port);
  eo.config["cluster"]["tls"] = tls_of(certs, "edge-1");
  weft_node edge{eo}; // ready: it joined over TLS
  auto email = unique_email("tls");
  register_user(edge, email);
  auto t = login(edge, email);
  CHECK(edge.get("/v1/auth/me", bearer(t.access)).status == 200);

  // Self-signed: the handshake fails on both sides, nobody counts it.
  auto ro = adapter_node("rogue", port);
  ro.config["cluster"]["tls"] = tls_of(certs, "rogue", "rogue");
  ro.wait_ready = false;
  weft_node rogue{ro};
  REQUIRE(wait_until([&] { return rogue.stderr_text().find("cannot join seed") != std::string::npos; },
                     std::chrono::seconds(15)));
  REQUIRE(wait_until([&] { return rogue.get("/health/live").status == 200; }, 10s));
  CHECK(rogue.get("/health/ready").status == 503);
  auto root = login_root(svc);
  auto nodes = svc.get("/v1/cluster/nodes", bearer(root.access));
  CHECK(nodes.body.find("edge-1") != std::string::npos);
  CHECK(nodes.body.find("rogue") == std::string::npos);
  // Our CA, but plain TCP: refused too.
  auto po = adapter_node("plain", port);
  po.wait_ready = false;
  weft_node plain{po};
  REQUIRE(wait_until([&] { return plain.stderr_text().find("cannot join seed") != std::string::npos; },
                     std::chrono::seconds(15)));
  CHECK(svc.running());
  // Refused handshakes must not cost the good link (caf_openssl leaves
  // their errors in the thread's queue; see adapters/cluster/openssl_error_queue.cpp).
  for (int i = 0; i < 10; ++i) {
    auto me = edge.get("/v1/auth/me", bearer(t.access));
    INFO(me.body << "\nsvc: " << svc.stderr_text() << "\nedge: " << edge.stderr_text());
    REQUIRE(me.status == 200);
  }
  CHECK(svc.stderr_text().find("edge-1 (") == std::string::npos); // never "gone"
  CHECK(edge.stderr_text().find("is gone") == std::string::npos);
}

TEST_CASE("a malformed cluster section exits 2 naming the key", "[system][cluster][config]") {
  temp_dir dir;
  std::vector<std::pair<std::string, std::string>> cases = {
    {R"({"cluster": {"listen": "127.0.0.1"}})", "cluster.listen"},
    {R"({"cluster": {"listen": "127.0.0.1:0"}})", "cluster.tls.cert"},
    {R"({"cluster": {"listen": "127.0.0.1:0", "tls": {"insecure": "yes"}}})", "cluster.tls.insecure"},
  };
  int i = 0;
  for (auto& [text, key] : cases) {
    auto file = dir / ("bad" + std::to_string(++i) + ".json");
    write_text(file, text);
    auto r = run_weft(WEFT_BINARY, {"run", "--config", file.string()});
    INFO(text << " -> " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(key) != std::string::npos);
  }
}

TEST_CASE("a node that dials one seed learns every member through it", "[system][cluster]") {
  auto p1 = free_port(), p2 = free_port();
  weft_node a{service_node("svc-a", p1)};
  weft_node b{service_node("svc-b", p2, {"127.0.0.1:" + std::to_string(p1)})};
  // The adapter knows only svc-b; svc-b's record names svc-a.
  weft_node edge{adapter_node("edge-1", p2)};
  auto root = login_root(a);
  REQUIRE(wait_until(
    [&] {
      auto r = edge.get("/v1/cluster/nodes", bearer(root.access));
      return r.body.find("\"svc-a\"") != std::string::npos && r.body.find("\"svc-b\"") != std::string::npos;
    },
    10s));
  // And svc-a learns of the adapter, which dialled it.
  REQUIRE(wait_until([&] { return a.get("/v1/cluster/nodes", bearer(root.access)).body.find("edge-1") != std::string::npos; },
                     10s));
}
