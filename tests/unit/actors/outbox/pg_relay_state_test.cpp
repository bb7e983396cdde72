#include <catch2/catch.hpp>

#include <algorithm>
#include <utility>

#include "actors/outbox/pg_relay_state.hpp"
#include "actors/outbox/settings.hpp"

using namespace weft;
using namespace weft::outbox;
using namespace std::chrono_literals;

namespace {

pg::outbox_row row(int64_t id, std::string subject, int32_t attempts = 0) {
  pg::outbox_row r;
  r.id = id;
  r.subject = std::move(subject);
  r.attempts = attempts;
  return r;
}

/// Starts every row that may start now; their ids.
std::vector<int64_t> start_all(pg_relay_state& st, steady_clock::time_point now,
                               std::vector<std::string>* lanes = nullptr) {
  std::vector<int64_t> out;
  held_row h;
  std::string key;
  while (st.next_row(h, key, now)) {
    out.push_back(h.row.id);
    if (lanes)
      lanes->push_back(key);
  }
  return out;
}

} // namespace

TEST_CASE("pg relay state: one row per subject at a time, in id order", "[outbox]") {
  pg_relay_state st;
  auto now = steady_clock::now();
  st.add_claimed({row(1, "a"), row(2, "a"), row(3, "b"), row(4, ""), row(5, ""), row(6, "a")},
                 now + 30s);
  CHECK(st.queued == 6);
  std::vector<std::string> lanes;
  // Subject-less rows carry no order: each starts at once.
  CHECK(start_all(st, now, &lanes) == std::vector<int64_t>{1, 3, 4, 5});
  CHECK(st.queued == 2);
  st.lane_done(lanes[0]); // a's row 1 answered
  CHECK(start_all(st, now) == std::vector<int64_t>{2});
  st.lane_done("a");
  CHECK(start_all(st, now) == std::vector<int64_t>{6});
  st.lane_done("a");
  st.lane_done("b");
  CHECK(st.lanes.size() == 2); // the two subject-less lanes still busy
  st.lane_done(lanes[2]);
  st.lane_done(lanes[3]);
  CHECK(st.lanes.empty());
  CHECK(st.queued == 0);
}

TEST_CASE("pg relay state: a failure releases the rest of its subject only", "[outbox]") {
  pg_relay_state st;
  auto now = steady_clock::now();
  st.add_claimed({row(1, "a"), row(2, "b"), row(3, "a"), row(4, "a"), row(5, "b")}, now + 30s);
  CHECK(start_all(st, now) == std::vector<int64_t>{1, 2});
  st.lane_failed("a", now);
  CHECK(st.unsettled.released == std::vector<int64_t>{3, 4});
  CHECK(st.queued == 1);
  st.lane_done("b");
  CHECK(start_all(st, now) == std::vector<int64_t>{5});
}

TEST_CASE("pg relay state: rows claimed behind our own failed or released rows are released "
          "until those are written",
          "[outbox]") {
  pg_relay_state st;
  auto now = steady_clock::now();
  st.add_claimed({row(1, "a"), row(2, "b"), row(3, "a")}, now + 30s, now);
  CHECK(start_all(st, now) == std::vector<int64_t>{1, 2});
  st.record_failure("a", pg::outbox_failure{1, 100ms, "refused"});
  st.lane_failed("a", now);
  CHECK(st.unsettled.released == std::vector<int64_t>{3});
  CHECK(st.settle_lanes == std::vector<std::string>{"a", "a"});
  st.add_claimed({row(4, "a"), row(5, "b")}, now + 30s, now);
  CHECK(st.unsettled.released == std::vector<int64_t>{3, 4});
  st.lane_done("b");
  CHECK(start_all(st, now) == std::vector<int64_t>{5});
  // The first settlement leaves row 4 unwritten: still held back.
  st.settled({"a", "a"});
  st.add_claimed({row(6, "a")}, now + 30s, now);
  CHECK(start_all(st, now).empty());
  st.settled({"a", "a"}); // rows 4 and 6
  st.add_claimed({row(7, "a")}, now + 30s, now);
  CHECK(start_all(st, now) == std::vector<int64_t>{7});
}

TEST_CASE("pg relay state: rows written while a claim was under way are released from it",
          "[outbox]") {
  pg_relay_state st;
  auto now = steady_clock::now();
  st.release("a", 1);
  st.claiming = true;
  st.settled({"a"});
  st.claiming = false;
  st.add_claimed({row(2, "a")}, now + 30s, now);
  CHECK(start_all(st, now).empty());
  st.lifted_while_claiming.clear(); // as the relay does after each claim
  CHECK(st.unsettled.released == std::vector<int64_t>{1, 2});
  st.settled(std::exchange(st.settle_lanes, {}));
  st.add_claimed({row(3, "a")}, now + 30s, now);
  CHECK(start_all(st, now) == std::vector<int64_t>{3});
}

