#include "tests/bench/durable_e2e_support.hpp"

#include <nats/nats.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include <caf/all.hpp>

#include "actors/audit/trail.hpp"
#include "adapters/postgres/pg_store.hpp"
#include "actors/inbox/pg_inbox.hpp"
#include "actors/outbox/pg_outbox_relay.hpp"
#include "actors/outbox/settings.hpp"
#include "adapters/postgres/migrations.hpp"
#include "adapters/postgres/settings.hpp"
#include "events/codec.hpp"
#include "events/ids.hpp"

namespace weft::bench {

using namespace std::chrono;

pg::connect_options connect_to(const std::string& url, const std::string& name) {
  pg::connect_options o;
  o.url = url;
  o.application_name = name;
  return o;
}

void configure_scheduler(caf::actor_system_config& cfg) {
  // As main/node.cpp with node.scheduler_threads = 0: one worker per core.
  size_t threads = std::max(1u, std::thread::hardware_concurrency());
  if (const char* n = std::getenv("BENCH_CAF_THREADS"); n != nullptr && std::atoi(n) > 0)
    threads = static_cast<size_t>(std::atoi(n));
  cfg.set("scheduler.max-threads", threads);
}

int64_t now_ns() {
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

// -- arrival_marks -------------------------------------------------------------

void arrival_marks::arrived(long i, int64_t t) {
  if (i < 0 || i >= static_cast<long>(arrive.size()))
    return;
  int64_t zero = 0;
  arrive[i].compare_exchange_strong(zero, t, std::memory_order_relaxed);
}

latency_figures arrival_marks::latencies(long from, long to) const {
  std::vector<double> ms;
  for (long i = from; i < to; ++i) {
    auto c = commit[i].load(), a = arrive[i].load();
    if (c != 0 && a != 0) // an arrival before the writer noted its commit counts as 0
      ms.push_back(std::max<int64_t>(a - c, 0) / 1e6);
  }
  latency_figures f;
  if (std::getenv("BENCH_LATENCY_TRACE") != nullptr) // p99 per second, to stderr
    for (long s0 = from; s0 < to; s0 += 1000) {
      std::vector<double> w;
      for (long i = s0; i < std::min(to, s0 + 1000); ++i)
        if (commit[i].load() != 0 && arrive[i].load() != 0)
          w.push_back(std::max<int64_t>(arrive[i].load() - commit[i].load(), 0) / 1e6);
      std::sort(w.begin(), w.end());
      if (!w.empty())
        std::fprintf(stderr, "    latency second %ld: p50 %.1f p99 %.1f max %.1f ms\n", (s0 - from) / 1000,
                     w[w.size() / 2], w[w.size() * 99 / 100], w.back());
    }
  f.count = static_cast<long>(ms.size());
  if (ms.empty())
    return f;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))]; };
  f.p50_ms = at(0.50);
  f.p90_ms = at(0.90);
  f.p99_ms = at(0.99);
  f.max_ms = ms.back();
  return f;
}

long arrival_marks::committed() const {
  long n = 0;
  for (auto& c : commit)
    n += c.load(std::memory_order_relaxed) != 0;
  return n;
}

// -- run_ids -------------------------------------------------------------------

run_ids::run_ids() : tag_(static_cast<uint32_t>(std::random_device{}())) {
}

events::envelope run_ids::event(long i, long aggregates) const {
  char id[40];
  std::snprintf(id, sizeof id, "%08x-0000-7000-8000-%012lx", tag_, static_cast<unsigned long>(i));
  events::envelope e;
  e.id = id;
  e.source = "/weft/bench";
  e.type = "bench.item.created";
  e.time = events::now_rfc3339_ms();
  e.subject = "item-" + std::to_string(aggregates > 0 ? i % aggregates : i);
  e.correlationid = "bench";
  // ~300 bytes encoded, as raw_jetstream's and raw_postgres's rows.
  e.data = R"({"n":)" + std::to_string(i)
           + R"(,"note":"the quick brown fox jumps over the lazy dog 0123456789 abcdefghij"})";
  return e;
}

long run_ids::index_of(const std::string& id) const {
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", tag_);
  if (id.size() != 36 || id.compare(0, 8, tag) != 0)
    return -1;
  return std::strtol(id.c_str() + 24, nullptr, 16);
}

size_t run_ids::sample_size() const {
  return events::encode(event(123456, 0)).size();
}

// -- pipeline ------------------------------------------------------------------

pipeline::pipeline(caf::actor_system& sys, std::string db, std::string nats,
                   std::shared_ptr<arrival_marks> m, const run_ids& ids)
  : db_url(std::move(db)), nats_url(std::move(nats)), marks(std::move(m)), sys_(sys), ids_(ids) {
  db_.url = db_url;
  nats_.url = nats_url;
}

pipeline::~pipeline() {
  stop();
}

