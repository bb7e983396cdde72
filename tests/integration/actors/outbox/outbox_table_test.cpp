#include <catch2/catch.hpp>

#include "events/codec.hpp"
#include "tests/integration/actors/outbox/outbox_support.hpp"

using namespace weft;
using namespace weft::outbox::test;

namespace {

std::vector<int64_t> ids_of(const std::vector<pg::outbox_row>& rows) {
  std::vector<int64_t> out;
  for (auto& r : rows)
    out.push_back(r.id);
  return out;
}

std::vector<pg::outbox_row> claim(pg::connection& c, size_t limit,
                                  std::chrono::milliseconds lease = 30s,
                                  std::string_view owner = {}) {
  auto rows = pg::claim_outbox(c, limit, lease, owner);
  REQUIRE(rows);
  return std::move(*rows);
}

} // namespace

TEST_CASE("outbox table: rows appended in a transaction exist once it commits, not after a "
          "rollback, and carry the encoded event") {
  outbox_fixture fx;
  auto a = make_event("agg-a", 1), b = make_event("agg-b", 2);
  fx.append({make_event("gone", 1), make_event("gone", 2)}, false);
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox") == 0);
  fx.append({a, b});
  CHECK(fx.pending() == 2);
  auto pending = pg::outbox_pending(fx.db);
  REQUIRE(pending);
  CHECK(*pending == 2);

  auto rows = claim(fx.db, 10);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].event_id == a.id);
  CHECK(rows[0].type == a.type);
  CHECK(rows[0].subject == "agg-a");
  CHECK(rows[1].event_id == b.id);
  auto decoded = events::decode(rows[0].payload);
  REQUIRE(decoded);
  CHECK(*decoded == a);
  // created_at is the writer's transaction time: now, give or take.
  auto now_s = std::chrono::duration<double>(
                 std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(std::abs(now_s - rows[0].created_at_s) < 60);
}

TEST_CASE("outbox table: a commit notifies weft_outbox once per transaction") {
  outbox_fixture fx;
  auto listener = open_or_fail(fx.url);
  REQUIRE_FALSE(listener.listen(pg::outbox_channel));
  auto tx = pg::transaction::begin(fx.db);
  REQUIRE(tx);
  REQUIRE_FALSE(pg::append_outbox(fx.db, {make_event("x")}));
  REQUIRE_FALSE(pg::append_outbox(fx.db, {make_event("y")}));
  auto before = listener.wait_for_notification(50ms);
  REQUIRE(before);
  CHECK_FALSE(*before); // nothing before the commit
  REQUIRE_FALSE(tx->commit());
  auto n = listener.wait_for_notification(5s);
  REQUIRE(n);
  REQUIRE(*n);
  CHECK((*n)->channel == "weft_outbox");
  auto again = listener.wait_for_notification(50ms);
  REQUIRE(again);
  CHECK_FALSE(*again); // folded into one
}