TEST_CASE("pg relay state: a subject dropped for its leases is held back until they end",
          "[outbox]") {
  pg_relay_state st;
  st.opts.publish_timeout = 5s;
  auto now = steady_clock::now();
  st.add_claimed({row(1, "a")}, now + 3s, now);
  CHECK(start_all(st, now).empty());
  st.add_claimed({row(2, "a")}, now + 30s, now + 1s);
  CHECK(st.unsettled.released == std::vector<int64_t>{2});
  st.add_claimed({row(3, "a")}, now + 40s, now + 4s);
  CHECK(start_all(st, now + 4s).empty()); // db_timeout after the lease, to be sure
  st.settled(std::exchange(st.settle_lanes, {})); // rows 2 and 3 given back
  st.add_claimed({row(4, "a")}, now + 60s, now + 3s + st.opts.db_timeout + 1ms);
  CHECK(start_all(st, now + 20s) == std::vector<int64_t>{4});
}

TEST_CASE("pg relay state: claims skip full lanes and the subjects held back", "[outbox]") {
  pg_relay_state st;
  st.opts.publish_timeout = 5s;
  auto now = steady_clock::now();
  std::vector<pg::outbox_row> rows;
  st.opts.batch_size = 40;
  for (int64_t id = 1; id <= static_cast<int64_t>(st.full_lane()) + 1; ++id)
    rows.push_back(row(id, "hot"));
  rows.push_back(row(100, "cold"));
  rows.push_back(row(101, ""));
  st.add_claimed(std::move(rows), now + 30s, now);
  st.release("gone", 102); // unwritten
  st.add_claimed({row(103, "late")}, now + 3s, now);
  start_all(st, now); // one hot row starts; "late" is dropped: its lease ends too soon
  auto skipped = st.skipped_subjects(now);
  std::sort(skipped.begin(), skipped.end());
  CHECK(skipped == std::vector<std::string>{"gone", "hot", "late"});
  st.settled(std::exchange(st.settle_lanes, {}));
  CHECK(st.skipped_subjects(now + 3s + st.opts.db_timeout + 1ms)
        == std::vector<std::string>{"hot"});
}

TEST_CASE("pg relay state: rows whose lease would end before an answer are dropped, not "
          "released",
          "[outbox]") {
  pg_relay_state st;
  st.opts.publish_timeout = 5s;
  auto now = steady_clock::now();
  st.add_claimed({row(1, "a"), row(2, "a")}, now + 3s);
  st.add_claimed({row(3, "b")}, now + 30s);
  CHECK(start_all(st, now) == std::vector<int64_t>{3});
  CHECK(st.queued == 0);
  CHECK(st.unsettled.released.empty());
  CHECK(st.lanes.count("a") == 0);
}

TEST_CASE("pg relay state: a drain releases rows not started and keeps busy lanes",
          "[outbox]") {
  pg_relay_state st;
  auto now = steady_clock::now();
  st.add_claimed({row(1, "a"), row(2, "a"), row(3, "b")}, now + 30s);
  CHECK(start_all(st, now).size() == 2);
  st.add_claimed({row(4, "c")}, now + 30s);
  st.release_queued(now);
  auto released = st.unsettled.released;
  std::sort(released.begin(), released.end());
  CHECK(released == std::vector<int64_t>{2, 4});
  CHECK(st.queued == 0);
  CHECK(st.ready.empty());
  CHECK(st.lanes.size() == 2); // a and b, each with a row in flight
}

TEST_CASE("pg relay state: retry delays follow the backoff steps with +-20% jitter",
          "[outbox]") {
  pg_relay_state st;
  st.opts.backoff_ms = {100, 1000};
  for (int i = 0; i < 50; ++i) {
    auto first = st.retry_delay(0);
    CHECK(first >= 80ms);
    CHECK(first <= 120ms);
    auto later = st.retry_delay(7);
    CHECK(later >= 800ms);
    CHECK(later <= 1200ms);
  }
  st.opts.backoff_ms.clear();
  CHECK(st.retry_delay(3) == 0ms);
}

TEST_CASE("pg relay options follow the outbox config section", "[outbox]") {
  config::outbox_section s;
  s.batch_size = 42;
  s.lease_ms = 12000;
  s.retention_s = 60;
  s.cleanup_interval_s = 5;
  s.backoff_ms = {7};
  auto o = pg_relay_options_from(s);
  CHECK(o.batch_size == 42);
  CHECK(o.max_in_flight == 128);
  CHECK(o.lease == 12000ms);
  CHECK(o.poll_interval == 200ms);
  CHECK(o.retention == std::chrono::seconds{60});
  CHECK(o.cleanup_interval == 5000ms);
  CHECK(o.backoff_ms == std::vector<uint32_t>{7});
}
