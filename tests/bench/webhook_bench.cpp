// Webhook delivery benchmark, one run on this machine (not a test). For each
// mode (BENCH_MODES, default "embedded,durable"; durable = its own
// nats-server and PostgreSQL with fsync and synchronous_commit on):
// 1. throughput: BENCH_SUBSCRIPTIONS (100) paused subscriptions to a local
//    nginx answering 204, BENCH_EVENTS (200) events recorded for each, then
//    all resumed: deliveries per second until every one is delivered. The
//    reference, in the same run: raw libcurl (multi interface, the node's
//    max_in_flight at once, keep-alive) POSTing the same number of bodies of
//    the same size with the same headers to the same nginx.
// 2. latency: one subscription to a receiver in this process while POST
//    /v1/auth/api-keys runs at BENCH_RATE (500) per second for BENCH_SECONDS
//    (10): from the moment the request was sent (so the commit is in it) to
//    the moment the receiver read the delivery; p50, p99, max.
// Usage: webhook_bench <weft-binary> (make bench-webhooks).
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
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
#include "tests/support/http_receiver.hpp"
#include "tests/support/process.hpp"
#include "tests/support/prometheus.hpp"
#include "tests/support/servers.hpp"
#include "tests/support/weft_node.hpp"

using namespace weft::test;
using namespace weft::bench;
using json = nlohmann::json;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

constexpr int in_flight = 64; ///< the node's webhooks.max_in_flight, and curl's

void log(const std::string& s) {
  std::cerr << "webhook_bench: " << s << std::endl;
}

/// nginx answering 204 to every POST /hook, one worker, keep-alive.
struct nginx_sink {
  temp_dir dir{"weft-bench-nginx"};
  uint16_t port = free_port();
  std::unique_ptr<child_process> proc;

  nginx_sink() {
    std::filesystem::create_directories(dir / "tmp");
    std::string user = ::geteuid() == 0 ? "user root;" : "";
    write_text(dir / "nginx.conf",
               user + "\nworker_processes 1;\npid " + (dir / "nginx.pid").string()
                 + ";\nerror_log " + (dir / "error.log").string()
                 + " warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n"
                   "  keepalive_timeout 65;\n  keepalive_requests 100000000;\n"
                   "  client_body_temp_path " + (dir / "tmp").string() + ";\n"
                   "  client_body_buffer_size 64k;\n"
                   "  server {\n    listen 127.0.0.1:" + std::to_string(port)
                 + ";\n    location / { return 204; }\n  }\n}\n");
    child_options o;
    o.args = {"-p", dir.path().string(), "-c", (dir / "nginx.conf").string(), "-g", "daemon off;"};
    o.stderr_path = dir / "stderr";
    proc = std::make_unique<child_process>(find_executable("nginx"), o);
    if (!wait_until([&] { return accepts_tcp("127.0.0.1", port); }, 10s))
      throw std::runtime_error("nginx did not start: " + read_text(dir / "error.log"));
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
};

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

/// Raw libcurl: `total` POSTs of `body` with `headers` to `url`, `in_flight`
/// at a time on reused connections; posts per second.
double raw_curl(const std::string& url, const std::string& body,
                const std::vector<std::string>& headers, int total) {
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(in_flight));
  curl_slist* hs = nullptr;
  for (auto& h : headers)
    hs = curl_slist_append(hs, h.c_str());
  std::vector<CURL*> idle;
  auto start_one = [&](CURL* e) {
    curl_easy_setopt(e, CURLOPT_URL, url.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_multi_add_handle(multi, e);
  };
  int started = 0, done = 0, ok = 0;
  auto t0 = steady::now();
  for (int i = 0; i < in_flight && started < total; ++i, ++started)
    start_one(curl_easy_init());
  while (done < total) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* m = curl_multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE)
        continue;
      long code = 0;
      curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
      ok += code == 204 ? 1 : 0;
      ++done;
      curl_multi_remove_handle(multi, m->easy_handle);
      if (started < total) {
        start_one(m->easy_handle); // the same handle: its connection is reused
        ++started;
      } else {
        curl_easy_cleanup(m->easy_handle);
      }
    }
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  auto secs = std::chrono::duration<double>(steady::now() - t0).count();
  curl_slist_free_all(hs);
  curl_multi_cleanup(multi);
  if (ok != total)
    log("raw curl: only " + std::to_string(ok) + " of " + std::to_string(total) + " answered 204");
  return total / secs;
}