TEST_CASE("outbox table: claims keep per-subject order and never hand one row to two "
          "claimers") {
  outbox_fixture fx;
  fx.append({make_event("A", 1), make_event("A", 2), make_event("B", 1), make_event("C", 1)});
  auto all = fx.db.exec("SELECT id FROM weft_outbox ORDER BY id");
  REQUIRE(all);
  auto a1 = all->get<int64_t>(0, 0), a2 = all->get<int64_t>(1, 0);
  auto b1 = all->get<int64_t>(2, 0), c1 = all->get<int64_t>(3, 0);

  // Relay 1 takes A1; relay 2 may not take A2 while A1 is leased.
  auto other = open_or_fail(fx.url);
  CHECK(ids_of(claim(fx.db, 1)) == std::vector<int64_t>{a1});
  CHECK(ids_of(claim(other, 10)) == std::vector<int64_t>{b1, c1});
  CHECK(claim(other, 10).empty());

  // A1 failed: it waits for its retry, and A2 waits behind it.
  REQUIRE_FALSE(pg::mark_failed(fx.db, {pg::outbox_failure{a1, 60s, "bus down"}}));
  CHECK(claim(other, 10).empty());
  CHECK(fx.scalar("SELECT attempts FROM weft_outbox WHERE id = " + std::to_string(a1)) == 1);
  auto err = fx.db.exec("SELECT last_error FROM weft_outbox WHERE id = $1", a1);
  REQUIRE(err);
  CHECK(err->get<std::string>(0, 0) == "bus down");

  // Due again: A1 and A2 come together, in order, to one claimer.
  REQUIRE(fx.db.exec("UPDATE weft_outbox SET next_attempt_at = now() WHERE id = $1", a1));
  auto rows = claim(other, 10);
  CHECK(ids_of(rows) == std::vector<int64_t>{a1, a2});
  CHECK(rows[0].attempts == 1);

  // Released rows are claimable at once; published ones never again.
  REQUIRE_FALSE(pg::release_outbox(other, {a1, a2}));
  REQUIRE_FALSE(pg::mark_published(fx.db, {b1, c1}));
  CHECK(ids_of(claim(fx.db, 10)) == std::vector<int64_t>{a1, a2});
  CHECK(fx.pending() == 2);
}

TEST_CASE("outbox table: an owner claims rows behind its own leases, never behind another's "
          "or a retry") {
  outbox_fixture fx;
  fx.append({make_event("A", 1), make_event("A", 2), make_event("A", 3), make_event("B", 1)});
  auto all = fx.db.exec("SELECT id FROM weft_outbox ORDER BY id");
  REQUIRE(all);
  auto a1 = all->get<int64_t>(0, 0), a2 = all->get<int64_t>(1, 0), a3 = all->get<int64_t>(2, 0);
  auto b1 = all->get<int64_t>(3, 0);
  auto other = open_or_fail(fx.url);

  CHECK(ids_of(claim(fx.db, 1, 30s, "x")) == std::vector<int64_t>{a1});
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox WHERE locked_by = 'x'") == 1);
  // y is held back by x's lease on A1; so is a claimer without a name.
  CHECK(ids_of(claim(other, 10, 30s, "y")) == std::vector<int64_t>{b1});
  CHECK(claim(other, 10).empty());
  // x itself goes on behind its own lease.
  CHECK(ids_of(claim(fx.db, 1, 30s, "x")) == std::vector<int64_t>{a2});
  // A2 failed: it waits for its retry, and A3 waits behind it for x too.
  REQUIRE_FALSE(pg::mark_failed(fx.db, {pg::outbox_failure{a2, 60s, "bus down"}}));
  CHECK(claim(fx.db, 10, 30s, "x").empty());
  REQUIRE_FALSE(pg::mark_published(fx.db, {a1}));
  REQUIRE(fx.db.exec("UPDATE weft_outbox SET next_attempt_at = now() WHERE id = $1", a2));
  CHECK(ids_of(claim(other, 10, 30s, "y")) == std::vector<int64_t>{a2, a3});
}

TEST_CASE("outbox table: a claim leaves the subjects it is told to skip") {
  outbox_fixture fx;
  fx.append({make_event("A", 1), make_event("A", 2), make_event("B", 1), make_event("", 1)});
  auto all = fx.db.exec("SELECT id FROM weft_outbox ORDER BY id");
  REQUIRE(all);
  auto a1 = all->get<int64_t>(0, 0), a2 = all->get<int64_t>(1, 0);
  auto b1 = all->get<int64_t>(2, 0), n1 = all->get<int64_t>(3, 0);
  auto rows = pg::claim_outbox(fx.db, 10, 30s, "x", {"A", "with \"quotes\", too"});
  REQUIRE(rows);
  CHECK(ids_of(*rows) == std::vector<int64_t>{b1, n1});
  CHECK(ids_of(claim(fx.db, 10, 30s, "x")) == std::vector<int64_t>{a1, a2});
}

