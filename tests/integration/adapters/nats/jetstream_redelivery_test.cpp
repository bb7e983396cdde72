#include <catch2/catch.hpp>

#include <algorithm>

#include "events/errc.hpp"
#include "js_fixture.hpp"

using namespace weft;
using namespace weft::test;

namespace {

std::vector<std::chrono::steady_clock::time_point> times(probe& p) {
  std::lock_guard<std::mutex> lk{p.mtx};
  return p.at;
}

} // namespace

TEST_CASE("jetstream bus: an error reply is redelivered after backoff", "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery& d) { return d.attempt < 3 ? reply::fail : reply::ack; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.backoff_ms = {150, 300};
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  n.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(3));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 1; }));
  auto seen = p->snapshot();
  auto at = times(*p);
  CHECK(seen[0].attempt == 1);
  CHECK(seen[1].attempt == 2);
  CHECK(seen[2].attempt == 3);
  CHECK(seen[2].stream_seq == 1);
  // backoff_ms[0] = 150 and backoff_ms[1] = 300, each -20% at worst.
  CHECK(at[1] - at[0] >= std::chrono::milliseconds{120});
  CHECK(at[2] - at[1] >= std::chrono::milliseconds{240});
  auto s = n.stats("svc");
  CHECK(s.delivered == 3);
  CHECK(s.redelivered == 2);
  CHECK(s.dead_lettered == 0);
}

TEST_CASE("jetstream bus: no ack within ack_wait is redelivered, and in-progress acks "
          "keep the server from redelivering on its own",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery& d) { return d.attempt == 1 ? reply::none : reply::ack; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 300;
  cfg.backoff_ms = {600}; // longer than the server's AckWait: only keepalives hold it
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  n.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(2));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 1; }));
  auto seen = p->snapshot();
  CHECK(seen[1].attempt == 2);
  CHECK(n.stats("svc").redelivered == 1);
  CHECK(seen.size() == 2);
}

TEST_CASE("jetstream bus: after max_deliver a dead letter carries the reason and the "
          "consumer goes on",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto dlq = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("watch", {"weft.dlq.*"}), n.probe_handler(dlq)));
  auto p = std::make_shared<probe>();
  p->fail_text = "boom";
  p->policy = [](const delivery& d) {
    return d.message.event.id == "bad" ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.auth.>"});
  cfg.max_deliver = 3;
  cfg.backoff_ms = {20};
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  auto bad = make_message("auth.user.created", "bad");
  bad.headers.emplace_back("X-Origin", "test");
  n.pub(bad);
  n.pub(make_message("auth.user.created", "good"));
  REQUIRE(dlq->wait_count(1));
  auto letter = dlq->snapshot().front().message;
  CHECK(letter.subject == "weft.dlq.svc");
  CHECK(letter.event == bad.event);
  CHECK(header(letter, "Weft-Dlq-Reason") == "boom");
  CHECK(header(letter, "Weft-Dlq-Consumer") == "svc");
  CHECK(header(letter, "Weft-Dlq-Deliveries") == "3");
  CHECK(header(letter, "Weft-Dlq-Subject") == "weft.auth.user.created");
  CHECK(header(letter, "Weft-Dlq-Stream-Seq") == "1");
  CHECK(header(letter, "X-Origin") == "test");
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) {
    return s.acked == 1 && s.dead_lettered == 1 && s.in_flight == 0 && s.pending == 0;
  }));
  auto bad_deliveries = 0;
  for (auto& d : p->snapshot())
    bad_deliveries += d.message.event.id == "bad";
  CHECK(bad_deliveries == 3);
}

