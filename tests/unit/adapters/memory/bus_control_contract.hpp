#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include <catch2/catch.hpp>

#include "bus_probe.hpp"
#include "tests/support/process.hpp"

// The control plane's part of the bus contract (pause, resume, dead letters,
// redrive), one body for both buses: the memory bus's unit test and the
// JetStream bus's integration test run it on their fixtures.
namespace weft::test {

template <class Fixture>
void check_pause_dead_letters_and_redrive(Fixture& fx) {
  auto p = std::make_shared<probe>();
  auto failing = std::make_shared<std::atomic<bool>>(true);
  p->fail_text = "boom";
  p->policy = [failing](const delivery& d) {
    return d.message.event.id == "bad" && failing->load() ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.auth.>"});
  cfg.max_deliver = 2;
  cfg.backoff_ms = {5};
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  auto other = std::make_shared<probe>();
  REQUIRE_FALSE(fx.sub(consumer("other", {"weft.auth.>"}), fx.probe_handler(other)));

  // A letter: read back with its headers, and only the consumer's own.
  fx.pub(make_message("auth.user.created", "bad"));
  fx.pub(make_message("auth.user.created", "good"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) {
    return s.dead_lettered == 1 && s.acked == 1;
  }));
  std::vector<delivery> letters;
  REQUIRE(wait_until(
    [&] {
      letters = dead_letters(fx.self, fx.bus, "svc");
      return !letters.empty();
    },
    std::chrono::milliseconds{10000}));
  REQUIRE(letters.size() == 1);
  CHECK(letters[0].message.event.id == "bad");
  CHECK(letters[0].message.subject == "weft.dlq.svc");
  CHECK(letters[0].stream_seq > 2);
  CHECK(header(letters[0].message, "Weft-Dlq-Reason") == "boom");
  CHECK(header(letters[0].message, "Weft-Dlq-Subject") == "weft.auth.user.created");
  CHECK_FALSE(header(letters[0].message, "Weft-Dlq-Time").empty());
  CHECK(dead_letters(fx.self, fx.bus, "other").empty());
  CHECK(dead_letters(fx.self, fx.bus, "svc", letters[0].stream_seq).empty());

  // Paused: what is published meanwhile reaches the other consumer only.
  REQUIRE_FALSE(set_paused(fx.self, fx.bus, "svc", true));
  CHECK(fx.stats("svc").paused);
  CHECK_FALSE(fx.stats("other").paused);
  CHECK(set_paused(fx.self, fx.bus, "nobody", true)); // an error: no such consumer here
  fx.pub(make_message("auth.user.created", "while-paused"));
  auto has = [](const std::string& id) {
    return [id](const std::vector<delivery>& seen) {
      return std::any_of(seen.begin(), seen.end(),
                         [&](const delivery& d) { return d.message.event.id == id; });
    };
  };
  REQUIRE(other->wait(has("while-paused")));
  CHECK_FALSE(has("while-paused")(p->snapshot()));
  REQUIRE_FALSE(set_paused(fx.self, fx.bus, "svc", false));
  CHECK(p->wait(has("while-paused")));
  CHECK_FALSE(fx.stats("svc").paused);

  // Redriven: the consumer gets the event again (so does the other one,
  // whose inbox skips it: it has the id recorded), and the letter is gone.
  failing->store(false);
  CHECK(redrive(fx.self, fx.bus, "other", {letters[0].stream_seq}) == 0); // not other's letter
  CHECK(redrive(fx.self, fx.bus, "svc", {letters[0].stream_seq}) == 1);
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.acked == 3; }));
  auto again = p->snapshot().back();
  CHECK(again.message.event.id == "bad");
  CHECK(again.message.subject == "weft.auth.user.created");
  CHECK(header(again.message, "Weft-Dlq-Reason").empty());
  CHECK(dead_letters(fx.self, fx.bus, "svc").empty());
  CHECK(redrive(fx.self, fx.bus, "svc", {letters[0].stream_seq}) == 0); // gone

  // The stream read back (a replay): what the filter selects, in order,
  // from a position on; the letters are on other subjects.
  auto ids = [](const std::vector<delivery>& ds) {
    std::vector<std::string> out;
    for (auto& d : ds)
      out.push_back(d.message.event.id);
    return out;
  };
  auto all = read_stream(fx.self, fx.bus, stream_query{"weft.auth.>", 0, 100});
  CHECK(ids(all) == std::vector<std::string>{"bad", "good", "while-paused", "bad"});
  REQUIRE(all.size() == 4);
  CHECK(all[1].message.subject == "weft.auth.user.created");
  CHECK(ids(read_stream(fx.self, fx.bus, stream_query{"weft.auth.>", all[0].stream_seq, 2}))
        == std::vector<std::string>{"good", "while-paused"});
  CHECK(read_stream(fx.self, fx.bus, stream_query{"weft.billing.>", 0, 100}).empty());
}

/// Dead letters leave by age (the retention sweeper's `prune`): those
/// stored before the cut, oldest first and at most the limit asked; a young
/// one stays, and so do the events on other subjects.
template <class Fixture>
void check_dead_letters_age_out(Fixture& fx) {
  auto p = std::make_shared<probe>();
  p->policy = [](const delivery& d) {
    return d.message.event.id.starts_with("bad") ? reply::fail : reply::ack;
  };
  auto cfg = consumer("svc", {"weft.auth.>"});
  cfg.max_deliver = 1;
  REQUIRE_FALSE(fx.sub(cfg, fx.probe_handler(p)));
  fx.pub(make_message("auth.user.created", "bad-1"));
  fx.pub(make_message("auth.user.created", "good"));
  fx.pub(make_message("auth.user.created", "bad-2"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.dead_lettered == 2; }));
  std::vector<delivery> letters;
  REQUIRE(wait_until(
    [&] {
      letters = dead_letters(fx.self, fx.bus, "svc");
      return letters.size() == 2;
    },
    std::chrono::milliseconds{10000}));
  // Both letters are stored by now; the next one after the cut.
  const auto cut = unix_ms_now() + 1;
  REQUIRE(wait_until([&] { return unix_ms_now() > cut; }, std::chrono::milliseconds{1000}));
  fx.pub(make_message("auth.user.created", "bad-3"));
  REQUIRE(fx.wait_stats("svc", [](const consumer_stats& s) { return s.dead_lettered == 3; }));
  REQUIRE(wait_until([&] { return dead_letters(fx.self, fx.bus, "svc").size() == 3; },
                     std::chrono::milliseconds{10000}));

  CHECK(prune_letters(fx.self, fx.bus, cut - 3600000) == 0); // an hour before: none that old
  CHECK(prune_letters(fx.self, fx.bus, cut, 1) == 1);        // the limit holds
  auto left = dead_letters(fx.self, fx.bus, "svc");
  REQUIRE(left.size() == 2);
  CHECK(left[0].message.event.id == letters[1].message.event.id); // the oldest went first
  CHECK(prune_letters(fx.self, fx.bus, cut) == 1);
  left = dead_letters(fx.self, fx.bus, "svc");
  REQUIRE(left.size() == 1);
  CHECK(left[0].message.event.id == "bad-3"); // young: kept
  CHECK(prune_letters(fx.self, fx.bus, cut) == 0);
  CHECK(redrive(fx.self, fx.bus, "svc", {letters[0].stream_seq}) == 0); // pruned: gone
  // The events themselves stay in the stream.
  CHECK(read_stream(fx.self, fx.bus, stream_query{"weft.auth.>", 0, 100}).size() == 4);
}

} // namespace weft::test
