#include <catch2/catch.hpp>

#include "bus_fixture.hpp"
#include "events/errc.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("memory bus: an error reply is redelivered after backoff", "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery& d) { return d.attempt < 3 ? reply::fail : reply::ack; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.backoff_ms = {40, 80};
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(3));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 1; }));
  auto seen = p->snapshot();
  std::vector<std::chrono::steady_clock::time_point> at;
  {
    std::lock_guard<std::mutex> lk{p->mtx};
    at = p->at;
  }
  CHECK(seen[0].attempt == 1);
  CHECK(seen[1].attempt == 2);
  CHECK(seen[2].attempt == 3);
  CHECK(seen[2].stream_seq == 1);
  // backoff_ms[0] = 40 and backoff_ms[1] = 80, each -20% at worst.
  CHECK(at[1] - at[0] >= std::chrono::milliseconds{32});
  CHECK(at[2] - at[1] >= std::chrono::milliseconds{64});
  auto s = fx.stats("svc");
  CHECK(s.delivered == 3);
  CHECK(s.redelivered == 2);
  CHECK(s.dead_lettered == 0);
}

TEST_CASE("memory bus: no ack within ack_wait is redelivered", "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery& d) { return d.attempt == 1 ? reply::none : reply::ack; };
  auto cfg = consumer("svc", {"weft.>"});
  // Long enough for the second attempt's ack even in a sanitizer build under
  // load (50 ms redelivered it again there).
  cfg.ack_wait_ms = 500;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(2));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 1; }));
  auto seen = p->snapshot();
  CHECK(seen[1].attempt == 2);
  CHECK(fx.stats("svc").redelivered == 1);
}

TEST_CASE("memory bus: after max_deliver a dead letter carries the reason and the "
          "consumer goes on",
          "[memory_bus]") {
  bus_fixture fx;
  auto dlq = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("watch", {"weft.dlq.*"}), fx.probe_handler(dlq)));
  auto p = std::make_shared<probe>();
  p->fail_text = "boom";
  p->policy = [](const delivery& d) {
    return d.message.event.id == "bad" ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.auth.>"});
  cfg.max_deliver = 3;
  cfg.backoff_ms = {5};
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("auth.user.created", "bad"));
  fx.pub(make_message("auth.user.created", "good"));
  REQUIRE(dlq->wait_count(1));
  auto letter = dlq->snapshot().front().message;
  CHECK(letter.subject == "weft.dlq.svc");
  CHECK(letter.event.id == "bad");
  CHECK(header(letter, "Weft-Dlq-Reason") == "boom");
  CHECK(header(letter, "Weft-Dlq-Consumer") == "svc");
  CHECK(header(letter, "Weft-Dlq-Deliveries") == "3");
  CHECK(header(letter, "Weft-Dlq-Subject") == "weft.auth.user.created");
  CHECK(header(letter, "Weft-Dlq-Stream-Seq") == "1");
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) {
    return s.acked == 1 && s.dead_lettered == 1 && s.in_flight == 0 && s.pending == 0;
  }));
  auto bad_deliveries = 0;
  for (auto& d : p->snapshot())
    bad_deliveries += d.message.event.id == "bad";
  CHECK(bad_deliveries == 3);
}

TEST_CASE("memory bus: a message never acked in time dead-letters with 'ack timeout'",
          "[memory_bus]") {
  bus_fixture fx;
  auto dlq = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("watch", {"weft.dlq.>"}), fx.probe_handler(dlq)));
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("slow", {"weft.x.>"});
  cfg.ack_wait_ms = 30;
  cfg.max_deliver = 2;
  cfg.backoff_ms = {5};
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(dlq->wait_count(1));
  auto letter = dlq->snapshot().front().message;
  CHECK(header(letter, "Weft-Dlq-Reason") == "ack timeout");
  CHECK(header(letter, "Weft-Dlq-Deliveries") == "2");
  CHECK(p->snapshot().size() == 2);
}

TEST_CASE("memory bus: an undecodable event is dead-lettered at once", "[memory_bus]") {
  bus_fixture fx;
  auto dlq = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("watch", {"weft.dlq.*"}), fx.probe_handler(dlq)));
  auto h = fx.sys.spawn([](event_handler_actor::pointer) -> event_handler_actor::behavior_type {
    return {
      [](deliver_atom, delivery&) -> caf::result<ack_atom> {
        return caf::make_error(events::errc::missing_attribute, std::string{"id"},
                               std::string{"required attribute is missing"});
      },
    };
  });
  fx.actors.push_back(caf::actor_cast<caf::actor>(h));
  REQUIRE_FALSE(fx.sub(consumer("svc", {"weft.x.>"}), h));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(dlq->wait_count(1));
  auto letter = dlq->snapshot().front().message;
  CHECK(header(letter, "Weft-Dlq-Deliveries") == "1");
  CHECK(header(letter, "Weft-Dlq-Reason") == "id: required attribute is missing");
}

TEST_CASE("memory bus: a dead handler's in-flight deliveries go to the others",
          "[memory_bus]") {
  bus_fixture fx;
  auto silent = std::make_shared<probe>();
  silent->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 30000; // only the handler's death can bring it back quickly
  auto h1 = fx.probe_handler(silent);
  REQUIRE_FALSE(fx.sub(cfg, h1));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(silent->wait_count(1));
  auto other = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(other)));
  fx.self->send_exit(h1, caf::exit_reason::user_shutdown);
  REQUIRE(other->wait_count(1));
  auto d = other->snapshot().front();
  CHECK(d.message.event.id == "e1");
  CHECK(d.attempt == 2);
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 1; }));
}

TEST_CASE("memory bus: at most max_ack_pending deliveries are in flight", "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 30000;
  cfg.max_ack_pending = 2;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  for (int i = 0; i < 5; ++i)
    fx.pub(make_message("x.y", "e" + std::to_string(i)));
  REQUIRE(p->wait_count(2));
  auto s = fx.stats("svc");
  CHECK(s.in_flight == 2);
  CHECK(s.pending == 3);
  CHECK(p->snapshot().size() == 2);
}

TEST_CASE("memory bus: a failing dead letter is dropped, not dead-lettered again",
          "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::fail; };
  auto cfg = consumer("loop", {"weft.>"}); // sees its own dead letters
  cfg.max_deliver = 1;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(fx.wait_stats("loop", [](const consumer_stats& s) {
    return s.dead_lettered == 2 && s.in_flight == 0 && s.pending == 0;
  }));
  auto seen = p->snapshot();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].message.subject == "weft.dlq.loop");
}
