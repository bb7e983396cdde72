#include <catch2/catch.hpp>

#include "adapters/postgres/pg_store.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "actors/inbox/event_checks.hpp"
#include "actors/inbox/pg_inbox_batch.hpp"
#include "tests/integration/actors/inbox/pg_inbox_support.hpp"

// One inbox transaction, without actors, so that what shares a batch is
// certain: per-event outcomes, rollback of a failed handler's writes while
// the rest commits, duplicates, and a COMMIT that fails for everyone.
using namespace weft;
using namespace weft::test;
using inbox::outcome;

namespace {

std::vector<inbox::batch_item> items_of(const std::vector<bus_message>& ms,
                                        const std::string& consumer = "audit") {
  std::vector<inbox::batch_item> out;
  for (const auto& m : ms) {
    inbox::batch_item x;
    x.consumer_key = consumer;
    x.event_key = inbox::event_key_of(m.event.id);
    x.event = m.event;
    out.push_back(std::move(x));
  }
  return out;
}

std::vector<bus_message> events_n(int n) {
  std::vector<bus_message> ms;
  for (int i = 0; i < n; ++i)
    ms.push_back(new_event());
  return ms;
}

int64_t scalar(pg::connection& c, const std::string& sql) {
  auto r = c.exec(sql);
  return r && r->rows() == 1 ? r->get<int64_t>(0, 0) : -1;
}

caf::error fails(const std::string& why) {
  return caf::make_error(caf::sec::runtime_error, why);
}

} // namespace

TEST_CASE("batch: a failed handler rolls back its writes, the others commit together",
          "[pg_inbox][batch]") {
  auto url = migrated_database();
  auto c = pg::test::open_or_fail(url);
  auto check = pg::test::open_or_fail(url);
  auto ms = events_n(6);
  auto poison = ms[2].event.id;
  call_log log;
  inbox::batch_handlers h;
  bool batch = GENERATE(false, true);
  if (batch) {
    h.many = [&](unit_of_work& unit_, std::span<const events::envelope> evs) -> caf::error {
      auto& conn = *pg::connection_of(unit_);
      for (const auto& ev : evs)
        log.record(ev.id);
      if (auto err = audit_insert_many(conn, evs))
        return err;
      for (const auto& ev : evs)
        if (ev.id == poison)
          return fails("poison");
      return caf::none;
    };
  } else {
    h.one = [&](unit_of_work& unit_, const events::envelope& ev) -> caf::error {
      auto& conn = *pg::connection_of(unit_);
      log.record(ev.id);
      if (auto err = audit_insert(conn, ev))
        return err;
      return ev.id == poison ? fails("poison") : caf::none;
    };
  }
  auto items = items_of(ms);
  auto rep = inbox::apply_batch(c, h, items);
  CHECK(rep.careful);
  CHECK_FALSE(rep.fatal);
  CHECK(rep.applied == 5);
  CHECK(rep.failed == 1);
  for (size_t i = 0; i < items.size(); ++i) {
    INFO("item " << i);
    CHECK(items[i].result == (i == 2 ? outcome::failed : outcome::applied));
  }
  CHECK(items[2].error == caf::sec::runtime_error);
  CHECK(scalar(check, "SELECT count(*) FROM weft_audit_trail") == 5);
  CHECK(scalar(check, "SELECT count(*) FROM weft_audit_trail WHERE event_id = '" + poison + "'") == 0);
  CHECK(scalar(check, "SELECT count(*) FROM weft_inbox") == 5);
  // Per-event: the poison ran once (not again on the careful path), the two
  // before it twice (their fast-path run was rolled back), the rest once.
  // Batch: everyone ran in the batch, then once more alone.
  CHECK(log.of(poison) == (batch ? 2 : 1));
  CHECK(log.of(ms[0].event.id) == 2);
  CHECK(log.of(ms[5].event.id) == (batch ? 2 : 1));

  // The same batch again: five duplicates, the poison fails again.
  auto again = items_of(ms);
  auto rep2 = inbox::apply_batch(c, h, again);
  CHECK(rep2.duplicates == 5);
  CHECK(rep2.failed == 1);
  CHECK(scalar(check, "SELECT count(*) FROM weft_audit_trail") == 5);
}

