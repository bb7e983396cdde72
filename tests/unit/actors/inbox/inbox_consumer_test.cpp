#include <catch2/catch.hpp>

#include "events/errc.hpp"
#include "inbox_fixture.hpp"
#include "tests/unit/adapters/memory/metrics_probe.hpp"

using namespace weft;
using namespace weft::test;

TEST_CASE("inbox: a duplicate event id is acked without running the handler", "[inbox]") {
  inbox_fixture fx;
  auto in = fx.inbox("audit");
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1")));
  CHECK(fx.calls->count() == 1);
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 2));
  CHECK(fx.calls->count() == 1);
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e2")));
  CHECK(fx.calls->count() == 2);
}

TEST_CASE("inbox: a handler error naks and leaves nothing behind", "[inbox]") {
  inbox_fixture fx;
  int n = 0;
  fx.calls->policy = [&n](const events::envelope&) {
    return ++n == 1 ? sink_reply::fail : sink_reply::ack;
  };
  auto in = fx.inbox("audit");
  auto err = fx.deliver(in, make_message("auth.user.created", "e1"));
  CHECK(err);
  CHECK(error_text(err) == "sink failed");
  // The handler wrote before it failed: rolled back, record and all.
  CHECK(applied(*fx.data).empty());
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 2));
  CHECK(fx.calls->count() == 2);
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 3));
  CHECK(fx.calls->count() == 2);
  CHECK(applied(*fx.data) == std::vector<std::string>{"e1"});
}

TEST_CASE("inbox: fail_after runs the handler, then rolls its writes back", "[inbox]") {
  inbox_fixture fx;
  fault_plan faults{{rule("audit", "fail_after", 2)}};
  auto in = fx.inbox("audit", &faults);
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    auto err = fx.deliver(in, make_message("auth.user.created", "e1"), attempt);
    CHECK(err == inbox::errc::injected_failure);
    CHECK(error_text(err) == "injected failure after the handler");
  }
  CHECK(fx.calls->count() == 2);
  CHECK(applied(*fx.data).empty());
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 3));
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 4));
  CHECK(fx.calls->count() == 3);
  CHECK(applied(*fx.data) == std::vector<std::string>{"e1"});
}

TEST_CASE("inbox: fail-first-N faults, then the handler runs once", "[inbox]") {
  inbox_fixture fx;
  fault_plan faults{{rule("audit", "fail", 2)}};
  auto in = fx.inbox("audit", &faults);
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    auto err = fx.deliver(in, make_message("auth.user.created", "e1"), attempt);
    CHECK(err == inbox::errc::injected_failure);
    CHECK(error_text(err) == "injected failure");
  }
  CHECK(fx.calls->count() == 0);
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 3));
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1"), 4));
  CHECK(fx.calls->count() == 1);
}

TEST_CASE("inbox: a no_ack fault never answers", "[inbox]") {
  inbox_fixture fx;
  fault_plan faults{{rule("audit", "no_ack", 1)}};
  auto in = fx.inbox("audit", &faults);
  auto err = fx.deliver(in, make_message("x.y", "e1"), 1, std::chrono::milliseconds{100});
  CHECK(err == caf::sec::request_timeout);
  CHECK(fx.calls->count() == 0);
  CHECK_FALSE(fx.deliver(in, make_message("x.y", "e1"), 2));
  CHECK(fx.calls->count() == 1);
}

TEST_CASE("inbox: a redelivery arriving while the handler runs is a duplicate", "[inbox]") {
  inbox_fixture fx;
  fx.calls->policy = [](const events::envelope&) { return sink_reply::slow; };
  auto in = fx.inbox("audit");
  caf::scoped_actor first{fx.sys};
  auto pending = first->request(in, std::chrono::seconds{5}, deliver_atom::value,
                                delivery{make_message("x.y", "e1"), 1, 1});
  REQUIRE(fx.calls->wait_count(1));
  // Queued behind the running unit, then found recorded: acked, not run.
  CHECK_FALSE(fx.deliver(in, make_message("x.y", "e1"), 2));
  bool acked = false;
  pending.receive([&](ack_atom) { acked = true; }, [](caf::error&) {});
  CHECK(acked);
  CHECK(fx.calls->count() == 1);
  CHECK(applied(*fx.data) == std::vector<std::string>{"e1"});
}

TEST_CASE("inbox: an event missing required attributes fails as an events error",
          "[inbox]") {
  inbox_fixture fx;
  auto in = fx.inbox("audit");
  auto m = make_message("x.y", "");
  auto err = fx.deliver(in, m);
  CHECK(events::is(err, events::errc::missing_attribute));
  m.event.id = "e1";
  m.event.specversion = "0.3";
  CHECK(events::is(fx.deliver(in, m), events::errc::invalid_value));
  CHECK(fx.calls->count() == 0);
}

TEST_CASE("inbox: dead letters reach the handler, keyed apart from the event", "[inbox]") {
  inbox_fixture fx;
  auto in = fx.inbox("audit");
  CHECK_FALSE(fx.deliver(in, make_message("auth.user.created", "e1")));
  auto letter = make_message("auth.user.created", "e1");
  letter.subject = "weft.dlq.auth";
  letter.event.source.clear(); // not decode-checked
  CHECK_FALSE(fx.deliver(in, letter));
  CHECK(fx.calls->count() == 2);
  CHECK_FALSE(fx.deliver(in, letter, 2));
  CHECK(fx.calls->count() == 2);
}

TEST_CASE("inbox: the records live in the store, not in the inbox actor", "[inbox]") {
  inbox_fixture fx;
  auto a = fx.inbox("audit");
  CHECK_FALSE(fx.deliver(a, make_message("x.y", "e1")));
  auto b = fx.inbox("audit");
  CHECK_FALSE(fx.deliver(b, make_message("x.y", "e1"), 2));
  CHECK(fx.calls->count() == 1);
  // Another consumer has records of its own.
  auto c = fx.inbox("auth");
  CHECK_FALSE(fx.deliver(c, make_message("x.y", "e1")));
  CHECK(fx.calls->count() == 2);
  // A fresh store knows nothing.
  auto d = fx.inbox("audit", nullptr, std::make_shared<memory::memory_store>());
  CHECK_FALSE(fx.deliver(d, make_message("x.y", "e1")));
  CHECK(fx.calls->count() == 3);
}

TEST_CASE("inbox: duplicates, applied and failed events are counted", "[inbox][metrics]") {
  weft::metrics m; // outlives the fixture's actors, which use it
  inbox_fixture fx;
  fault_plan faults{{rule("audit", "fail_after", 1)}};
  auto in = fx.inbox("audit", &faults, nullptr, &m);
  CHECK(fx.deliver(in, make_message("x.y", "e1")));
  CHECK_FALSE(fx.deliver(in, make_message("x.y", "e1"), 2));
  CHECK_FALSE(fx.deliver(in, make_message("x.y", "e1"), 3));
  CHECK_FALSE(fx.deliver(in, make_message("x.y", "e1"), 4));
  CHECK(metric_value(m, "weft_inbox_duplicates_total", {{"consumer", "audit"}}) == 2);
  CHECK(metric_value(m, "weft_inbox_processed_total", {{"consumer", "audit"}}) == 1);
  CHECK(metric_value(m, "weft_inbox_failed_total", {{"consumer", "audit"}}) == 1);
}