TEST_CASE("jetstream bus: malformed messages are dead-lettered at once with the reason, "
          "the following ones are processed",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  raw_client raw{fx.server.url()};
  auto letters = raw.subscribe("weft.dlq.>"); // as an operator's tool would watch them
  auto watch = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("watch", {"weft.dlq.*"}), n.probe_handler(watch)));
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("svc", {"weft.x.>"}), n.probe_handler(p)));
  const std::string not_json = "this is not json";
  const std::string no_type = R"({"specversion":"1.0","id":"m2","source":"/t"})";
  // Sequences as stored (a dead letter may get in between).
  auto seq1 = raw.js_publish("weft.x.y", not_json);
  auto seq2 = raw.js_publish("weft.x.y", no_type, {{"Content-Type", "application/cloudevents+json"}});
  REQUIRE(seq1 == 1);
  REQUIRE(seq2 > seq1);
  REQUIRE(n.pub(make_message("x.y", "ok")) > 0); // the first letter may come before it
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) {
    return s.acked == 1 && s.dead_lettered == 2 && s.in_flight == 0;
  }));
  auto seen = p->snapshot();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].message.event.id == "ok");
  CHECK(seen[0].attempt == 1);

  // Both letters keep the original payload and say why, in stream order.
  auto* first = raw_client::next(letters, 5000);
  auto* second = raw_client::next(letters, 5000);
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  auto data = [](natsMsg* m) {
    return std::string{natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))};
  };
  CHECK(std::string{natsMsg_GetSubject(first)} == "weft.dlq.svc");
  CHECK(data(first) == not_json);
  CHECK_THAT(raw_client::header_of(first, "Weft-Dlq-Reason"), Catch::Contains("malformed_json"));
  CHECK(raw_client::header_of(first, "Weft-Dlq-Deliveries") == "1");
  CHECK(raw_client::header_of(first, "Weft-Dlq-Subject") == "weft.x.y");
  CHECK(raw_client::header_of(first, "Weft-Dlq-Stream-Seq") == "1");
  CHECK(raw_client::header_of(first, "Weft-Dlq-Consumer") == "svc");
  CHECK(data(second) == no_type);
  CHECK_THAT(raw_client::header_of(second, "Weft-Dlq-Reason"),
             Catch::Contains("missing_attribute (type)"));
  CHECK(raw_client::header_of(second, "Content-Type") == "application/cloudevents+json");
  CHECK(raw_client::header_of(second, "Weft-Dlq-Stream-Seq") == std::to_string(seq2));
  natsMsg_Destroy(first);
  natsMsg_Destroy(second);

  // The watcher cannot hand CloudEvent-less letters to its handler either:
  // it drops them (Term) rather than dead-lettering a dead letter.
  REQUIRE(n.wait_stats("watch", [](const consumer_stats& s) {
    return s.dead_lettered == 2 && s.in_flight == 0;
  }));
  CHECK(watch->snapshot().empty());
  CHECK(raw_client::next(letters, 300) == nullptr);
}

TEST_CASE("jetstream bus: an events-category error from the handler dead-letters at once",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto dlq = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("watch", {"weft.dlq.*"}), n.probe_handler(dlq)));
  auto h = n.sys.spawn([](event_handler_actor::pointer) -> event_handler_actor::behavior_type {
    return {
      [](deliver_atom, delivery&) -> caf::result<ack_atom> {
        return caf::make_error(events::errc::missing_attribute, std::string{"id"},
                               std::string{"required attribute is missing"});
      },
    };
  });
  n.actors.push_back(caf::actor_cast<caf::actor>(h));
  REQUIRE_FALSE(n.sub(consumer("svc", {"weft.x.>"}), h));
  n.pub(make_message("x.y", "e1"));
  REQUIRE(dlq->wait_count(1));
  auto letter = dlq->snapshot().front().message;
  CHECK(header(letter, "Weft-Dlq-Deliveries") == "1");
  CHECK(header(letter, "Weft-Dlq-Reason") == "id: required attribute is missing");
}

TEST_CASE("jetstream bus: a failing dead letter is dropped, not dead-lettered again",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::fail; };
  auto cfg = consumer("loop", {"weft.>"}); // sees its own dead letters
  cfg.max_deliver = 1;
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  n.pub(make_message("x.y", "e1"));
  REQUIRE(n.wait_stats("loop", [](const consumer_stats& s) {
    return s.dead_lettered == 2 && s.in_flight == 0 && s.pending == 0;
  }));
  auto seen = p->snapshot();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].message.subject == "weft.dlq.loop");
}

TEST_CASE("jetstream bus: a message the server redelivered past max_deliver is "
          "dead-lettered without reaching the handler",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  raw_client raw{fx.server.url()};
  auto letters = raw.subscribe("weft.dlq.>");
  REQUIRE(n.pub(make_message("x.y", "poison")) > 0);
  // Three nodes took it and died before answering.
  REQUIRE(raw.deliver_without_ack("svc", 3) == 3);
  auto p = std::make_shared<probe>();
  auto cfg = consumer("svc", {"weft.>"}); // the same filter as the durable's
  cfg.max_deliver = 3;
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  auto* letter = raw_client::next(letters, 5000);
  REQUIRE(letter != nullptr);
  CHECK(raw_client::header_of(letter, "Weft-Dlq-Deliveries") == "3");
  CHECK(raw_client::header_of(letter, "Weft-Dlq-Reason") == "no answer after 3 deliveries");
  natsMsg_Destroy(letter);
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) {
    return s.dead_lettered == 1 && s.in_flight == 0;
  }));
  // The handler saw only the dead letter itself (its filter covers weft.dlq.).
  REQUIRE(p->wait_count(1));
  auto seen = p->snapshot();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].message.subject == "weft.dlq.svc");
}
