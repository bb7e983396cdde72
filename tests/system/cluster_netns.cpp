// A cluster across network namespaces made by the test (`ip netns`, a veth
// pair): a service node in its own namespace, an adapter node in the test's.
// Cutting the link (a partition, not a crash: both processes keep running)
// is detected by the heartbeats within cluster.timeout_ms, the adapter then
// answers 503 at once; when the link returns the service node is dialled
// again and serves. Needs root (CAP_NET_ADMIN) and iproute2; elsewhere the
// test says so and checks nothing.
#include "tests/system/common.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

using namespace sys;

namespace {

using steady = std::chrono::steady_clock;

int shell_status(const std::string& cmd) {
  return std::system((cmd + " > /dev/null 2>&1").c_str());
}

/// A namespace `weft-<pid>` joined to this one by a veth pair:
/// 10.<a>.<b>.1 inside, 10.<a>.<b>.2 here.
struct veth_namespace {
  std::string ns, here_if, there_if, here_ip, there_ip;
  bool ok = false;

  veth_namespace() {
    auto pid = static_cast<int>(::getpid());
    ns = "weft-" + std::to_string(pid);
    here_if = "wh" + std::to_string(pid % 100000);
    there_if = "wt" + std::to_string(pid % 100000);
    auto net = "10." + std::to_string(100 + pid % 100) + "." + std::to_string((pid / 100) % 250);
    there_ip = net + ".1";
    here_ip = net + ".2";
    ok = shell_status("ip netns add " + ns) == 0
         && shell_status("ip link add " + here_if + " type veth peer name " + there_if) == 0
         && shell_status("ip link set " + there_if + " netns " + ns) == 0
         && shell_status("ip addr add " + here_ip + "/24 dev " + here_if) == 0
         && shell_status("ip link set " + here_if + " up") == 0
         && shell_status("ip netns exec " + ns + " ip addr add " + there_ip + "/24 dev " + there_if) == 0
         && shell_status("ip netns exec " + ns + " ip link set " + there_if + " up") == 0
         && shell_status("ip netns exec " + ns + " ip link set lo up") == 0;
  }

  ~veth_namespace() {
    shell_status("ip link del " + here_if);
    shell_status("ip netns del " + ns);
  }

  /// The partition: the link goes down (packets are dropped, nothing closes).
  void cut() { shell_status("ip link set " + here_if + " down"); }
  void heal() { shell_status("ip link set " + here_if + " up"); }
};

} // namespace

TEST_CASE("cluster across network namespaces: a partition is detected, and the node rejoins "
          "when the link returns",
          "[system][cluster][netns]") {
  if (::geteuid() != 0) {
    WARN("not root: network namespaces cannot be made here; nothing checked");
    return;
  }
  veth_namespace net;
  if (!net.ok) {
    WARN("ip netns / veth not available here; nothing checked");
    return;
  }
  auto svc_port = free_port(), edge_port = free_port();
  // The service node runs inside the namespace (ip netns exec keeps the pid).
  temp_dir dir;
  auto wrapper = dir / "weft-in-ns";
  write_text(wrapper, "#!/bin/sh\nexec ip netns exec " + net.ns + " " + std::string{WEFT_BINARY} + " \"$@\"\n");
  REQUIRE(shell_status("chmod +x " + wrapper.string()) == 0);
  auto so = node_options({{"node", {{"name", "svc-ns"}}},
                          {"cluster",
                           {{"listen", net.there_ip + ":" + std::to_string(svc_port)},
                            {"seeds", {net.here_ip + ":" + std::to_string(edge_port)}},
                            {"tls", {{"insecure", true}}}}}});
  so.binary = wrapper;
  so.wait_ready = false; // its HTTP port is inside the namespace
  weft_node svc{so};

  auto eo = node_options({{"node", {{"name", "edge"}, {"services", json::array()}}},
                          {"cluster",
                           {{"listen", net.here_ip + ":" + std::to_string(edge_port)},
                            {"seeds", {net.there_ip + ":" + std::to_string(svc_port)}},
                            {"tls", {{"insecure", true}}}}}});
  weft_node edge{eo}; // ready: it reached the service node across the veth
  auto email = unique_email("netns");
  register_user(edge, email);
  auto t = login(edge, email);
  REQUIRE(edge.get("/v1/auth/me", bearer(t.access)).status == 200);

  // Partition: nothing closes, only the heartbeats stop (timeout 1.5 s).
  auto t0 = steady::now();
  net.cut();
  REQUIRE(wait_until([&] { return edge.get("/health/ready").status == 503; }, 10s));
  auto detected = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
  std::cout << "netns partition detected after " << detected << " ms" << std::endl;
  CHECK(detected < 5000);
  auto t1 = steady::now();
  CHECK(edge.get("/v1/auth/me", bearer(t.access)).status == 503);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t1).count() < 1000);
  CHECK(svc.running()); // partitioned, not dead

  // The link returns: dialled again, a member again, serving.
  net.heal();
  REQUIRE(wait_until([&] { return edge.get("/health/ready").status == 200; }, 20s));
  CHECK(edge.get("/v1/auth/me", bearer(t.access)).status == 200);
}
