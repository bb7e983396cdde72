#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "bus_fixture.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("memory bus: publish answers sequences from 1, delivers, and counts acks",
          "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("svc", {"weft.>"}), fx.probe_handler(p)));
  CHECK(fx.pub(make_message("auth.user.created", "e1")) == 1);
  CHECK(fx.pub(make_message("auth.user.created", "e2")) == 2);
  CHECK(fx.pub(make_message("auth.user.created", "e3")) == 3);
  REQUIRE(p->wait_count(3));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 3; }));
  auto seen = p->snapshot();
  CHECK(seen[0].stream_seq == 1);
  CHECK(seen[0].attempt == 1);
  CHECK(seen[0].message.subject == "weft.auth.user.created");
  CHECK(seen[2].message.event.id == "e3");
  auto s = fx.stats("svc");
  CHECK(s.delivered == 3);
  CHECK(s.pending == 0);
  CHECK(s.in_flight == 0);
  CHECK(s.redelivered == 0);
}

TEST_CASE("memory bus: subject filters select messages per consumer", "[memory_bus]") {
  bus_fixture fx;
  auto users = std::make_shared<probe>();
  auto all = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("users", {"weft.auth.user.*"}), fx.probe_handler(users)));
  REQUIRE_FALSE(fx.sub(consumer("all", {"weft.>"}), fx.probe_handler(all)));
  fx.pub(make_message("auth.user.created", "e1"));
  fx.pub(make_message("audit.entry.recorded", "e2"));
  fx.pub(make_message("auth.user.role.changed", "e3")); // `*` is one token only
  fx.pub(make_message("auth.user.deleted", "e4"));
  REQUIRE(all->wait_count(4));
  REQUIRE(fx.wait_stats("users", [](const consumer_stats& s) { return s.acked == 2; }));
  std::vector<std::string> ids;
  for (auto& d : users->snapshot())
    ids.push_back(d.message.event.id);
  CHECK(ids == std::vector<std::string>{"e1", "e4"});
}

TEST_CASE("memory bus: a re-published event id within the window is not stored again",
          "[memory_bus]") {
  bus_fixture fx;
  auto first = fx.pub(make_message("auth.user.created", "dup"));
  auto again = fx.pub(make_message("auth.user.created", "dup"));
  auto other = fx.pub(make_message("auth.user.created", "other"));
  CHECK(first == 1);
  CHECK(again == 1);
  CHECK(other == 2);
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("svc", {}), fx.probe_handler(p)));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 2; }));
  CHECK(fx.stats("svc").delivered == 2);
}

TEST_CASE("memory bus: a zero dedupe window stores every publish", "[memory_bus]") {
  bus_fixture fx{memory::memory_bus_options{0, nullptr}};
  CHECK(fx.pub(make_message("x.y", "same")) == 1);
  CHECK(fx.pub(make_message("x.y", "same")) == 2);
}

TEST_CASE("memory bus: a consumer subscribing after publishes gets the backlog in order",
          "[memory_bus]") {
  bus_fixture fx;
  for (int i = 1; i <= 5; ++i)
    fx.pub(make_message("auth.user.created", "e" + std::to_string(i)));
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("late", {"weft.auth.>"}), fx.probe_handler(p)));
  REQUIRE(p->wait_count(5));
  auto seen = p->snapshot();
  for (size_t i = 0; i < 5; ++i)
    CHECK(seen[i].stream_seq == i + 1);
}

TEST_CASE("memory bus: competing handlers of one consumer share its messages",
          "[memory_bus]") {
  bus_fixture fx;
  auto a = std::make_shared<probe>();
  auto b = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("svc", {"weft.>"}), fx.probe_handler(a)));
  REQUIRE_FALSE(fx.sub(consumer("svc", {"weft.>"}), fx.probe_handler(b)));
  for (int i = 0; i < 20; ++i)
    fx.pub(make_message("x.y", "e" + std::to_string(i)));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 20; }));
  auto sa = a->snapshot();
  auto sb = b->snapshot();
  CHECK(sa.size() == 10); // round-robin
  CHECK(sb.size() == 10);
  std::set<uint64_t> seqs;
  for (auto& d : sa)
    seqs.insert(d.stream_seq);
  for (auto& d : sb)
    seqs.insert(d.stream_seq);
  CHECK(seqs.size() == 20);
  CHECK(fx.stats("svc").delivered == 20);
}

TEST_CASE("memory bus: messages wait while a consumer has no live handler",
          "[memory_bus]") {
  bus_fixture fx;
  auto first = std::make_shared<probe>();
  auto h1 = fx.probe_handler(first);
  REQUIRE_FALSE(fx.sub(consumer("svc", {"weft.>"}), h1));
  fx.self->send_exit(h1, caf::exit_reason::user_shutdown);
  fx.self->wait_for(h1);
  fx.pub(make_message("x.y", "e1"));
  fx.pub(make_message("x.y", "e2"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.pending == 2; }));
  auto second = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("svc", {"weft.>"}), fx.probe_handler(second)));
  REQUIRE(second->wait_count(2));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 2; }));
  CHECK(first->snapshot().empty());
}

TEST_CASE("memory bus: subscribe rejects a bad config", "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  auto h = fx.probe_handler(p);
  CHECK(fx.sub(consumer("", {"weft.>"}), h));
  CHECK(fx.sub(consumer("svc", {"weft.>.x"}), h));
  auto cfg = consumer("svc", {"weft.>"});
  cfg.max_deliver = 0;
  CHECK(fx.sub(cfg, h));
  CHECK(fx.sub(consumer("svc", {"weft.>"}), event_handler_actor{}));
}

TEST_CASE("memory bus: drain answers once nothing is in flight and stops deliveries",
          "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("svc", {"weft.>"});
  // The drain must arrive while the delivery is in flight: 100 ms was not
  // always enough in a sanitizer build under load (it was redelivered first).
  cfg.ack_wait_ms = 1000;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(1));
  // In flight until the ack wait expires; the drain answers then, well
  // before its own 5 s deadline, and the message is not delivered again.
  auto t0 = std::chrono::steady_clock::now();
  bool answered = false;
  fx.self->request(fx.bus, std::chrono::seconds{10}, drain_atom::value, uint32_t{5000})
    .receive([&](ack_atom) { answered = true; }, [](caf::error&) {});
  CHECK(answered);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds{4000});
  CHECK(fx.stats("svc").in_flight == 0);
  fx.pub(make_message("x.y", "e2"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.pending == 2; }));
  CHECK(p->snapshot().size() == 1);
}

TEST_CASE("memory bus: drain answers at its deadline if a delivery stays in flight",
          "[memory_bus]") {
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 30000;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(1));
  bool answered = false;
  fx.self->request(fx.bus, std::chrono::seconds{10}, drain_atom::value, uint32_t{50})
    .receive([&](ack_atom) { answered = true; }, [](caf::error&) {});
  CHECK(answered);
  CHECK(fx.stats("svc").in_flight == 1);
}

TEST_CASE("memory bus: drain with nothing in flight answers at once", "[memory_bus]") {
  bus_fixture fx;
  bool answered = false;
  fx.self->request(fx.bus, std::chrono::seconds{10}, drain_atom::value, uint32_t{60000})
    .receive([&](ack_atom) { answered = true; }, [](caf::error&) {});
  CHECK(answered);
}
