// Cluster benchmark, one run on this machine (not a test): its own
// nats-server and PostgreSQL (durable defaults: fsync on), weft processes on
// loopback, and in the same run the references:
//   a. raw CAF 0.17: typed requests between two processes over the
//      middleman, 1 and 64 in flight (what a cross-node hop costs at best);
//   b. GET /v1/auth/me and POST /v1/auth/api-keys through an adapter node
//      against the same on the service node itself (targets: >= 0.7x, >= 0.9x);
//   c. the failover gap over 10 SIGKILLs of one of two service nodes under a
//      load of reads and idempotent writes (target: max < 5 s);
//   d. events/s of the audit service with 1, 2 and 3 replicas draining a
//      backlog of outbox rows (relays and inboxes compete).
// Usage: cluster_bench <weft-binary> (make bench-cluster). Env: BENCH_SECONDS
// (5, per wrk run), BENCH_KILLS (10), BENCH_BACKLOG (30000), BENCH_PARTS
// (abcd: which parts to run), BENCH_PARTITIONS (nats.partitions, 4).
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/weft_node.hpp"

using namespace weft::test;
using json = nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

void log(const std::string& s) {
  std::cerr << "cluster_bench: " << s << std::endl;
}

// -- a. raw CAF ----------------------------------------------------------------

using ping_atom = caf::atom_constant<caf::atom("ping")>;

/// Serves `(ping, string) -> string` on a free port; writes the port to `out`
/// and runs until its stdin closes. In a child process.
[[noreturn]] void caf_server(int out) {
  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>();
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto pong = sys.spawn([]() -> caf::behavior {
    return {[](ping_atom, const std::string& s) { return s; }};
  });
  auto port = sys.middleman().publish(pong, 0, "127.0.0.1");
  uint16_t p = port ? *port : 0;
  if (::write(out, &p, sizeof p) != sizeof p)
    _exit(1);
  ::close(out);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
  _exit(0);
}

/// Round trips per second against `pong` with `in_flight` requests outstanding.
double caf_rate(caf::actor_system& sys, const caf::actor& pong, int in_flight,
                std::chrono::milliseconds duration) {
  auto done = std::make_shared<std::atomic<long>>(0);
  auto stop = std::make_shared<std::atomic<bool>>(false);
  std::string payload(300, 'x');
  auto driver = sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto one = std::make_shared<std::function<void()>>();
    *one = [=] {
      if (*stop)
        return;
      self->request(pong, 10s, ping_atom::value, payload)
        .then([=](const std::string&) {
          ++*done;
          (*one)();
        },
              [](caf::error&) {});
    };
    for (int i = 0; i < in_flight; ++i)
      (*one)();
    return {[](caf::ok_atom) {}};
  });
  std::this_thread::sleep_for(500ms); // warm up (a benchmark, not a test)
  auto start = done->load();
  auto t0 = steady::now();
  std::this_thread::sleep_for(duration);
  auto n = done->load() - start;
  double secs = std::chrono::duration<double>(steady::now() - t0).count();
  *stop = true;
  caf::anon_send_exit(driver, caf::exit_reason::user_shutdown);
  return n / secs;
}

// -- b. wrk --------------------------------------------------------------------

struct wrk_result {
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  long non2xx = 0;
};

double to_ms(const std::string& v, const std::string& unit) {
  double x = std::stod(v);
  if (unit == "us")
    return x / 1000;
  if (unit == "s")
    return x * 1000;
  return x;
}

wrk_result run_wrk(const std::string& url, int conns, int secs, const std::string& script,
                   const std::string& token) {
  auto r = run_command("/usr/bin/wrk",
                       {conns < 2 ? "-t1" : "-t2", "-c" + std::to_string(conns), "-d" + std::to_string(secs) + "s",
                        "--latency", "-s", script, url},
                       {{"BENCH_TOKEN", token}}, std::chrono::seconds(secs + 30));
  wrk_result w;
  std::smatch m;
  if (std::regex_search(r.out, m, std::regex(R"(Requests/sec:\s+([\d.]+))")))
    w.rps = std::stod(m[1]);
  if (std::regex_search(r.out, m, std::regex(R"(50%\s+([\d.]+)(us|ms|s))")))
    w.p50_ms = to_ms(m[1], m[2]);
  if (std::regex_search(r.out, m, std::regex(R"(99%\s+([\d.]+)(us|ms|s))")))
    w.p99_ms = to_ms(m[1], m[2]);
  if (std::regex_search(r.out, m, std::regex(R"(Non-2xx or 3xx responses:\s+(\d+))")))
    w.non2xx = std::stol(m[1]);
  return w;
}