std::string pipeline::start() {
  const std::string node = "bench";
  pool_ = std::make_unique<pg::pool>(pg::pool::spawn(sys_, pg::pool_options_from(db_, node)));
  auto js = nats::jetstream_bus::start(sys_, nats::jetstream_options_from(nats_, node, &metrics_));
  if (!js)
    return "nats: " + sys_.render(js.error());
  js_ = std::move(*js);
  // As main/node_assembly.cpp, part "outbox".
  auto ro = outbox::pg_relay_options_from(outbox_);
  ro.pool = *pool_;
  ro.listen = pg::connect_options_from(db_, node + "-listen");
  ro.bus = js_->actor();
  ro.metrics = &metrics_;
  ro.name = node;
  relay_ = outbox::spawn_pg_outbox_relay(sys_, ro);
  // As node_assembly, part "deliveries", for audit: the handlers noting arrivals.
  inbox::pg_inbox_options io;
  io.consumer = "audit";
  io.conn = pg::connect_options_from(db_, node);
  auto m = marks;
  const run_ids* ids = &ids_;
  // The audit service's own handlers, through the kit's unit of work.
  io.batch_handler = [m, ids](unit_of_work& w, std::span<const events::envelope> evs) {
    auto t = now_ns();
    for (const auto& ev : evs)
      m->arrived(ids->index_of(ev.id), t);
    m->handled += static_cast<long>(evs.size());
    return audit::on_events(w, evs);
  };
  io.handler = [m, ids](unit_of_work& w, const events::envelope& ev) {
    m->arrived(ids->index_of(ev.id), now_ns());
    return audit::on_event(w, ev);
  };
  io.relay = relay_;
  io.metrics = &metrics_;
  inbox_ = inbox::spawn_pg_inbox(sys_, io);
  consumer_config cc; // as node_assembly's consumer_for
  cc.name = "audit";
  cc.filters = {"weft.>"};
  cc.ack_wait_ms = bus_.ack_wait_ms;
  cc.max_deliver = bus_.max_deliver;
  cc.backoff_ms = bus_.backoff_ms;
  cc.max_ack_pending = bus_.max_ack_pending;
  std::string err;
  caf::scoped_actor self{sys_};
  self->request(js_->actor(), seconds{30}, subscribe_atom::value, cc, inbox_)
    .receive([](ack_atom) {}, [&](caf::error& e) { err = "subscribe: " + sys_.render(e); });
  probe_ = std::make_unique<pg::connection>(connect_to(db_url, "bench-probe"));
  return err;
}

void pipeline::stop() {
  if (stopped_.exchange(true) || !js_)
    return;
  caf::scoped_actor self{sys_};
  auto drain = [&](const auto& h) {
    self->request(h, seconds{15}, drain_atom::value, uint32_t{10000})
      .receive([](ack_atom) {}, [](caf::error&) {});
  };
  drain(relay_);
  drain(js_->actor());
  js_->stop();
  self->send_exit(relay_, caf::exit_reason::user_shutdown);
  self->send_exit(inbox_, caf::exit_reason::user_shutdown);
  pool_->stop();
  relay_ = nullptr;
  inbox_ = nullptr;
  js_.reset();
  pool_.reset();
  probe_.reset();
}

void pipeline::wake() const {
  caf::anon_send(relay_, wake_atom::value);
}

bool pipeline::wait_trail(long n, seconds deadline) {
  auto end = steady_clock::now() + deadline;
  while (steady_clock::now() < end) {
    if (marks->handled.load() >= n) {
      auto r = probe_->exec("SELECT count(*) FROM weft_audit_trail");
      if (r && r->get<int64_t>(0, 0) >= n)
        return true;
      std::this_thread::sleep_for(milliseconds{10});
    } else {
      std::this_thread::sleep_for(milliseconds{2});
    }
  }
  return false;
}

void pipeline::report_progress(steady_clock::time_point t0, long n) {
  auto next = t0 + seconds{1};
  while (marks->handled.load() < n && steady_clock::now() < t0 + seconds{120}) {
    std::this_thread::sleep_until(next);
    next += seconds{1};
    std::fprintf(stderr, "    %5.1f s: committed %7ld, handled %7ld\n",
                 duration<double>(steady_clock::now() - t0).count(), marks->committed(),
                 marks->handled.load());
  }
}

std::string pipeline::describe() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%zu CAF workers; relay batch %u, in flight %u; pool %u; fetch batch %u, "
                "consumer in flight min(%u, max_ack_pending %u); inbox as node defaults",
                caf::get_or(sys_.config(), "scheduler.max-threads", size_t{0}), outbox_.batch_size, outbox_.max_in_flight,
                db_.pool_size, nats_.fetch_batch, nats_.max_in_flight, bus_.max_ack_pending);
  return buf;
}

// -- CPU ---------------------------------------------------------------------

