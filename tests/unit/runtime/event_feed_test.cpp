#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/event_feed.hpp"

using namespace weft;
using namespace std::chrono_literals;

namespace {

feed_event ev(uint64_t pos) {
  return {pos, "t.x", "s-" + std::to_string(pos % 3), "{\"n\":" + std::to_string(pos) + "}"};
}

struct counting_watcher : feed_watcher {
  std::atomic<int> wakes{0};
  void wake() override { wakes++; }
};

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds d = 2000ms) {
  auto until = std::chrono::steady_clock::now() + d;
  while (!p()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::yield();
  }
  return true;
}

} // namespace

TEST_CASE("event feed: reads what follows a position, keeps the newest `history`", "[feed]") {
  event_feed f{"ep0", 5};
  CHECK(f.read(0, 10).events.empty());
  CHECK(f.read(0, 10).oldest == 0);
  for (uint64_t p = 1; p <= 8; ++p)
    f.append(ev(p * 2)); // positions need not be dense (dead letters, other subjects)
  auto all = f.read(0, 100);
  REQUIRE(all.events.size() == 5);
  CHECK(all.oldest == 8);
  CHECK(all.last == 16);
  CHECK(all.events.front()->position == 8);
  auto after = f.read(11, 2);
  REQUIRE(after.events.size() == 2);
  CHECK(after.events[0]->position == 12);
  CHECK(after.events[1]->position == 14);
  CHECK(f.read(16, 10).events.empty());
  CHECK(after.events[0]->frame == "id: ep0-12\nevent: t.x\ndata: {\"n\":12}\n\n");
  // A position not above the last is dropped (a source replaying).
  f.append(ev(10));
  CHECK(f.read(0, 100).events.size() == 5);
  CHECK(f.last() == 16);
}

TEST_CASE("event feed: watchers are woken after appends, coalesced, and forgotten when gone",
          "[feed]") {
  event_feed f{"ep0", 100, 50ms};
  auto w = std::make_shared<counting_watcher>();
  f.watch(w);
  f.append(ev(1));
  REQUIRE(eventually([&] { return w->wakes.load() >= 1; }));
  for (uint64_t p = 2; p < 50; ++p)
    f.append(ev(p)); // within one interval: far fewer wake-ups than events
  REQUIRE(eventually([&] { return w->wakes.load() >= 2; }));
  std::this_thread::sleep_for(120ms); // let a last round pass, if any
  CHECK(w->wakes.load() <= 4);
  std::weak_ptr<counting_watcher> gone = w;
  w.reset();
  f.append(ev(60));
  CHECK(gone.expired());
  f.stop();
}

TEST_CASE("event feed: resume ids are <epoch>-<position>", "[feed]") {
  CHECK(feed_position_id("mq3k1c", 42) == "mq3k1c-42");
  auto p = parse_feed_position("mq3k1c-42");
  REQUIRE(p);
  CHECK(p->epoch == "mq3k1c");
  CHECK(p->position == 42);
  CHECK_FALSE(parse_feed_position(""));
  CHECK_FALSE(parse_feed_position("42"));
  CHECK_FALSE(parse_feed_position("-42"));
  CHECK_FALSE(parse_feed_position("ab-"));
  CHECK_FALSE(parse_feed_position("ab-12x"));
  CHECK_FALSE(parse_feed_position("a b-12"));
  CHECK_FALSE(parse_feed_position("ab-99999999999999999999999"));
}