TEST_CASE("outbox table: a crashed claimer's rows come back when the lease expires") {
  outbox_fixture fx;
  fx.append({make_event("A", 1), make_event("A", 2), make_event("B", 1)});
  REQUIRE(claim(fx.db, 10, 300ms).size() == 3);
  auto other = open_or_fail(fx.url);
  CHECK(claim(other, 10).empty());
  std::vector<pg::outbox_row> rows;
  CHECK(weft::test::wait_until(
    [&] {
      auto r = pg::claim_outbox(other, 10, 30s);
      if (r && !r->empty())
        rows = std::move(*r);
      return !rows.empty();
    },
    5s));
  CHECK(rows.size() == 3);
}

TEST_CASE("outbox table: marking in batches is one statement for many rows") {
  outbox_fixture fx;
  std::vector<events::envelope> evs;
  for (int i = 0; i < 600; ++i)
    evs.push_back(make_event("s" + std::to_string(i % 37), i));
  fx.append(evs);
  auto rows = claim(fx.db, 1000);
  REQUIRE(rows.size() == 600);
  REQUIRE_FALSE(pg::mark_published(fx.db, ids_of(rows)));
  CHECK(fx.pending() == 0);
  // One UPDATE: one transaction time for every row.
  CHECK(fx.scalar("SELECT count(DISTINCT published_at) FROM weft_outbox") == 1);
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox WHERE locked_until IS NOT NULL") == 0);
}

TEST_CASE("outbox table: cleanup deletes rows published longer than the retention ago, "
          "nothing else") {
  outbox_fixture fx;
  std::vector<events::envelope> evs;
  for (int i = 0; i < 8; ++i)
    evs.push_back(make_event("c" + std::to_string(i), i));
  fx.append(evs);
  // Rows 1-3 published 20 min ago, 4-5 published 5 min ago, 6-8 pending
  // (7-8 created an hour ago: age alone never deletes).
  REQUIRE(fx.db.exec(
    "WITH r AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM weft_outbox)"
    " UPDATE weft_outbox o SET"
    "  published_at = CASE WHEN r.n <= 3 THEN now() - interval '20 minutes'"
    "                      WHEN r.n <= 5 THEN now() - interval '5 minutes' END,"
    "  created_at = CASE WHEN r.n >= 7 THEN now() - interval '1 hour' ELSE o.created_at END"
    " FROM r WHERE o.id = r.id"));
  auto n = pg::cleanup_outbox(fx.db, std::chrono::minutes{15});
  REQUIRE(n);
  CHECK(*n == 3);
  CHECK(fx.scalar("SELECT count(*) FROM weft_outbox") == 5);
  CHECK(fx.pending() == 3);
  // A limit bounds one call.
  n = pg::cleanup_outbox(fx.db, std::chrono::minutes{1}, 1);
  REQUIRE(n);
  CHECK(*n == 1);
}

TEST_CASE("outbox table: republish_since makes rows published since then pending again") {
  outbox_fixture fx;
  fx.append({make_event("r", 1), make_event("r", 2), make_event("r", 3)});
  REQUIRE(fx.db.exec("UPDATE weft_outbox SET published_at = now() - interval '10 minutes',"
                     " attempts = 2 WHERE id = (SELECT min(id) FROM weft_outbox)"));
  REQUIRE(fx.db.exec("UPDATE weft_outbox SET published_at = now() WHERE published_at IS NULL"));
  CHECK(fx.pending() == 0);
  auto n = pg::republish_since(fx.db, std::chrono::system_clock::now() - std::chrono::minutes{1});
  REQUIRE(n);
  CHECK(*n == 2);
  CHECK(fx.pending() == 2);
  n = pg::republish_since(fx.db, std::chrono::system_clock::now() - std::chrono::minutes{30});
  REQUIRE(n);
  CHECK(*n == 1);
  CHECK(fx.scalar("SELECT max(attempts) FROM weft_outbox") == 0);
  CHECK(claim(fx.db, 10).size() == 3);
}