namespace {

/// utime + stime (+ cutime + cstime) of /proc/<pid>/stat in ticks; ppid out.
int64_t proc_ticks(const std::string& pid, bool with_children, long* ppid = nullptr) {
  FILE* f = std::fopen(("/proc/" + pid + "/stat").c_str(), "r");
  if (f == nullptr)
    return 0;
  char buf[1024];
  size_t len = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[len] = 0;
  const char* p = std::strrchr(buf, ')'); // the command may hold spaces
  if (p == nullptr)
    return 0;
  char state = 0;
  long pp = 0;
  unsigned long long v[20] = {};
  // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
  std::sscanf(p + 2, "%c %ld %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &state,
              &pp, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10],
              &v[11], &v[12]);
  if (ppid != nullptr)
    *ppid = pp;
  int64_t t = static_cast<int64_t>(v[9] + v[10]);
  if (with_children)
    t += static_cast<int64_t>(v[11] + v[12]);
  return t;
}

double tree_seconds(const char* env) {
  const char* pid = std::getenv(env);
  if (pid == nullptr || *pid == 0)
    return 0;
  long root = std::atol(pid);
  int64_t ticks = proc_ticks(pid, true);
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    auto name = e.path().filename().string();
    if (name.empty() || name[0] < '0' || name[0] > '9')
      continue;
    long pp = 0;
    auto t = proc_ticks(name, false, &pp);
    if (pp == root)
      ticks += t;
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace

cpu_sample sample_cpu() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return cpu_sample{secs(ru.ru_utime) + secs(ru.ru_stime), tree_seconds("BENCH_PG_PID"),
                    tree_seconds("BENCH_NATS_PID")};
}

void print_cpu(const cpu_sample& a, const cpu_sample& b, long events, double wall_s) {
  auto us = [&](double x, double y) { return (y - x) * 1e6 / static_cast<double>(events); };
  std::printf("  %-44s weft %.0f, postgres %.0f, nats-server %.0f = %.0f us (%.2f cores busy)\n",
              "CPU per event", us(a.self, b.self), us(a.postgres, b.postgres), us(a.nats, b.nats),
              us(a.total(), b.total()), (b.total() - a.total()) / wall_s);
}

// -- database and stream -------------------------------------------------------

std::string prepare_database(const std::string& url) {
  pg::connection c{connect_to(url, "bench-migrate")};
  if (auto err = c.wait_until_connected(seconds{30}))
    return "database: " + pg::describe(err);
  auto applied = pg::apply_migrations(c);
  if (!applied)
    return "migrations: " + pg::describe(applied.error());
  return {};
}

void reset_stream(const std::string& nats_url) {
  natsConnection* nc = nullptr;
  if (natsConnection_ConnectTo(&nc, nats_url.c_str()) != NATS_OK)
    return;
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, nc, nullptr) == NATS_OK) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    js_DeleteStream(js, "WEFT", nullptr, &jerr);
    jsCtx_Destroy(js);
  }
  natsConnection_Destroy(nc);
}

namespace {

writes_snapshot snapshot(pg::connection& c) {
  writes_snapshot out;
  auto r = c.exec("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del"
                  " FROM pg_stat_user_tables WHERE relname LIKE 'weft\\_%' ORDER BY relname");
  if (!r)
    return out;
  for (int i = 0; i < r->rows(); ++i)
    out[r->get<std::string>(i, 0)] = table_counts{r->get<int64_t>(i, 1), r->get<int64_t>(i, 2),
                                                  r->get<int64_t>(i, 3), r->get<int64_t>(i, 4)};
  return out;
}

} // namespace

writes_snapshot table_writes(const std::string& url, const writes_snapshot* settle_after) {
  pg::connection c{connect_to(url, "bench-stats")};
  auto s = snapshot(c);
  if (settle_after == nullptr)
    return s;
  // Unchanged for 600 ms: every exited backend has flushed its counts.
  auto end = steady_clock::now() + seconds{5};
  int still = 0;
  while (still < 3 && steady_clock::now() < end) {
    std::this_thread::sleep_for(milliseconds{200});
    auto next = snapshot(c);
    still = total_writes(s, next) == 0 ? still + 1 : 0;
    s = std::move(next);
  }
  return s;
}

int64_t total_writes(const writes_snapshot& a, const writes_snapshot& b) {
  int64_t n = 0;
  for (auto& [name, x] : b) {
    auto it = a.find(name);
    table_counts y = it == a.end() ? table_counts{} : it->second;
    n += (x.ins - y.ins) + (x.upd - y.upd) + (x.del - y.del);
  }
  return n;
}

void print_writes(const writes_snapshot& a, const writes_snapshot& b, long events) {
  std::printf("  row writes per event (pg_stat_user_tables deltas / %ld events):\n", events);
  for (auto& [name, x] : b) {
    auto it = a.find(name);
    table_counts y = it == a.end() ? table_counts{} : it->second;
    table_counts d{x.ins - y.ins, x.upd - y.upd, x.hot - y.hot, x.del - y.del};
    if (d.ins == 0 && d.upd == 0 && d.del == 0)
      continue;
    double e = static_cast<double>(events);
    std::printf("    %-22s insert %.2f  update %.2f (HOT %.2f)  delete %.2f\n", name.c_str(),
                d.ins / e, d.upd / e, d.hot / e, d.del / e);
  }
  std::printf("    %-22s %.2f row writes per event\n", "total",
              total_writes(a, b) / static_cast<double>(events));
}

} // namespace weft::bench