// -- nodes ---------------------------------------------------------------------

const std::string jwt_secret = "cluster-bench-secret-0123456789-abcdefghij";

json cluster_config(const std::string& name, uint16_t port, const std::vector<uint16_t>& seeds) {
  json s = json::array();
  for (auto p : seeds)
    s.push_back("127.0.0.1:" + std::to_string(p));
  return {{"name", "bench"},
          {"listen", "127.0.0.1:" + std::to_string(port)},
          {"seeds", s},
          {"tls", {{"insecure", true}}}};
}

weft_node_options node_opts(const std::string& binary, const nats_server& nats,
                            const postgres_cluster& pg, const std::string& db,
                            const std::string& name, uint16_t port,
                            const std::vector<uint16_t>& seeds, json services = nullptr) {
  weft_node_options o;
  o.binary = binary;
  o.config = {{"node", {{"name", name}}},
              {"auth", {{"jwt_secret", jwt_secret}, {"login_per_account", 100000},
                        {"login_per_ip", 100000}}},
              {"database", {{"url", pg.url(db)}}},
              {"nats", {{"url", nats.url()}, {"partitions", env_int("BENCH_PARTITIONS", 4)}}},
              {"cluster", cluster_config(name, port, seeds)}};
  if (!services.is_null())
    o.config["node"]["services"] = services;
  o.env = {{"WEFT_ROOT_EMAIL", "root@bench.test"}, {"WEFT_ROOT_PASSWORD", "root-password-123"}};
  o.ready_deadline = 60s;
  return o;
}

std::string root_token(const weft_node& n) {
  auto r = n.post("/v1/auth/login", {{"email", "root@bench.test"}, {"password", "root-password-123"}});
  if (r.status != 200)
    throw std::runtime_error("login: " + std::to_string(r.status) + " " + r.body);
  return r.json().at("access_token").get<std::string>();
}

bool sees(const weft_node& edge, const std::string& token, const std::string& node) {
  auto r = edge.get("/v1/cluster/nodes", bearer(token));
  auto j = r.json_or_null();
  if (!j.is_object())
    return false;
  for (auto& n : j["nodes"])
    if (n.value("name", "") == node && n.value("state", "") == "up")
      return true;
  return false;
}

double median(std::vector<double> v) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void row(const std::string& what, const std::string& figure, const std::string& note) {
  std::printf("%-52s %22s  %s\n", what.c_str(), figure.c_str(), note.c_str());
}

