#include <catch2/catch.hpp>

#include <cstdio>
#include <thread>

#include "actors/outbox/admin.hpp"
#include "adapters/memory/memory_bus.hpp"
#include "tests/integration/actors/outbox/outbox_support.hpp"

using namespace weft;
using namespace weft::outbox::test;

namespace {

using weft::test::wait_until;

} // namespace

TEST_CASE("pg relay: published rows are marked in batches") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  fx.append(batch_of(1000, 100));
  auto relay = fx.relay(fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log))));
  REQUIRE(wait_until([&] { return fx.pending() == 0; }, 15s));
  CHECK(log->stored_count() == 1000);
  // Each marking UPDATE stamps its transaction's time on all its rows.
  auto updates = fx.scalar("SELECT count(DISTINCT published_at) FROM weft_outbox");
  INFO("marking statements: " << updates);
  // Batches, not one statement a row (1000); a slow machine (TSan: 24)
  // marks smaller batches as acks come back spread out.
  CHECK(updates <= 50);
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox WHERE locked_until IS NOT NULL") == 0);
}

TEST_CASE("pg relay: retention cleanup deletes published rows once they are old enough, "
          "never pending ones") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  log->fail_once = {"stuck"};
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.retention = std::chrono::seconds{1};
  o.cleanup_interval = 100ms;
  o.gauge_interval = 100ms;
  o.backoff_ms = {600000}; // the stuck row waits ten minutes
  fx.append(batch_of(20, 5));
  fx.append({make_event("stuck", 1)});
  auto relay = fx.relay(o);
  REQUIRE(wait_until([&] { return log->stored_count() == 20; }, 10s));
  REQUIRE(wait_until([&] { return fx.scalar("SELECT count(*) FROM weft_outbox") == 1; }, 10s));
  CHECK(fx.pending() == 1);
}

TEST_CASE("pg relay: republish_since sends retained rows again and the bus dedupes them") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  auto memory = fx.keep(memory::spawn_memory_bus(fx.sys, {}));
  auto relay = fx.relay(fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log, memory))));
  auto before = std::chrono::system_clock::now() - std::chrono::seconds{1};
  auto evs = batch_of(50, 7);
  fx.append(evs);
  REQUIRE(wait_until([&] { return log->stored_count() == 50 && fx.pending() == 0; }, 10s));

  auto n = pg::republish_since(fx.db, before);
  REQUIRE(n);
  CHECK(*n == 50);
  REQUIRE(wait_until([&] { return log->stored_count() == 100 && fx.pending() == 0; }, 10s));
  std::lock_guard<std::mutex> lk{log->mtx};
  for (auto& ev : evs) {
    auto& seqs = log->seqs[ev.id];
    REQUIRE(seqs.size() == 2);
    CHECK(seqs[0] == seqs[1]); // the second publish was a duplicate: same sequence
  }
  CHECK_FALSE(log->overlap);
}

TEST_CASE("pg relay: drain stops claiming and answers once in-flight publishes are marked") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  auto memory = fx.keep(memory::spawn_memory_bus(fx.sys, {}));
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log, memory)));
  auto relay = fx.relay(o);
  fx.append(batch_of(2000, 400));
  REQUIRE(wait_until([&] { return log->stored_count() > 0; }, 10s));
  CHECK(fx.drain(relay, 10000));
  // Whatever was acknowledged is marked; the rest is unleased for the next relay.
  auto stored = static_cast<int64_t>(log->stored_count());
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox WHERE published_at IS NOT NULL") == stored);
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox WHERE published_at IS NULL"
                  " AND locked_until > now()") == 0);
  fx.append(batch_of(5, 5, 5000));
  auto heir = fx.relay(fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log, memory)), "heir"));
  REQUIRE(wait_until([&] { return fx.pending() == 0; }, 15s));
  CHECK(log->stored_count() == 2005);
}

TEST_CASE("pg relay: the republish route runs republish_since for root") {
  outbox_fixture fx;
  fx.append(batch_of(3, 3));
  REQUIRE(fx.db.exec("UPDATE weft_outbox SET published_at = now()"));
  auto decl = outbox::outbox_admin_decl();
  CHECK(decl.name == "outbox");
  REQUIRE(decl.routes.size() == 1);
  auto& r = decl.routes[0];
  auto admin = caf::actor_cast<caf::actor>(fx.keep(outbox::spawn_outbox_admin(fx.sys, fx.make_pool(1))));
  CHECK(r.who == access::root);
  CHECK(r.path == "/outbox/republish");
  CHECK(r.method == http_method::post);

  // Runs the handler inside an event-based actor, as the HTTP gateway does.
  auto call = [&](nlohmann::json body) {
    struct outcome {
      int status = 0;
      nlohmann::json body;
      caf::error err;
    };
    auto out = std::make_shared<outcome>();
    auto done = std::make_shared<std::atomic<bool>>(false);
    auto h = r.handler;
    fx.sys.spawn([h, admin, body, out, done](caf::event_based_actor* self) -> caf::behavior {
      api_request req;
      req.method = http_method::post;
      req.body = body;
      h(self, admin, std::chrono::milliseconds{5000}, req,
        [out, done, self](api_response resp) {
          out->status = resp.status;
          out->body = resp.body;
          *done = true;
          self->quit();
        },
        [out, done, self](caf::error err) {
          out->err = std::move(err);
          *done = true;
          self->quit();
        });
      return {[](ack_atom) {}};
    });
    REQUIRE(wait_until([&] { return done->load(); }, 10s));
    return *out;
  };
  auto bad = call({{"since", "yesterday"}});
  CHECK(bad.err == api_errc::bad_request);
  auto ok = call({{"since", events::format_rfc3339_ms(std::chrono::system_clock::now()
                                                       - std::chrono::minutes{1})}});
  CHECK_FALSE(ok.err);
  CHECK(ok.status == 200);
  CHECK(ok.body["republished"] == 3);
  CHECK(fx.pending() == 3);
}

TEST_CASE("pg relay: a burst of 10,000 events committed by 100-row transactions all reach "
          "the bus") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  auto memory = fx.keep(memory::spawn_memory_bus(fx.sys, {}));
  auto relay = fx.relay(fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log, memory))));
  constexpr int total = 10000, per_tx = 100;
  std::vector<std::vector<events::envelope>> txs;
  for (int i = 0; i < total / per_tx; ++i)
    txs.push_back(batch_of(per_tx, 1000, i * per_tx));
  auto start = std::chrono::steady_clock::now();
  // A writer as a repository would be: commit, then wake the local relay.
  std::thread writer([&] {
    auto c = open_or_fail(fx.url);
    for (auto& tx : txs) {
      auto t = pg::transaction::begin(c);
      if (!t || pg::append_outbox(c, tx) || t->commit())
        return;
      caf::anon_send(relay, wake_atom::value);
    }
  });
  writer.join();
  auto committed = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return log->stored_count() >= total; }, 60s));
  auto acked = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return fx.pending() == 0; }, 10s));
  auto per_id = log->per_id();
  CHECK(per_id.size() == total);
  int dup = 0;
  for (auto& [id, n] : per_id)
    dup += n != 1;
  CHECK(dup == 0);
  CHECK_FALSE(log->overlap);
  auto secs = [](auto d) { return std::chrono::duration<double>(d).count(); };
  std::printf("outbox burst: %d events committed in %.2f s, all acknowledged after %.2f s: "
              "%.0f events/s end to end\n",
              total, secs(committed - start), secs(acked - start), total / secs(acked - start));
}
