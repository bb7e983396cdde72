#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "js_fixture.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("jetstream bus: publish answers the stream sequence, delivers and acks",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("svc", {"weft.>"}), n.probe_handler(p)));
  auto m1 = make_message("auth.user.created", "e1");
  m1.event.data = R"({"email":"a@example.com"})";
  m1.event.time = "2024-01-02T03:04:05.678Z";
  CHECK(n.pub(m1) == 1);
  CHECK(n.pub(make_message("auth.user.created", "e2")) == 2);
  CHECK(n.pub(make_message("auth.user.created", "e3")) == 3);
  REQUIRE(p->wait_count(3, 10s));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 3; }));
  auto seen = p->snapshot();
  CHECK(seen[0].stream_seq == 1);
  CHECK(seen[0].attempt == 1);
  CHECK(seen[0].message.subject == "weft.auth.user.created");
  CHECK(seen[0].message.event == m1.event);
  CHECK(seen[0].message.headers.empty()); // transport headers stay in the adapter
  CHECK(seen[2].message.event.id == "e3");
  auto s = n.stats("svc");
  CHECK(s.delivered == 3);
  CHECK(s.in_flight == 0);
  CHECK(s.redelivered == 0);
  CHECK(n.owner->connected());
}

TEST_CASE("jetstream bus: a re-published event id within the window is stored once",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  CHECK(n.pub(make_message("auth.user.created", "dup")) == 1);
  CHECK(n.pub(make_message("auth.user.created", "dup")) == 1);
  CHECK(n.pub(make_message("auth.user.created", "other")) == 2);
  auto p = std::make_shared<probe>();
  REQUIRE_FALSE(n.sub(consumer("svc", {}), n.probe_handler(p)));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) {
    return s.acked == 2 && s.pending == 0 && s.in_flight == 0;
  }));
  CHECK(n.stats("svc").delivered == 2);
}

TEST_CASE("jetstream bus: on the wire a message is a structured CloudEvent with "
          "Content-Type and Nats-Msg-Id",
          "[nats]") {
  js_fixture fx;
  raw_client raw{fx.server.url()};
  auto sub = raw.subscribe("weft.>");
  auto m = make_message("auth.user.created", "0190b6a0-0000-7000-8000-000000000001", "u-7");
  m.event.data = R"({"email":"x@example.com"})";
  m.event.correlationid = "req-1";
  m.headers.emplace_back("Traceparent-Hint", "t1");
  REQUIRE(fx.node.pub(m) == 1);
  auto* got = raw_client::next(sub, 5000);
  REQUIRE(got != nullptr);
  CHECK(std::string{natsMsg_GetSubject(got)} == "weft.auth.user.created");
  CHECK(raw_client::header_of(got, "Content-Type") == "application/cloudevents+json");
  CHECK(raw_client::header_of(got, "Nats-Msg-Id") == m.event.id);
  CHECK(raw_client::header_of(got, "Traceparent-Hint") == "t1");
  auto j = nlohmann::json::parse(std::string{natsMsg_GetData(got),
                                             static_cast<size_t>(natsMsg_GetDataLength(got))});
  CHECK(j.at("specversion") == "1.0");
  CHECK(j.at("id") == m.event.id);
  CHECK(j.at("type") == "auth.user.created");
  CHECK(j.at("source") == "/weft/test");
  CHECK(j.at("subject") == "u-7");
  CHECK(j.at("correlationid") == "req-1");
  CHECK(j.at("data").at("email") == "x@example.com");
  natsMsg_Destroy(got);
}

TEST_CASE("jetstream bus: subscribe refuses what JetStream cannot do", "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto h = n.probe_handler(std::make_shared<probe>());
  auto err = n.sub(consumer("svc", {"weft.a.>", "weft.b.>"}), h);
  REQUIRE(err);
  CHECK_THAT(n.sys.render(err), Catch::Contains("one subject filter"));
  CHECK(n.sub(consumer("bad.name", {"weft.>"}), h));
  CHECK(n.sub(consumer("svc", {"weft.>.x"}), h));
  auto cfg = consumer("svc", {"weft.>"});
  cfg.max_deliver = 0;
  CHECK(n.sub(cfg, h));
  CHECK(n.sub(consumer("svc", {"weft.>"}), event_handler_actor{}));
  // The server refuses a filter outside the stream's subjects: an error at once.
  auto t0 = std::chrono::steady_clock::now();
  CHECK(n.sub(consumer("svc", {"other.>"}), h));
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
}

TEST_CASE("jetstream bus: at most max_ack_pending deliveries are in flight, the rest "
          "is pending",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 30000;
  cfg.max_ack_pending = 2;
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  for (int i = 0; i < 5; ++i) // five aggregates: five lanes
    n.pub(make_message("x.y", "e" + std::to_string(i), "a-" + std::to_string(i)));
  REQUIRE(p->wait_count(2));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) {
    return s.in_flight == 2 && s.pending == 3;
  }));
  CHECK(p->snapshot().size() == 2);
}

TEST_CASE("jetstream bus: drain answers once nothing is in flight and stops fetching",
          "[nats]") {
  js_fixture fx;
  auto& n = fx.node;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::none; };
  auto cfg = consumer("svc", {"weft.>"});
  cfg.ack_wait_ms = 300;
  REQUIRE_FALSE(n.sub(cfg, n.probe_handler(p)));
  n.pub(make_message("x.y", "e1"));
  REQUIRE(p->wait_count(1));
  auto t0 = std::chrono::steady_clock::now();
  bool answered = false;
  n.self->request(n.bus, std::chrono::seconds{10}, drain_atom::value, uint32_t{5000})
    .receive([&](ack_atom) { answered = true; }, [](caf::error&) {});
  CHECK(answered);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds{4000});
  CHECK(n.stats("svc").in_flight == 0);
  n.pub(make_message("x.y", "e2"));
  REQUIRE(n.wait_stats("svc", [](const consumer_stats& s) { return s.pending >= 1; }));
  CHECK(p->snapshot().size() == 1);
}

TEST_CASE("jetstream bus: options from the config's nats section", "[nats]") {
  config::nats_section s;
  s.url = "nats://a:4222,nats://b:4222";
  s.stream = "EVENTS";
  s.subjects = {"ev.>"};
  s.replicas = 3;
  s.duplicate_window_s = 300;
  s.fetch_batch = 64;
  s.max_in_flight = 99;
  s.publish_window = 77;
  auto o = nats::jetstream_options_from(s, "node-7");
  CHECK(o.url == s.url);
  CHECK(o.connection_name == "node-7");
  CHECK(o.stream == "EVENTS");
  CHECK(o.subjects == std::vector<std::string>{"ev.>"});
  CHECK(o.replicas == 3);
  CHECK(o.duplicate_window_s == 300);
  CHECK(o.max_age_s == s.max_age_s);
  CHECK(o.fetch_batch == 64);
  CHECK(o.max_in_flight == 99);
  CHECK(o.publish_window == 77);
  CHECK(o.publish_timeout_ms == s.publish_timeout_ms);
  CHECK(o.start_timeout_ms == s.start_timeout_ms);
  CHECK(o.metrics == nullptr);
}
