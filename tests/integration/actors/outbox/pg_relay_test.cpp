#include <catch2/catch.hpp>

#include <algorithm>

#include "adapters/memory/memory_bus.hpp"
#include "tests/integration/actors/outbox/outbox_support.hpp"
#include "tests/unit/adapters/memory/metrics_probe.hpp"

using namespace weft;
using namespace weft::outbox::test;

namespace {

using weft::test::wait_until;

std::vector<std::string> ids(const std::vector<events::envelope>& evs) {
  std::vector<std::string> out;
  for (auto& ev : evs)
    out.push_back(ev.id);
  return out;
}

} // namespace

TEST_CASE("pg relay: LISTEN wakes it for rows committed elsewhere, rolled-back rows never "
          "go out") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.poll_interval = std::chrono::seconds{30}; // only a NOTIFY can wake it in time
  auto relay = fx.relay(o);
  auto committed = std::vector<events::envelope>{make_event("u1", 1), make_event("u2", 1),
                                                 make_event("u1", 2)};
  fx.append(committed);
  fx.append({make_event("u9", 1), make_event("u9", 2)}, false);
  auto last = make_event("u3", 1);
  fx.append({last});
  REQUIRE(wait_until([&] { return log->stored_count() >= 4; }, 10s));
  auto per_id = log->per_id();
  CHECK(per_id.size() == 4);
  for (auto& id : ids(committed))
    CHECK(per_id[id] == 1);
  CHECK(per_id[last.id] == 1);
  CHECK(log->by_subject().count("u9") == 0);
  // Ordering rule: the mark comes after the bus's acknowledgement.
  CHECK(wait_until([&] { return fx.pending() == 0; }, 5s));
  auto subjects = log->by_subject();
  CHECK(subjects["u1"] == std::vector<std::string>{committed[0].id, committed[2].id});
  {
    std::lock_guard<std::mutex> lk{log->mtx};
    CHECK(log->stored[0].subject == "weft.test.thing.happened");
  }
}

TEST_CASE("pg relay: a local wake_atom wakes it without LISTEN") {
  weft::metrics m; // outlives the fixture's actors, which use it
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.listen.url.clear();
  o.poll_interval = std::chrono::seconds{30};
  o.metrics = &m;
  auto relay = fx.relay(o);
  // Started (its start-up claim found nothing): the pending gauge is set.
  REQUIRE(wait_until([&] {
    return weft::test::metric_value(m, "weft_outbox_pending", {{"relay", "outbox"}}) == 0;
  }, 5s));
  auto evs = std::vector<events::envelope>{make_event("w", 1), make_event("w", 2)};
  fx.append(evs);
  fx.self->send(relay, wake_atom::value);
  REQUIRE(wait_until([&] { return log->stored_count() == 2; }, 10s));
  CHECK(log->by_subject()["w"] == ids(evs));
}

TEST_CASE("pg relay: a failed publish holds back its subject only, which then goes out in "
          "order") {
  weft::metrics m; // outlives the fixture's actors, which use it
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  log->fail_once = {"A"};
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.backoff_ms = {300};
  o.metrics = &m;
  std::vector<events::envelope> evs, as, bs;
  for (int i = 0; i < 5; ++i) {
    as.push_back(make_event("A", i));
    bs.push_back(make_event("B", i));
    evs.push_back(as.back());
    evs.push_back(bs.back());
  }
  fx.append(evs);
  auto relay = fx.relay(o);
  REQUIRE(wait_until([&] { return log->stored_count() == 10; }, 10s));
  auto subjects = log->by_subject();
  CHECK(subjects["A"] == ids(as));
  CHECK(subjects["B"] == ids(bs));
  {
    std::lock_guard<std::mutex> lk{log->mtx};
    // B went on while A waited for its retry.
    auto pos = [&](const std::string& id) {
      return std::find_if(log->stored.begin(), log->stored.end(),
                          [&](const bus_message& x) { return x.event.id == id; })
             - log->stored.begin();
    };
    CHECK(pos(bs.back().id) < pos(as.front().id));
    // A1 was tried twice, nothing else of A before A1 was stored.
    int a1_attempts = 0;
    for (auto& a : log->attempts) {
      if (a.msg.event.id == as[0].id)
        ++a1_attempts;
      else if (a.msg.event.subject == "A")
        CHECK(a1_attempts == 2);
    }
    CHECK(a1_attempts == 2);
  }
  REQUIRE(wait_until([&] { return fx.pending() == 0; }, 5s));
  auto r = fx.db.exec("SELECT attempts, last_error FROM weft_outbox WHERE event_id = $1",
                      as[0].id);
  REQUIRE(r);
  CHECK(r->get<int>(0, 0) == 1);
  CHECK(r->get<std::string>(0, 1).find("bus refused") != std::string::npos);
  CHECK(wait_until([&] {
    return weft::test::metric_value(m, "weft_outbox_published_total", {{"relay", "outbox"}}) == 10
           && weft::test::metric_value(m, "weft_outbox_failed_total", {{"relay", "outbox"}}) == 1;
  }, 5s));
  CHECK(wait_until([&] {
    return weft::test::metric_value(m, "weft_outbox_pending", {{"relay", "outbox"}}) == 0;
  }, 5s));
}

