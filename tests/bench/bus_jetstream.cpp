// bus_jetstream: Weft's JetStream bus (adapters/nats) alone, to compare with
// raw_jetstream in the same run.
//
//   bus_jetstream <nats-url> [events=200000] [in_flight=1000] [aggregates=0]
//
// In a scratch stream (deleted first):
//   1. publish `events` CloudEvents through the bus actor, `in_flight`
//      requests outstanding (the outbox relay's shape), until each answered
//      its stream sequence;
//   2. subscribe a handler that acks at once and wait until the consumer has
//      acked them all (fetch threads, lanes, CAF request per delivery, ack).
// `aggregates` = 0 gives every event its own CloudEvents subject (all lanes
// independent); N > 0 spreads them over N aggregates (per-aggregate order
// then bounds the parallelism). The last line is machine-readable. Not a test.
#include <nats/nats.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <caf/all.hpp>

#include "adapters/nats/jetstream_bus.hpp"

namespace {

using namespace weft;
using steady = std::chrono::steady_clock;

const char* stream_name = "WEFT_BENCH_BUS";

bus_message event(long i, long aggregates) {
  bus_message m;
  m.subject = "benchbus.auth.user.created";
  auto& e = m.event;
  char id[40];
  std::snprintf(id, sizeof id, "0190b6a0-%04lx-7000-8000-%012lx", (i >> 16) & 0xffff, i);
  e.id = id;
  e.source = "/weft/auth";
  e.type = "auth.user.created";
  e.time = "2024-06-01T12:00:00.000Z";
  e.subject = "u-" + std::to_string(aggregates > 0 ? i % aggregates : i);
  e.data = R"({"user_id":"u-)" + std::to_string(i) + R"(","email":"user)" + std::to_string(i)
           + R"(@example.com","roles":["user"]})";
  return m;
}

/// Publishes events [0, n) keeping `window` requests outstanding; `done` at the end.
void publisher(caf::event_based_actor* self, event_bus_actor bus, long n, long window,
               long aggregates, std::shared_ptr<std::promise<long>> done) {
  auto next = std::make_shared<long>(0);
  auto answered = std::make_shared<long>(0);
  auto failed = std::make_shared<long>(0);
  auto send_one = std::make_shared<std::function<void()>>();
  *send_one = [=] {
    long i = (*next)++;
    self->request(bus, std::chrono::seconds{30}, publish_atom::value, event(i, aggregates))
      .then(
        [=](uint64_t) {
          if (++*answered == n) {
            done->set_value(*failed);
            self->quit();
          } else if (*next < n) {
            (*send_one)();
          }
        },
        [=](caf::error&) {
          ++*failed;
          if (++*answered == n) {
            done->set_value(*failed);
            self->quit();
          } else if (*next < n) {
            (*send_one)();
          }
        });
  };
  for (long k = 0; k < window && *next < n; ++k)
    (*send_one)();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bus_jetstream <nats-url> [events=200000] [in_flight=1000] "
                         "[aggregates=0]\n");
    return 2;
  }
  const std::string url = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 200000;
  const long window = argc > 3 ? std::atol(argv[3]) : 1000;
  const long aggregates = argc > 4 ? std::atol(argv[4]) : 0;

  { // a fresh stream per run
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK) {
      std::fprintf(stderr, "bus_jetstream: cannot connect to %s\n", url.c_str());
      return 1;
    }
    natsConnection_JetStream(&js, nc, nullptr);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    js_DeleteStream(js, stream_name, nullptr, &jerr);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }

  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  nats::jetstream_options opts;
  opts.url = url;
  opts.stream = stream_name;
  opts.subjects = {"benchbus.>"};
  auto started = nats::jetstream_bus::start(sys, opts);
  if (!started) {
    std::fprintf(stderr, "bus_jetstream: %s\n", sys.render(started.error()).c_str());
    return 1;
  }
  auto& owner = *started;
  auto bus = owner->actor();
  std::printf("Weft JetStream bus: %ld events, %ld publishes in flight, %s\n", n, window,
              aggregates > 0 ? (std::to_string(aggregates) + " aggregates").c_str()
                             : "one aggregate each");

  auto done = std::make_shared<std::promise<long>>();
  auto fut = done->get_future();
  auto t0 = steady::now();
  sys.spawn(publisher, bus, n, window, aggregates, done);
  long failed = fut.get();
  double pub_secs = std::chrono::duration<double>(steady::now() - t0).count();
  double pub_rate = static_cast<double>(n) / pub_secs;
  std::printf("  %-44s %9.0f events/s  (%.2f s, %ld failed)\n", "publish through the bus", pub_rate,
              pub_secs, failed);

  auto handler = sys.spawn([](event_handler_actor::pointer) -> event_handler_actor::behavior_type {
    return {[](deliver_atom, const delivery&) { return ack_atom::value; }};
  });
  consumer_config cc;
  cc.name = "bench";
  cc.filters = {"benchbus.>"};
  cc.max_ack_pending = 1024;
  caf::scoped_actor self{sys};
  t0 = steady::now();
  bool ok = false;
  self->request(bus, std::chrono::seconds{10}, subscribe_atom::value, cc, handler)
    .receive([&](ack_atom) { ok = true; },
             [&](caf::error& e) { std::fprintf(stderr, "subscribe: %s\n", sys.render(e).c_str()); });
  uint64_t acked = 0;
  while (ok && acked < static_cast<uint64_t>(n)) {
    self->request(bus, std::chrono::seconds{10}, stats_atom::value)
      .receive(
        [&](std::vector<consumer_stats>& all) {
          for (auto& s : all)
            if (s.name == "bench")
              acked = s.acked;
        },
        [](caf::error&) {});
    if (acked < static_cast<uint64_t>(n))
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  double sub_secs = std::chrono::duration<double>(steady::now() - t0).count();
  double sub_rate = static_cast<double>(acked) / sub_secs;
  std::printf("  %-44s %9.0f events/s  (%.2f s)\n", "deliver to a handler + ack", sub_rate,
              sub_secs);
  self->send_exit(handler, caf::exit_reason::user_shutdown);
  owner->stop();
  std::printf("bus_jetstream events=%ld publish=%.0f deliver_ack=%.0f\n", n, pub_rate, sub_rate);
  return failed == 0 && ok ? 0 : 1;
}