TEST_CASE("batch: records, repeats within the batch and known events", "[pg_inbox][batch]") {
  auto url = migrated_database();
  auto c = pg::test::open_or_fail(url);
  call_log log;
  inbox::batch_handlers h;
  h.one = [&](unit_of_work& unit_, const events::envelope& ev) {
      auto& conn = *pg::connection_of(unit_);
    log.record(ev.id);
    return audit_insert(conn, ev);
  };
  auto ms = events_n(3);
  auto first = items_of({ms[0]});
  CHECK(inbox::apply_batch(c, h, first).applied == 1);
  // ms[0] known, ms[1] twice, ms[2] new; ms[1] as a dead letter is another key.
  auto dl = ms[1];
  dl.subject = "weft.dlq.audit";
  auto items = items_of({ms[0], ms[1], ms[1], ms[2]});
  auto dl_items = items_of({dl}, "audit|weft.dlq.audit");
  items.push_back(dl_items.front());
  h.one = [&](unit_of_work&, const events::envelope& ev) {
    log.record(ev.id);
    return caf::error{};
  };
  auto rep = inbox::apply_batch(c, h, items);
  CHECK_FALSE(rep.careful);
  CHECK(rep.applied == 3);
  CHECK(rep.duplicates == 2);
  CHECK(items[0].result == outcome::duplicate);
  CHECK(items[1].result == outcome::applied);
  CHECK(items[2].result == outcome::duplicate);
  CHECK(items[3].result == outcome::applied);
  CHECK(items[4].result == outcome::applied);
  CHECK(log.of(ms[0].event.id) == 1);
  CHECK(log.of(ms[1].event.id) == 2); // once as an event, once as a dead letter
  CHECK(scalar(c, "SELECT count(*) FROM weft_inbox") == 4);
}

TEST_CASE("batch: a COMMIT that fails fails every delivery of the batch", "[pg_inbox][batch]") {
  auto url = migrated_database();
  auto c = pg::test::open_or_fail(url);
  REQUIRE_FALSE(c.exec_script("CREATE TABLE d (k int UNIQUE DEFERRABLE INITIALLY DEFERRED)"));
  inbox::batch_handlers h;
  // Each handler succeeds; the deferred constraint fails at COMMIT.
  h.one = [](unit_of_work& unit_, const events::envelope&) {
    auto& conn = *pg::connection_of(unit_);
    auto r = conn.exec("INSERT INTO d VALUES (1)");
    return r ? caf::error{} : std::move(r.error());
  };
  auto items = items_of(events_n(3));
  auto rep = inbox::apply_batch(c, h, items);
  CHECK(rep.fatal);
  CHECK(rep.failed == 3);
  for (auto& x : items)
    CHECK(pg::is_unique_violation(x.error));
  CHECK(scalar(c, "SELECT count(*) FROM weft_inbox") == 0);
  CHECK(scalar(c, "SELECT count(*) FROM d") == 0);
}

TEST_CASE("batch: a handler that swallows an SQL error fails its own event only",
          "[pg_inbox][batch]") {
  auto url = migrated_database();
  auto c = pg::test::open_or_fail(url);
  auto ms = events_n(3);
  auto bad = ms[1].event.id;
  inbox::batch_handlers h;
  h.one = [&](unit_of_work& unit_, const events::envelope& ev) -> caf::error {
      auto& conn = *pg::connection_of(unit_);
    if (ev.id == bad) {
      (void) conn.exec("SELECT * FROM no_such_table"); // error ignored
      return caf::none;
    }
    return audit_insert(conn, ev);
  };
  auto items = items_of(ms);
  auto rep = inbox::apply_batch(c, h, items);
  CHECK(rep.applied == 2);
  CHECK(items[1].result == outcome::failed);
  CHECK(pg::sqlstate(items[1].error) == "25P02");
  CHECK(scalar(c, "SELECT count(*) FROM weft_audit_trail") == 2);
}

TEST_CASE("batch: with the database unreachable every delivery fails, retryable",
          "[pg_inbox][batch]") {
  auto opts = pg::test::test_options("postgresql://postgres@127.0.0.1:"
                                     + std::to_string(weft::test::free_port()) + "/postgres");
  pg::connection c{opts};
  inbox::batch_handlers h;
  h.one = [](unit_of_work&, const events::envelope&) { return caf::error{}; };
  auto items = items_of(events_n(2));
  auto rep = inbox::apply_batch(c, h, items);
  CHECK(rep.failed == 2);
  CHECK(pg::is_retryable(rep.fatal));
  CHECK(pg::is_retryable(items[0].error));
}

TEST_CASE("batch: handlers run in delivery order, whatever the ids", "[pg_inbox][batch]") {
  auto url = migrated_database();
  auto c = pg::test::open_or_fail(url);
  auto ms = events_n(5);
  std::reverse(ms.begin(), ms.end()); // ids now descend
  std::vector<std::string> order;
  inbox::batch_handlers h;
  h.one = [&](unit_of_work& unit_, const events::envelope& ev) {
      auto& conn = *pg::connection_of(unit_);
    order.push_back(ev.id);
    return audit_insert(conn, ev);
  };
  auto items = items_of(ms);
  CHECK(inbox::apply_batch(c, h, items).applied == 5);
  REQUIRE(order.size() == 5);
  for (size_t i = 0; i < ms.size(); ++i)
    CHECK(order[i] == ms[i].event.id);
}