TEST_CASE("pg relay: a publish that is never answered times out and is retried") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  log->silent = true;
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.publish_timeout = 300ms;
  auto ev = make_event("t", 1);
  fx.append({ev});
  auto relay = fx.relay(o);
  REQUIRE(wait_until([&] { return log->attempt_count() >= 1; }, 5s));
  {
    std::lock_guard<std::mutex> lk{log->mtx};
    log->silent = false;
  }
  REQUIRE(wait_until([&] { return log->stored_count() == 1; }, 10s));
  CHECK(log->per_id()[ev.id] == 2);
  CHECK(wait_until([&] { return fx.pending() == 0; }, 5s));
}

TEST_CASE("pg relay: busy aggregates go out in order through claims behind its own leases, "
          "and a failure still holds its subject back") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  log->fail_once = {"S3", "S5"};
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.batch_size = 40; // many claims, each finding rows queued behind earlier ones
  o.backoff_ms = {200};
  std::map<std::string, std::vector<std::string>> expected;
  auto relay = fx.relay(o);
  for (int tx = 0; tx < 12; ++tx) {
    std::vector<events::envelope> evs;
    for (int i = 0; i < 40; ++i) {
      auto s = "S" + std::to_string(i % 8);
      evs.push_back(make_event(s, tx * 40 + i));
      expected[s].push_back(evs.back().id);
    }
    fx.append(evs);
    caf::anon_send(relay, wake_atom::value);
  }
  REQUIRE(wait_until([&] { return log->stored_count() == 480 && fx.pending() == 0; }, 20s));
  auto got = log->by_subject();
  for (auto& [s, want] : expected) {
    INFO("subject " << s);
    if (got[s] != want) {
      std::string order;
      for (auto& id : got[s])
        order += std::to_string(std::find(want.begin(), want.end(), id) - want.begin()) + " ";
      FAIL_CHECK("stored order (indexes in commit order): " << order);
    }
  }
  auto per_id = log->per_id();
  CHECK(per_id.size() == 480);
  CHECK(per_id[expected["S3"].front()] == 2);
  CHECK(per_id[expected["S5"].front()] == 2);
  CHECK(log->attempt_count() == 482);
}

TEST_CASE("pg relay: one busy subject with a backlog does not hold back the others") {
  outbox_fixture fx;
  auto log = std::make_shared<bus_log>();
  auto o = fx.relay_options(fx.keep(spawn_recording_bus(fx.sys, log)));
  o.batch_size = 40;
  // Its rows come first in id order and can only go out one at a time:
  // claims in id order alone would bring nothing else until all are out.
  constexpr int hot = 3000, cold = 100;
  for (int tx = 0; tx < hot / 500; ++tx) {
    std::vector<events::envelope> evs;
    for (int i = 0; i < 500; ++i)
      evs.push_back(make_event("HOT", tx * 500 + i));
    fx.append(evs);
  }
  std::vector<events::envelope> others;
  for (int i = 0; i < cold; ++i)
    others.push_back(make_event("C" + std::to_string(i), i));
  fx.append(others);
  fx.relay(o);
  REQUIRE(wait_until([&] { return log->stored_count() == hot + cold && fx.pending() == 0; },
                     60s));
  std::lock_guard<std::mutex> lk{log->mtx};
  size_t hot_before = 0, cold_seen = 0;
  for (auto& m : log->stored) {
    if (m.event.subject != "HOT") {
      if (++cold_seen == cold)
        break;
    } else {
      ++hot_before;
    }
  }
  INFO("HOT rows stored before the last of the others: " << hot_before);
  CHECK(hot_before < hot / 3);
  // And HOT kept its order.
  std::vector<int> order;
  for (auto& m : log->stored)
    if (m.event.subject == "HOT")
      order.push_back(std::stoi(m.event.data.substr(5)));
  CHECK(std::is_sorted(order.begin(), order.end()));
  CHECK(order.size() == hot);
}
