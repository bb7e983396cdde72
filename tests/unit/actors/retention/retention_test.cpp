#include "tests/unit/actors/retention/retention_contract.hpp"

#include "adapters/memory/memory_store.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/adapters/memory/bus_fixture.hpp"

using namespace weft;

TEST_CASE("retention on the memory store: the old is pruned in batches, nothing younger, and "
          "counted",
          "[retention]") {
  auto data = std::make_shared<memory::memory_store>();
  retention::test::prunes_the_old_and_keeps_the_young(*data, 0, [] {});
}

TEST_CASE("retention on the memory store: settled webhook deliveries go by age, pending ones stay",
          "[retention][webhooks]") {
  auto data = std::make_shared<memory::memory_store>();
  retention::test::prunes_settled_webhook_deliveries(*data);
}

TEST_CASE("retention: audit paging survives pruning (a cursor past pruned events still pages "
          "on)",
          "[retention]") {
  using namespace std::chrono_literals;
  auto data = std::make_shared<memory::memory_store>();
  auto session = data->open_session("test");
  auto old = events::format_rfc3339_ms(std::chrono::system_clock::now() - 72h);
  REQUIRE_FALSE(session->transact([&](unit_of_work& w) -> caf::error {
    auto trail = audit::open_repository(w);
    for (int i = 0; i < 6; ++i)
      REQUIRE(trail->append(retention::test::audit_event(i < 3 ? old : events::now_rfc3339_ms())));
    return {};
  }));
  audit::audit_query q;
  q.limit = 2;
  std::string cursor;
  REQUIRE_FALSE(session->transact([&](unit_of_work& w) -> caf::error {
    auto page = audit::open_repository(w)->query(q);
    REQUIRE(page);
    cursor = page->next;
    auto n = audit::open_repository(w)->prune_before(retention::test::unix_now() - 86400, 100);
    REQUIRE(n);
    CHECK(*n == 3);
    return {};
  }));
  // The next page starts after what the reader saw: the young events, none twice.
  q.cursor = cursor;
  q.limit = 10;
  REQUIRE_FALSE(session->transact([&](unit_of_work& w) -> caf::error {
    auto page = audit::open_repository(w)->query(q);
    REQUIRE(page);
    CHECK(page->items.size() == 3);
    return {};
  }));
}

TEST_CASE("retention: retention.inbox_s below the stream's max age is a config error naming the key",
          "[retention][config]") {
  auto r = config::load(R"({"retention": {"inbox_s": 60}, "nats": {"max_age_s": 3600}})", {},
                        schema_extension_of(service_modules()));
  REQUIRE_FALSE(r.ok());
  CHECK(config::to_string(r.problems.at(0)).find("retention.inbox_s") != std::string::npos);
  auto fine = config::load(R"({"retention": {"inbox_s": 7200}, "nats": {"max_age_s": 3600}})",
                           {}, schema_extension_of(service_modules()));
  CHECK(fine.ok());
}

TEST_CASE("retention: the sweeper prunes dead letters older than retention.dead_letters_s from "
          "the bus and counts them",
          "[retention][memory_bus]") {
  using namespace weft::test;
  // Before the fixture: the sweeper (stopped with the fixture) uses them.
  auto data = std::make_shared<memory::memory_store>();
  weft::metrics m;
  bus_fixture fx;
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery&) { return reply::fail; };
  auto cfg = consumer("svc", {"weft.x.>"});
  cfg.max_deliver = 1;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("x.a", "one"));
  fx.pub(make_message("x.a", "two"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.dead_lettered == 2; }));
  REQUIRE(dead_letters(fx.self, fx.bus, "svc").size() == 2);

  config::settings settings;
  settings.retention.dead_letters_s = 1;
  auto opts = retention::options_from(settings, &m);
  opts.interval = std::chrono::milliseconds{100};
  auto sweeper = retention::spawn_retention_sweeper(fx.sys, *data, {}, opts, fx.bus);
  fx.actors.push_back(sweeper);
  // Young at first (kept), then a second old: pruned by a later sweep.
  CHECK(dead_letters(fx.self, fx.bus, "svc").size() == 2);
  REQUIRE(wait_until([&] { return dead_letters(fx.self, fx.bus, "svc").empty(); },
                     std::chrono::milliseconds{10000}));
  REQUIRE(wait_until(
    [&] {
      return prometheus::TextSerializer{}.Serialize(m.registry()->Collect()).find(
               "weft_retention_pruned_total{what=\"bus.dead_letters\"} 2")
             != std::string::npos;
    },
    std::chrono::milliseconds{5000}));
  // The events themselves stay.
  CHECK(read_stream(fx.self, fx.bus, stream_query{"weft.x.>", 0, 100}).size() == 2);
}
