// Server-Sent Events benchmark, one run on this machine (not a test): its own
// nats-server and PostgreSQL (durable defaults: fsync and synchronous_commit
// on) and one weft node. For each reader count (BENCH_CLIENTS, default
// "1,100,1000"; 1 shows the commit alone): that many streams `GET /v1/events?types=auth.apikey.created`
// are open while a writer posts POST /v1/auth/api-keys at BENCH_RATE (1000)
// per second for BENCH_SECONDS (10) over 16 keep-alive connections. Each
// event's latency, on every stream, is from the moment its request was sent
// (so it includes the commit) to the moment the stream delivered it. The
// node's CPU (user + system, from /proc) per delivered event is printed too.
// Usage: sse_bench <weft-binary> (make bench-sse).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/bench/bench_common.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/sse_client.hpp"
#include "tests/support/weft_node.hpp"

using namespace weft::test;
using namespace weft::bench;
using json = nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::vector<int> env_list(const char* name, std::vector<int> fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0')
    return fallback;
  std::vector<int> out;
  std::stringstream in{v};
  std::string item;
  while (std::getline(in, item, ','))
    out.push_back(std::atoi(item.c_str()));
  return out;
}

void log(const std::string& s) {
  std::cerr << "sse_bench: " << s << std::endl;
}

/// One raw stream: its socket and what was read but not scanned yet.
struct stream_conn {
  int fd = -1;
  std::string buf;
};

/// Opens `n` streams (head read), each with its own socket.
std::vector<stream_conn> open_streams(uint16_t port, const std::string& token, int n) {
  std::vector<stream_conn> out;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
      throw std::runtime_error("connect failed (open files limit?)");
    std::string req = "GET /v1/events?types=auth.apikey.created HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer " + token + "\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
      throw std::runtime_error("send failed");
    out.push_back({fd, {}});
  }
  return out;
}

struct received {
  std::string id;
  steady::time_point at;
};