double metric(const weft_node& node, const std::string& name,
              const std::map<std::string, std::string>& match = {}) {
  return metric_sum(node.metrics_text(), name, match).value_or(0.0);
}

struct mode_result {
  std::string mode;
  double deliveries_per_s = 0;
  size_t body_bytes = 0;
  double p50 = 0, p99 = 0, max = 0;
  size_t sent = 0, received = 0;
};

/// Creates `n` API keys over `writers` connections as fast as they go.
void create_keys(const weft_node& node, const std::string& token, int n, const std::string& tag) {
  constexpr int writers = 8;
  std::vector<std::thread> ws;
  std::atomic<int> next{0};
  for (int w = 0; w < writers; ++w)
    ws.emplace_back([&] {
      http_client c("127.0.0.1", node.http_port(), true);
      for (int i = next++; i < n; i = next++)
        c.post("/v1/auth/api-keys", {{"name", tag + std::to_string(i)}, {"role", "user"}},
               bearer(token));
    });
  for (auto& t : ws)
    t.join();
}

mode_result run_mode(const std::string& binary, const std::string& mode, const nginx_sink& sink,
                     int subs, int events, int rate, int seconds) {
  mode_result out;
  out.mode = mode;
  std::unique_ptr<nats_server> nats;
  std::unique_ptr<postgres_cluster> pg;
  weft_node_options o;
  o.binary = binary;
  o.config = {{"node", {{"name", "webhook-bench"}}},
              {"auth", {{"jwt_secret", "webhook-bench-secret-0123456789-abcdefgh"}}},
              {"webhooks", {{"allow_hosts", {"127.0.0.1"}},
                            {"max_in_flight", in_flight},
                            {"max_subscriptions", 10000},
                            {"stats_ms", 200}}}};
  if (mode == "durable") {
    log("durable: nats-server -js, PostgreSQL (fsync on, synchronous_commit on) ...");
    nats = std::make_unique<nats_server>();
    pg = std::make_unique<postgres_cluster>(true);
    pg->create_database("weft");
    o.config["database"] = {{"url", pg->url("weft")}};
    o.config["nats"] = {{"url", nats->url()}};
  }
  o.env = {{"WEFT_ROOT_EMAIL", "root@bench.test"}, {"WEFT_ROOT_PASSWORD", "root-password-123"}};
  o.ready_deadline = 60s;
  weft_node node{o};
  auto token = node.post("/v1/auth/login", {{"email", "root@bench.test"}, {"password", "root-password-123"}})
                 .json().at("access_token").get<std::string>();
  auto auth = bearer(token);

  // 1. Throughput: everything recorded while paused, then resumed at once.
  std::vector<std::string> ids;
  for (int i = 0; i < subs; ++i) {
    auto r = node.post("/v1/subscriptions", {{"sink", sink.url()}, {"types", {"auth.apikey.created"}}}, auth);
    if (r.status != 201)
      throw std::runtime_error("subscribe: " + r.body);
    ids.push_back(r.json().at("id").get<std::string>());
    node.post("/v1/subscriptions/" + ids.back() + "/pause", json::object(), auth);
  }
  log(mode + ": " + std::to_string(events) + " events for " + std::to_string(subs) + " paused subscriptions ...");
  create_keys(node, token, events, "t");
  const double want = static_cast<double>(events) * subs;
  if (!wait_until([&] { return metric(node, "weft_webhook_pending") >= want; }, 180s))
    throw std::runtime_error("the deliveries were not all recorded");
  auto delivered0 = metric(node, "weft_webhook_attempts_total", {{"outcome", "delivered"}});
  auto t0 = steady::now();
  for (auto& id : ids)
    node.post("/v1/subscriptions/" + id + "/resume", json::object(), auth);
  if (!wait_until([&] {
        return metric(node, "weft_webhook_attempts_total", {{"outcome", "delivered"}}) - delivered0 >= want;
      }, 600s))
    throw std::runtime_error("not every delivery was made");
  out.deliveries_per_s = want / std::chrono::duration<double>(steady::now() - t0).count();
  for (auto& id : ids)
    node.del("/v1/subscriptions/" + id, auth);

  // 2. Latency at a steady rate, to a receiver here.
  http_receiver receiver([](size_t, const received_request&) { return receiver_answer{204, {}}; });
  auto r = node.post("/v1/subscriptions", {{"sink", receiver.url()}, {"types", {"auth.apikey.created"}}}, auth);
  if (r.status != 201)
    throw std::runtime_error("subscribe: " + r.body);
  log(mode + ": latency at " + std::to_string(rate) + "/s for " + std::to_string(seconds) + " s ...");
  auto sent_at = write_api_keys(node.http_port(), token, rate, seconds, "l");
  out.sent = sent_at.size();
  receiver.wait_count(out.sent, 30s);
  std::vector<double> ms;
  for (auto& q : receiver.requests()) {
    auto ev = json::parse(q.body, nullptr, false);
    if (!ev.is_object())
      continue;
    out.body_bytes = std::max(out.body_bytes, q.body.size());
    auto key = ev["data"].value("key_id", "");
    auto it = sent_at.find(key);
    if (it != sent_at.end())
      ms.push_back(std::chrono::duration<double, std::milli>(q.at - it->second).count());
  }
  out.received = ms.size();
  out.p50 = percentile(ms, 0.50);
  out.p99 = percentile(ms, 0.99);
  out.max = ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end());
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in{s};
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: webhook_bench <weft-binary>\n";
    return 2;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const std::string binary = argv[1];
  const int subs = env_int("BENCH_SUBSCRIPTIONS", 100);
  const int events = env_int("BENCH_EVENTS", 200);
  const int rate = env_int("BENCH_RATE", 500);
  const int seconds = env_int("BENCH_SECONDS", 10);
  const char* modes_env = std::getenv("BENCH_MODES");
  auto modes = split(modes_env != nullptr && *modes_env != '\0' ? modes_env : "embedded,durable");

  nginx_sink sink;
  std::vector<mode_result> rows;
  for (auto& m : modes)
    rows.push_back(run_mode(binary, m, sink, subs, events, rate, seconds));

  // The reference: the same number of POSTs, the same body size and headers.
  size_t bytes = 0;
  for (auto& r : rows)
    bytes = std::max(bytes, r.body_bytes);
  std::string body = R"({"specversion":"1.0","type":"auth.apikey.created","data":{"x":")"
                     + std::string(bytes > 120 ? bytes - 120 : 300, 'x') + "\"}}";
  std::vector<std::string> headers = {
    "Content-Type: application/cloudevents+json",
    "webhook-id: 01a24b75-e141-7586-a896-505b8c534b1c", "webhook-timestamp: 1765000000",
    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "Expect:"};
  log("raw libcurl reference ...");
  auto raw = raw_curl(sink.url(), body, headers, subs * events);

  std::printf("\nwebhook deliveries to nginx (204), %d subscriptions x %d events, %d in flight\n",
              subs, events, in_flight);
  std::printf("%-22s %12s %10s\n", "run", "posts/s", "x raw");
  std::printf("%-22s %12.0f %10s\n", "raw libcurl", raw, "1.00");
  for (auto& r : rows)
    std::printf("%-22s %12.0f %10.2f   (target >= 0.70)\n", ("weft " + r.mode).c_str(),
                r.deliveries_per_s, r.deliveries_per_s / raw);
  std::printf("\ncommit -> receiver at %d events/s for %d s (request sent -> delivery read)\n", rate,
              seconds);
  std::printf("%-22s %8s %8s %9s %9s %9s\n", "mode", "sent", "got", "p50 ms", "p99 ms", "max ms");
  for (auto& r : rows)
    std::printf("%-22s %8zu %8zu %9.1f %9.1f %9.1f   (target p99 < 100)\n", r.mode.c_str(), r.sent,
                r.received, r.p50, r.p99, r.max);
  curl_global_cleanup();
  return 0;
}
