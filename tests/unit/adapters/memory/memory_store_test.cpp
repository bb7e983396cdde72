#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "adapters/memory/memory_store.hpp"
#include "bus_probe.hpp"
#include "tests/support/process.hpp"
#include "runtime/api_error.hpp"
#include "runtime/idempotency.hpp"

// The embedded store's units of work: what a handler writes is seen by
// others once it committed, undone if it failed, and its events go to the
// relay at commit, in commit order.
using namespace weft;
using namespace weft::test;
using namespace std::chrono_literals;

namespace {

struct counters {
  std::map<std::string, int> value;
};

/// Adds one to `key` in the test table, registering the undo.
caf::error bump(unit_of_work& w, const std::string& key) {
  auto* t = memory::tables_of(w);
  REQUIRE(t != nullptr);
  auto& c = t->get<counters>("test.counters");
  ++c.value[key];
  t->on_rollback([&c, key] { --c.value[key]; });
  return {};
}

int value_of(store_session& s, const std::string& key) {
  int out = -1;
  REQUIRE_FALSE(s.read([&](unit_of_work& w) -> caf::error {
    auto& c = memory::tables_of(w)->get<counters>("test.counters");
    out = c.value.count(key) ? c.value[key] : 0;
    return {};
  }));
  return out;
}

events::envelope event(std::string id, std::string subject = "s") {
  events::envelope ev;
  ev.id = std::move(id);
  ev.source = "/weft/test";
  ev.type = "test.thing.done";
  ev.subject = std::move(subject);
  return ev;
}

/// A relay stand-in: records every batch it is handed.
struct relay_log {
  std::mutex mtx;
  std::vector<std::string> ids;

  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> lk{mtx};
    return ids;
  }
};

event_relay_actor spawn_relay_log(caf::actor_system& sys, std::shared_ptr<relay_log> log) {
  return sys.spawn([log]() -> event_relay_actor::behavior_type {
    return {
      [log](publish_atom, std::vector<events::envelope>& evs) {
        std::lock_guard<std::mutex> lk{log->mtx};
        for (auto& ev : evs)
          log->ids.push_back(ev.id);
      },
      [](drain_atom, uint32_t) { return ack_atom::value; },
    };
  });
}

} // namespace

TEST_CASE("memory store: a unit commits its changes and hands its events over", "[memory_store]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto log = std::make_shared<relay_log>();
  auto relay = spawn_relay_log(sys, log);
  auto data = std::make_shared<memory::memory_store>(relay);
  auto s = data->open_session("test");
  CHECK(data->kind() == store_kind::memory);
  CHECK_FALSE(data->blocking());

  REQUIRE_FALSE(s->transact([&](unit_of_work& w) -> caf::error {
    w.emit(event("e1"));
    w.emit(event("e2"));
    return bump(w, "a");
  }));
  CHECK(value_of(*s, "a") == 1);
  CHECK(wait_until([&] { return log->snapshot() == std::vector<std::string>{"e1", "e2"}; }, 5000ms));
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
}

TEST_CASE("memory store: a failing unit leaves nothing behind, events included", "[memory_store]") {
  test_config cfg;
  caf::actor_system sys{cfg};
  auto log = std::make_shared<relay_log>();
  auto relay = spawn_relay_log(sys, log);
  auto data = std::make_shared<memory::memory_store>(relay);
  auto s = data->open_session("test");
  auto err = s->transact([&](unit_of_work& w) -> caf::error {
    bump(w, "a");
    bump(w, "a");
    w.emit(event("lost"));
    REQUIRE(w.record_delivery("c", "k1"));
    return api_error(api_errc::conflict, "no");
  });
  CHECK(is_api_error(err, api_errc::conflict));
  CHECK(value_of(*s, "a") == 0);
  // The delivery record went with it: the same key is new again.
  REQUIRE_FALSE(s->transact([&](unit_of_work& w) -> caf::error {
    auto fresh = w.record_delivery("c", "k1");
    REQUIRE(fresh);
    CHECK(*fresh);
    w.emit(event("kept"));
    return {};
  }));
  CHECK(wait_until([&] { return log->snapshot() == std::vector<std::string>{"kept"}; }, 5000ms));
  // An exception in the work undoes it too, and goes on to the caller.
  CHECK_THROWS(s->transact([&](unit_of_work& w) -> caf::error {
    bump(w, "b");
    throw std::runtime_error("boom");
  }));
  CHECK(value_of(*s, "b") == 0);
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
}