std::string fmt(double x, int prec = 0) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, x);
  return b;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cluster_bench <weft-binary>\n";
    return 1;
  }
  std::string binary = argv[1];
  std::string here = std::string(argv[0]).substr(0, std::string(argv[0]).rfind('/'));
  std::string lua = std::string(WEFT_BENCH_DIR);
  int secs = env_int("BENCH_SECONDS", 5);
  int kills = env_int("BENCH_KILLS", 10);
  int backlog = env_int("BENCH_BACKLOG", 30000);
  const char* parts_env = std::getenv("BENCH_PARTS");
  std::string parts = parts_env != nullptr && *parts_env != '\0' ? parts_env : "abcd";
  auto part = [&](char c) { return parts.find(c) != std::string::npos; };

  // a. The CAF server runs in a child forked before any thread exists.
  int fds[2];
  int in[2];
  if (::pipe(fds) != 0 || ::pipe(in) != 0)
    return 1;
  pid_t child = part('a') ? ::fork() : 1;
  if (child == 0) {
    ::close(fds[0]);
    ::dup2(in[0], 0);
    ::close(in[1]);
    caf_server(fds[1]);
  }
  ::close(fds[1]);
  ::close(in[0]);
  uint16_t caf_port = 0;
  if (part('a') && (::read(fds[0], &caf_port, sizeof caf_port) != sizeof caf_port || caf_port == 0)) {
    std::cerr << "cluster_bench: the CAF reference server did not start\n";
    return 1;
  }
  double caf1 = 0, caf64 = 0;
  if (part('a')) {
    log("a. raw CAF requests between two processes ...");
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", 2);
    caf::actor_system sys{cfg};
    auto pong = sys.middleman().remote_actor("127.0.0.1", caf_port);
    if (!pong) {
      std::cerr << "cluster_bench: cannot reach the CAF server: " << sys.render(pong.error()) << "\n";
      return 1;
    }
    caf1 = caf_rate(sys, *pong, 1, std::chrono::seconds(secs));
    caf64 = caf_rate(sys, *pong, 64, std::chrono::seconds(secs));
  }
  ::close(in[1]);
  if (part('a'))
    ::waitpid(child, nullptr, 0);

  log("servers: nats-server -js, PostgreSQL (fsync on, synchronous_commit on) ...");
  nats_server nats;
  postgres_cluster pg{true};
  pg.create_database("weft");

  // b. One service node, one adapter node.
  wrk_result me_direct, me_edge, me1_direct, me1_edge, keys_direct, keys_edge;
  if (part('b')) {
    log("b. a service node and an adapter node ...");
    auto p1 = free_port(), pe = free_port();
    weft_node svc{node_opts(binary, nats, pg, "weft", "svc-1", p1, {})};
    weft_node edge{node_opts(binary, nats, pg, "weft", "edge-1", pe, {p1}, json::array())};
    auto token = root_token(svc);
    auto me = lua + "/me.lua";
    auto keys = lua + "/api_keys.lua";
    log("b. GET /v1/auth/me -c64, direct then through the adapter ...");
    me_direct = run_wrk(svc.base_url(), 64, secs, me, token);
    me_edge = run_wrk(edge.base_url(), 64, secs, me, token);
    log("b. GET /v1/auth/me -c1 ...");
    me1_direct = run_wrk(svc.base_url(), 1, secs, me, token);
    me1_edge = run_wrk(edge.base_url(), 1, secs, me, token);
    log("b. POST /v1/auth/api-keys -c32 ...");
    keys_direct = run_wrk(svc.base_url(), 32, secs, keys, token);
    keys_edge = run_wrk(edge.base_url(), 32, secs, keys, token);
  }

  // c. Two service nodes and an adapter; kill one, restart it, again.
  std::vector<double> gaps, stalls;
  long failed_total = 0, requests_total = 0;
  if (part('c')) {
    log("c. failover: " + std::to_string(kills) + " SIGKILLs of one of two service nodes under load ...");
    pg.create_database("weft_failover");
    auto p1 = free_port(), p2 = free_port(), pe = free_port();
    weft_node svc1{node_opts(binary, nats, pg, "weft_failover", "svc-1", p1, {p2})};
    weft_node svc2{node_opts(binary, nats, pg, "weft_failover", "svc-2", p2, {p1})};
    weft_node edge{node_opts(binary, nats, pg, "weft_failover", "edge-1", pe, {p1, p2}, json::array())};
    auto token = root_token(svc1);
    wait_until([&] { return sees(edge, token, "svc-1") && sees(edge, token, "svc-2"); }, 30s);
    struct sample {
      long start_ms, end_ms;
      int status;
    };
    std::mutex mtx;
    std::vector<sample> samples;
    std::atomic<bool> stop{false};
    auto t0 = steady::now();
    auto now_ms = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count();
    };
    std::vector<std::thread> threads;
    std::atomic<int> next{0};
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        http_client c("127.0.0.1", edge.http_port(), true, 10s);
        while (!stop) {
          long s = now_ms();
          int status;
          if (t < 2) {
            status = c.get("/v1/auth/me", bearer(token)).status;
          } else {
            auto h = bearer(token);
            auto key = "bench-" + std::to_string(next++);
            h.add("Idempotency-Key", key);
            status = c.post("/v1/auth/api-keys", {{"name", key}, {"role", "user"}}, h).status;
          }
          std::lock_guard<std::mutex> lk(mtx);
          samples.push_back({s, now_ms(), status});
        }
      });
    for (int k = 0; k < kills; ++k) {
      std::this_thread::sleep_for(1s); // load before the kill (a benchmark's pacing)
      long at = now_ms();
      svc1.kill();
      std::this_thread::sleep_for(2s);
      {
        std::lock_guard<std::mutex> lk(mtx);
        long last_fail = at, stall = 0;
        for (auto& s : samples) {
          if (s.end_ms >= at && s.status != 200 && s.status != 201)
            last_fail = std::max(last_fail, s.end_ms);
          if (s.start_ms <= at && s.end_ms >= at)
            stall = std::max(stall, s.end_ms - s.start_ms);
        }
        gaps.push_back(static_cast<double>(last_fail - at));
        stalls.push_back(static_cast<double>(stall));
      }
      svc1.start();
      svc1.wait_ready(60s);
      wait_until([&] { return sees(edge, token, "svc-1"); }, 30s);
    }
    stop = true;
    for (auto& t : threads)
      t.join();
    for (auto& s : samples) {
      ++requests_total;
      if (s.status != 200 && s.status != 201)
        ++failed_total;
    }
  }

  // d. The audit service on 1, 2, 3 nodes draining one backlog each.
  std::vector<double> drains;
  std::vector<long> redelivered, duplicates;
  for (int n = 1; n <= 3 && part('d'); ++n) {
    log("d. " + std::to_string(backlog) + " events through audit on " + std::to_string(n) + " node(s) ...");
    auto db = "weft_r" + std::to_string(n);
    pg.create_database(db);
    std::vector<uint16_t> ports;
    for (int i = 0; i < n; ++i)
      ports.push_back(free_port());
    std::vector<std::unique_ptr<weft_node>> nodes;
    for (int i = 0; i < n; ++i) {
      std::vector<uint16_t> seeds;
      for (int j = 0; j < i; ++j)
        seeds.push_back(ports[j]);
      nodes.push_back(std::make_unique<weft_node>(node_opts(
        binary, nats, pg, db, "r" + std::to_string(i + 1), ports[i], seeds, json{"auth", "audit"})));
    }
    // With partitions: every node reads its share before the clock starts
    // (a partition just taken waits ack_wait before it is read).
    if (env_int("BENCH_PARTITIONS", 4) > 1) {
      auto reading = [](weft_node& node) {
        std::smatch m;
        std::string text = node.metrics_text();
        std::regex line(R"(weft_partitions_reading\{consumer="audit"\} ([\d.]+))");
        return std::regex_search(text, m, line) ? std::stoi(m[1]) : 0;
      };
      bool spread = wait_until(
        [&] {
          int total = 0;
          for (auto& node : nodes) {
            int k = reading(*node);
            if (k == 0)
              return false;
            total += k;
          }
          return total == env_int("BENCH_PARTITIONS", 4);
        },
        60s);
      log(std::string("   partitions ") + (spread ? "shared by every node" : "NOT shared in 60 s"));
    }
    auto type = "bench.r" + std::to_string(n) + ".created";
    auto t0 = steady::now();
    pg.psql("INSERT INTO weft_outbox (event_id, type, subject, payload)"
            " SELECT id, '" + type + "', 'item-' || g, json_build_object('specversion', '1.0',"
            " 'id', id, 'source', '/weft/bench', 'type', '" + type + "',"
            " 'time', to_char(now() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
            " 'subject', 'item-' || g, 'datacontenttype', 'application/json',"
            " 'data', json_build_object('n', g, 'note', 'the quick brown fox jumps over the lazy dog'))::text"
            " FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, " + std::to_string(backlog) + ") g) s;"
            " SELECT pg_notify('weft_outbox', '')", db);
    auto last_log = steady::now();
    bool done = wait_until(
      [&] {
        auto trail = std::stol(pg.psql("SELECT count(*) FROM weft_audit_trail WHERE type = '" + type + "'", db));
        if (steady::now() - last_log >= 2s) {
          last_log = steady::now();
          log("   published " + pg.psql("SELECT count(*) FROM weft_outbox WHERE published_at IS NOT NULL AND type = '" + type + "'", db)
              + ", in the trail " + std::to_string(trail));
        }
        return trail >= backlog;
      },
      300s);
    double secs_taken = std::chrono::duration<double>(steady::now() - t0).count();
    drains.push_back(done ? backlog / secs_taken : 0);
    // What competing replicas cost: redeliveries and duplicates dropped.
    long re = 0, dup = 0;
    std::regex re_line(R"(^weft_events_redelivered_total\{[^}]*\} ([\d.e+]+))");
    std::regex dup_line(R"(^weft_inbox_duplicates_total\{[^}]*\} ([\d.e+]+))");
    for (auto& node : nodes) {
      std::istringstream text(node->metrics_text());
      for (std::string line; std::getline(text, line);) {
        std::smatch m;
        if (std::regex_search(line, m, re_line))
          re += static_cast<long>(std::stod(m[1]));
        else if (std::regex_search(line, m, dup_line))
          dup += static_cast<long>(std::stod(m[1]));
      }
    }
    redelivered.push_back(re);
    duplicates.push_back(dup);
  }

  std::printf("\nCluster, one run on this machine (2 cores shared by every process; PostgreSQL fsync on)\n");
  std::printf("%-52s %22s  %s\n", "measure", "figure", "note");
  std::printf("%s\n", std::string(110, '-').c_str());
  row("a. raw CAF cross-process requests, 1 in flight", fmt(caf1) + " req/s", "reference");
  row("a. raw CAF cross-process requests, 64 in flight", fmt(caf64) + " req/s", "reference");
  auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
  row("b. GET /v1/auth/me -c64 on the service node", fmt(me_direct.rps) + " req/s",
      "p99 " + fmt(me_direct.p99_ms, 1) + " ms");
  row("b. GET /v1/auth/me -c64 through the adapter", fmt(me_edge.rps) + " req/s",
      "p99 " + fmt(me_edge.p99_ms, 1) + " ms; x direct " + fmt(ratio(me_edge.rps, me_direct.rps), 2)
        + (ratio(me_edge.rps, me_direct.rps) >= 0.7 ? " (target >= 0.7: met)" : " (target >= 0.7: MISSED)")
        + "; x raw CAF@64 " + fmt(ratio(me_edge.rps, caf64), 2));
  row("b. GET /v1/auth/me -c1 on the service node", fmt(me1_direct.rps) + " req/s",
      "p50 " + fmt(me1_direct.p50_ms, 2) + " ms");
  row("b. GET /v1/auth/me -c1 through the adapter", fmt(me1_edge.rps) + " req/s",
      "p50 " + fmt(me1_edge.p50_ms, 2) + " ms; x direct " + fmt(ratio(me1_edge.rps, me1_direct.rps), 2)
        + "; x raw CAF@1 " + fmt(ratio(me1_edge.rps, caf1), 2));
  row("b. POST /v1/auth/api-keys -c32 on the service node", fmt(keys_direct.rps) + " req/s",
      "p99 " + fmt(keys_direct.p99_ms, 1) + " ms, non-2xx " + std::to_string(keys_direct.non2xx));
  row("b. POST /v1/auth/api-keys -c32 through the adapter", fmt(keys_edge.rps) + " req/s",
      "p99 " + fmt(keys_edge.p99_ms, 1) + " ms; x direct " + fmt(ratio(keys_edge.rps, keys_direct.rps), 2)
        + (ratio(keys_edge.rps, keys_direct.rps) >= 0.9 ? " (target >= 0.9: met)" : " (target >= 0.9: MISSED)")
        + ", non-2xx " + std::to_string(keys_edge.non2xx));
  double max_gap = gaps.empty() ? 0 : *std::max_element(gaps.begin(), gaps.end());
  double max_stall = stalls.empty() ? 0 : *std::max_element(stalls.begin(), stalls.end());
  row("c. failover gap over " + std::to_string(gaps.size()) + " SIGKILLs, median / max",
      fmt(median(gaps)) + " / " + fmt(max_gap) + " ms",
      std::string(max_gap < 5000 ? "target max < 5 s: met" : "target max < 5 s: MISSED")
        + "; last failed request after the kill");
  row("c. longest request in flight at a kill, median / max",
      fmt(median(stalls)) + " / " + fmt(max_stall) + " ms", "re-sent to the other replica");
  row("c. failed requests, all kills", std::to_string(failed_total) + " / " + std::to_string(requests_total),
      "reads and writes with Idempotency-Key");
  for (size_t i = 0; i < drains.size(); ++i)
    row("d. audit with " + std::to_string(i + 1) + " replica(s), backlog drained", fmt(drains[i]) + " ev/s",
        (i == 0 ? std::string{} : "x 1 replica " + fmt(ratio(drains[i], drains[0]), 2) + "; ")
          + "redelivered " + std::to_string(redelivered[i]) + ", duplicates dropped "
          + std::to_string(duplicates[i]));
  std::printf("\nFigures from one run on a shared 2-core machine: compare ratios, not absolutes.\n");
  return 0;
}