/// Reads every stream until `stop`, recording (key id, when) per event.
void read_streams(std::vector<stream_conn>& conns, std::atomic<bool>& stop,
                  std::vector<received>& out, std::atomic<size_t>& count) {
  std::vector<pollfd> fds;
  for (auto& c : conns)
    fds.push_back({c.fd, POLLIN, 0});
  static const std::string marker = "\"key_id\":\"";
  char buf[65536];
  while (!stop.load()) {
    if (::poll(fds.data(), fds.size(), 100) <= 0)
      continue;
    auto now = steady::now();
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN))
        continue;
      auto n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      auto& b = conns[i].buf;
      b.append(buf, static_cast<size_t>(n));
      size_t pos = 0, done = 0;
      while ((pos = b.find(marker, pos)) != std::string::npos) {
        if (b.size() < pos + marker.size() + 36)
          break;
        out.push_back({b.substr(pos + marker.size(), 36), now});
        count.fetch_add(1, std::memory_order_relaxed);
        pos += marker.size() + 36;
        done = pos;
      }
      if (done > 0)
        b.erase(0, done);
      else if (b.size() > 4096)
        b.erase(0, b.size() - 64); // heartbeats, heads: keep a possible partial marker
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: sse_bench <weft-binary>\n";
    return 2;
  }
  const std::string binary = argv[1];
  const int rate = env_int("BENCH_RATE", 1000);
  const int seconds = env_int("BENCH_SECONDS", 10);
  const auto counts = env_list("BENCH_CLIENTS", {1, 100, 1000});

  log("servers: nats-server -js, PostgreSQL (fsync on, synchronous_commit on) ...");
  nats_server nats;
  postgres_cluster pg{true};
  pg.create_database("weft");
  weft_node_options o;
  o.binary = binary;
  o.config = {{"node", {{"name", "sse-bench"}}},
              {"auth", {{"jwt_secret", "sse-bench-secret-0123456789-abcdefghijkl"}}},
              {"database", {{"url", pg.url("weft")}}},
              {"nats", {{"url", nats.url()}}},
              {"sse", {{"max_streams", 100000}}}};
  o.env = {{"WEFT_ROOT_EMAIL", "root@bench.test"}, {"WEFT_ROOT_PASSWORD", "root-password-123"}};
  o.ready_deadline = 60s;
  weft_node node{o};
  auto login = node.post("/v1/auth/login", {{"email", "root@bench.test"}, {"password", "root-password-123"}});
  auto token = login.json().at("access_token").get<std::string>();

  struct row {
    int clients;
    size_t sent, delivered;
    double p50, p99, max, cpu_us_per_event, achieved_rate, fan99;
  };
  std::vector<row> rows;
  for (int clients : counts) {
    log("streams: " + std::to_string(clients) + " ...");
    auto conns = open_streams(node.http_port(), token, clients);
    std::atomic<bool> stop{false};
    std::vector<received> got;
    std::atomic<size_t> count{0};
    got.reserve(static_cast<size_t>(rate) * seconds * clients + 1024);
    std::thread reader{[&] { read_streams(conns, stop, got, count); }};
    std::this_thread::sleep_for(1s); // the heads are in

    // The writer: 16 connections, each at rate/16, on a fixed schedule.
    auto cpu0 = cpu_seconds(node.pid());
    auto t0 = steady::now();
    auto sent_at = write_api_keys(node.http_port(), token, rate, seconds, "b");
    auto write_secs = std::chrono::duration<double>(steady::now() - t0).count();
    // Let the streams catch up (or give up after 10 s).
    auto want = sent_at.size() * static_cast<size_t>(clients);
    auto until = steady::now() + 10s;
    while (steady::now() < until) {
      std::this_thread::sleep_for(100ms);
      if (count.load() >= want)
        break;
    }
    auto cpu1 = cpu_seconds(node.pid());
    stop = true;
    reader.join();
    for (auto& c : conns)
      ::close(c.fd);
    std::vector<double> lat, spread;
    lat.reserve(got.size());
    std::map<std::string, steady::time_point> first;
    for (auto& g : got)
      if (auto it = sent_at.find(g.id); it != sent_at.end()) {
        lat.push_back(std::chrono::duration<double, std::milli>(g.at - it->second).count());
        auto [f, fresh] = first.emplace(g.id, g.at);
        if (!fresh && g.at < f->second)
          f->second = g.at;
      }
    // Fan-out: how much later than its first stream each stream got an event.
    spread.reserve(got.size());
    for (auto& g : got)
      if (auto f = first.find(g.id); f != first.end())
        spread.push_back(std::chrono::duration<double, std::milli>(g.at - f->second).count());
    row r{clients, sent_at.size(), lat.size(), percentile(lat, 0.5), percentile(lat, 0.99),
          lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()),
          lat.empty() ? 0 : (cpu1 - cpu0) * 1e6 / static_cast<double>(lat.size()),
          static_cast<double>(sent_at.size()) / write_secs, percentile(spread, 0.99)};
    rows.push_back(r);
    std::this_thread::sleep_for(1s);
  }

  std::printf("\nServer-Sent Events, one run on this machine (2 cores shared by every process; "
              "PostgreSQL fsync on)\n");
  std::printf("writes: POST /v1/auth/api-keys at %d/s target for %d s; latency = request sent -> "
              "event read on a stream\n", rate, seconds);
  std::printf("%8s %10s %8s %12s %12s %9s %9s %9s %12s %14s\n", "streams", "writes/s", "writes",
              "delivered", "of expected", "p50 ms", "p99 ms", "max ms", "fan-out p99", "node CPU/event");
  for (auto& r : rows)
    std::printf("%8d %10.0f %8zu %12zu %11.1f%% %9.1f %9.1f %9.1f %9.1f ms %11.1f us\n", r.clients,
                r.achieved_rate, r.sent, r.delivered,
                100.0 * static_cast<double>(r.delivered) / static_cast<double>(std::max<size_t>(r.sent * r.clients, 1)),
                r.p50, r.p99, r.max, r.fan99, r.cpu_us_per_event);
  std::printf("fan-out p99: how much later than the first stream to get an event the others got it\n");
  std::printf("target: p99 < 50 ms with 1,000 streams at 1,000 events/s\n");
  return 0;
}
