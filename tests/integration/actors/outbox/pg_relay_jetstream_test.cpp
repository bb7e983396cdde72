#include <catch2/catch.hpp>

#include <cstdio>

#include "adapters/nats/jetstream_bus.hpp"
#include "tests/integration/actors/outbox/outbox_support.hpp"
#include "tests/support/servers.hpp"

using namespace weft;
using namespace weft::outbox::test;

namespace {

using weft::test::wait_until;

} // namespace

TEST_CASE("pg relay over JetStream: rows go out with their event id as Nats-Msg-Id, survive "
          "a broker outage, and a republish is deduplicated by the stream") {
  outbox_fixture fx;
  weft::test::nats_server server;
  nats::jetstream_options jo;
  jo.url = server.url();
  jo.publish_timeout_ms = 1000;
  jo.reconnect_wait_ms = 100;
  jo.start_timeout_ms = 10000;
  auto js = nats::jetstream_bus::start(fx.sys, jo);
  REQUIRE(js);
  auto log = std::make_shared<bus_log>();
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log, (*js)->actor())));
  o.publish_timeout = 2000ms;
  o.lease = 10000ms;
  auto relay = fx.relay(o);

  auto first = batch_of(500, 50, 0, "js");
  fx.append(first);
  REQUIRE(wait_until([&] { return log->stored_count() == 500 && fx.pending() == 0; }, 20s));

  // The broker goes away: commits pile up in the outbox, then go out.
  server.stop();
  fx.append(batch_of(100, 50, 500, "js"));
  REQUIRE(wait_until([&] { return log->attempt_count() > 500; }, 10s));
  CHECK(fx.pending() > 0);
  server.start();
  REQUIRE(wait_until([&] { return log->stored_count() == 600 && fx.pending() == 0; }, 30s));

  // Republished rows reach the stream as duplicates: the first sequence again.
  auto n = pg::republish_since(fx.db, std::chrono::system_clock::now() - std::chrono::minutes{5});
  REQUIRE(n);
  CHECK(*n == 600);
  REQUIRE(wait_until([&] { return log->stored_count() == 1200 && fx.pending() == 0; }, 30s));
  std::lock_guard<std::mutex> lk{log->mtx};
  uint64_t max_seq = 0;
  for (auto& [id, seqs] : log->seqs) {
    REQUIRE(seqs.size() == 2);
    CHECK(seqs[0] == seqs[1]);
    max_seq = std::max(max_seq, seqs[0]);
  }
  CHECK(log->seqs.size() == 600);
  CHECK(max_seq == 600); // the stream holds each event once
  CHECK_FALSE(log->overlap);
  fx.drain(relay, 5000);
  (*js)->stop();
}

TEST_CASE("pg relay over JetStream: a burst of 10,000 events committed by 100-row "
          "transactions") {
  outbox_fixture fx;
  weft::test::nats_server server;
  nats::jetstream_options jo;
  jo.url = server.url();
  jo.start_timeout_ms = 10000;
  auto js = nats::jetstream_bus::start(fx.sys, jo);
  REQUIRE(js);
  auto log = std::make_shared<bus_log>();
  auto relay = fx.relay(fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log, (*js)->actor()))));
  constexpr int total = 10000, per_tx = 100;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < total / per_tx; ++i) {
    fx.append(batch_of(per_tx, 1000, i * per_tx, "js"));
    caf::anon_send(relay, wake_atom::value);
  }
  auto committed = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return log->stored_count() >= total; }, 60s));
  auto acked = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return fx.pending() == 0; }, 10s));
  CHECK(log->per_id().size() == total);
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf("outbox burst over JetStream: %d events committed in %.2f s, all stored after "
              "%.2f s: %.0f events/s end to end\n",
              total, secs(committed - start), secs(acked - start), total / secs(acked - start));
  fx.drain(relay, 5000);
  (*js)->stop();
}