TEST_CASE("memory store: deliveries are recorded once per consumer", "[memory_store]") {
  auto data = std::make_shared<memory::memory_store>();
  auto s = data->open_session("test");
  auto record = [&](const std::string& consumer, const std::string& key) {
    bool fresh = false;
    REQUIRE_FALSE(s->transact([&](unit_of_work& w) -> caf::error {
      auto r = w.record_delivery(consumer, key);
      REQUIRE(r);
      fresh = *r;
      return {};
    }));
    return fresh;
  };
  CHECK(record("audit", "e1"));
  CHECK_FALSE(record("audit", "e1"));
  CHECK(record("notifications", "e1"));
}

TEST_CASE("memory store: a read must not write", "[memory_store]") {
  auto data = std::make_shared<memory::memory_store>();
  auto s = data->open_session("test");
  auto err = s->read([&](unit_of_work& w) -> caf::error { return bump(w, "a"); });
  CHECK(is_api_error(err, api_errc::internal));
  CHECK(value_of(*s, "a") == 0);
}

TEST_CASE("memory store: others see a unit's changes only once it committed", "[memory_store]") {
  auto data = std::make_shared<memory::memory_store>();
  auto writer = data->open_session("writer");
  auto reader = data->open_session("reader");
  std::atomic<bool> inside{false};
  std::atomic<int> seen{-2};
  std::thread t{[&] {
    (void) writer->transact([&](unit_of_work& w) -> caf::error {
      bump(w, "a");
      inside = true;
      // The reader started now, and must wait for this unit to end.
      std::this_thread::sleep_for(100ms);
      return api_error(api_errc::conflict, "changed my mind");
    });
  }};
  REQUIRE(wait_until([&] { return inside.load(); }, 5000ms));
  seen = value_of(*reader, "a");
  t.join();
  CHECK(seen.load() == 0);
}

TEST_CASE("memory store: Idempotency-Key answers are recorded with the change", "[memory_store]") {
  auto data = std::make_shared<memory::memory_store>();
  auto s = data->open_session("test");
  request_meta meta{"r1", "127.0.0.1", "key-1", "hash-1"};
  int runs = 0;
  auto work = [&](unit_of_work& w) -> caf::expected<std::string> {
    ++runs;
    bump(w, "a");
    return std::string{"answer-" + std::to_string(runs)};
  };
  auto first = idempotency::commit<std::string>(*s, meta, "op", 60s, work);
  REQUIRE(first);
  CHECK(*first == "answer-1");
  // A retry: the recorded answer, without the work.
  auto again = idempotency::replay<std::string>(*s, meta, "op");
  REQUIRE(again);
  REQUIRE(*again);
  CHECK(**again == "answer-1");
  // Committing again under the same key conflicts, so the winner's answer
  // comes back and the second run's change is undone.
  auto second = idempotency::commit<std::string>(*s, meta, "op", 60s, work);
  REQUIRE(second);
  CHECK(*second == "answer-1");
  CHECK(runs == 2);
  CHECK(value_of(*s, "a") == 1);
  // Another request under the same key is refused; another operation is not.
  auto other = meta;
  other.request_hash = "hash-2";
  auto refused = idempotency::replay<std::string>(*s, other, "op");
  CHECK(is_api_error(refused.error(), api_errc::unprocessable));
  auto elsewhere = idempotency::replay<std::string>(*s, meta, "other-op");
  REQUIRE(elsewhere);
  CHECK_FALSE(*elsewhere);
  // Expired records are replaced.
  auto short_lived = meta;
  short_lived.idempotency_key = "key-2";
  REQUIRE(idempotency::commit<std::string>(*s, short_lived, "op", 0s, work));
  auto gone = idempotency::replay<std::string>(*s, short_lived, "op");
  REQUIRE(gone);
  CHECK_FALSE(*gone);
}
