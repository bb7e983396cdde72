// GET /v1/events (Server-Sent Events) on the real binary: resume with
// Last-Event-ID or lastEventID (nothing missing, nothing repeated, order
// kept), who sees what, bad input, the gap event, heartbeats, a stuck reader
// cut off without holding up others, and the drain ending streams. The
// [flow] cases also run on PostgreSQL + JetStream (durable-flow/...).
#include "tests/system/common.hpp"

#include <atomic>
#include <set>
#include <thread>

#include "tests/support/sse_client.hpp"

using namespace sys;

namespace {

json data_of(const sse_event& e) {
  auto j = json::parse(e.data, nullptr, false);
  return j.is_object() && j.contains("data") ? j["data"] : json{};
}

/// Reads events until `pred` has seen enough or the deadline; the events read.
template <class Pred>
std::vector<sse_event> read_until(sse_client& c, Pred done, std::chrono::milliseconds deadline = 10s) {
  std::vector<sse_event> out;
  auto until = std::chrono::steady_clock::now() + deadline;
  while (!done(out)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      break;
    auto e = c.next(left);
    if (!e)
      break;
    out.push_back(std::move(*e));
  }
  return out;
}

/// The e-mail addresses of the auth.user.created events among `events`, in order.
std::vector<std::string> emails_in(const std::vector<sse_event>& events, const std::set<std::string>& ours) {
  std::vector<std::string> out;
  for (auto& e : events)
    if (e.event == "auth.user.created") {
      auto email = data_of(e).value("email", "");
      if (ours.count(email))
        out.push_back(email);
    }
  return out;
}

} // namespace

TEST_CASE("events: a reader that disconnects resumes with Last-Event-ID or lastEventID: nothing "
          "missing, nothing repeated, order kept",
          "[system][flow][events]") {
  weft_node node(node_options());
  auto root = login_root(node);
  const auto target = "/v1/events?types=auth.user.created";
  std::vector<std::string> emails;
  for (int i = 0; i < 9; ++i)
    emails.push_back(unique_email("sse"));
  std::set<std::string> ours(emails.begin(), emails.end());

  std::string last_id;
  {
    sse_client c(node.http_port(), target, bearer(root.access));
    REQUIRE(c.open());
    CHECK(c.status() == 200);
    CHECK(c.header("Content-Type") == "text/event-stream");
    CHECK(c.header("Cache-Control") == "no-cache");
    CHECK(c.header("X-Accel-Buffering") == "no");
    for (int i = 0; i < 6; ++i)
      register_user(node, emails[i]);
    // Read three of ours, then hang up mid-stream.
    auto got = read_until(c, [&](auto& evs) { return emails_in(evs, ours).size() >= 3; });
    CHECK(c.retry().has_value());
    auto mine = emails_in(got, ours);
    REQUIRE(mine.size() >= 3);
    CHECK(std::vector<std::string>(mine.begin(), mine.begin() + 3)
          == std::vector<std::string>(emails.begin(), emails.begin() + 3));
    // The id of the third of ours: everything up to it was seen.
    int seen = 0;
    for (auto& e : got)
      if (e.event == "auth.user.created" && ours.count(data_of(e).value("email", "")) && ++seen == 3)
        last_id = e.id;
  }
  REQUIRE_FALSE(last_id.empty());
  for (int i = 6; i < 9; ++i)
    register_user(node, emails[i]);
  auto rest = std::vector<std::string>(emails.begin() + 3, emails.end());
  // Browsers cannot set headers on the first connect: the query parameter.
  {
    sse_client c(node.http_port(), std::string{target} + "&lastEventID=" + url_encode(last_id),
                 bearer(root.access));
    REQUIRE(c.open());
    auto got = read_until(c, [&](auto& evs) { return emails_in(evs, ours).size() >= rest.size(); });
    CHECK(emails_in(got, ours) == rest);
    // Nothing more of ours follows (no repeat).
    auto more = read_until(c, [&](auto& evs) { return !emails_in(evs, ours).empty(); }, 500ms);
    CHECK(emails_in(more, ours).empty());
  }
  // The header wins over the query parameter.
  {
    auto h = bearer(root.access);
    h.add("Last-Event-ID", last_id);
    sse_client c(node.http_port(), std::string{target} + "&lastEventID=earliest", h);
    REQUIRE(c.open());
    auto got = read_until(c, [&](auto& evs) { return emails_in(evs, ours).size() >= rest.size(); });
    CHECK(emails_in(got, ours) == rest);
  }
}

TEST_CASE("events: admin and root see everything, anyone else only events about themselves, "
          "bad input answers a problem",
          "[system][flow][events]") {
  weft_node node(node_options());
  auto root = login_root(node);
  auto email = unique_email("sse-user");
  auto user_id = register_user(node, email).at("id").get<std::string>();
  auto user = login(node, email);
  // A user streams from the earliest event kept: only their own subject.
  {
    sse_client c(node.http_port(), "/v1/events?lastEventID=earliest", bearer(user.access));
    REQUIRE(c.open());
    REQUIRE(c.status() == 200);
    auto got = read_until(c, [](auto& evs) { return evs.size() >= 2; }, 3s);
    REQUIRE(got.size() >= 2); // created, login (and more of theirs)
    for (auto& e : got) {
      auto ev = json::parse(e.data);
      CHECK(ev.at("subject") == user_id);
    }
  }
  // The token in the query (EventSource cannot set headers).
  {
    sse_client c(node.http_port(), "/v1/events?lastEventID=earliest&access_token=" + user.access);
    REQUIRE(c.open());
    CHECK(c.status() == 200);
  }
  auto problem = [&](const std::string& target, http_headers h, int status) {
    sse_client c(node.http_port(), target, std::move(h));
    REQUIRE(c.open());
    INFO(target << " -> " << c.status() << " " << c.error_body());
    CHECK(c.status() == status);
    CHECK(c.header("Content-Type").rfind("application/problem+json", 0) == 0);
  };
  problem("/v1/events", {}, 401);
  problem("/v1/events", bearer("not-a-token"), 401);
  problem("/v1/events?subject=someone-else", bearer(user.access), 403);
  problem("/v1/events?lastEventID=garbage", bearer(root.access), 400);
  problem("/v1/events?lastEventID=ab-12x", bearer(root.access), 400);
  problem("/v1/events?types=a..b", bearer(root.access), 400);
  problem("/v1/events?types=a.*.b", bearer(root.access), 400);
  auto h = bearer(root.access);
  h.add("Last-Event-ID", "no dash here");
  problem("/v1/events", h, 400);
  // Admin sees others' events, with a subject filter.
  sse_client c(node.http_port(), "/v1/events?lastEventID=earliest&subject=" + user_id, bearer(root.access));
  REQUIRE(c.open());
  auto e = c.next(3s);
  REQUIRE(e.has_value());
  CHECK(json::parse(e->data).at("subject") == user_id);
}

TEST_CASE("events: a resume point older than the node keeps gets weft.gap first, naming what was "
          "lost, a position of another stream too",
          "[system][events]") {
  weft_node node(node_options({{"sse", {{"history", 5}}}}));
  auto root = login_root(node);
  std::string first;
  {
    sse_client c(node.http_port(), "/v1/events?lastEventID=earliest", bearer(root.access));
    REQUIRE(c.open());
    auto e = c.next(3s);
    REQUIRE(e.has_value());
    first = e->id;
  }
  for (int i = 0; i < 4; ++i) // 2+ events each: well past 5 kept
    register_user(node, unique_email("gap"));
  sse_client c(node.http_port(), "/v1/events", [&] {
    auto h = bearer(root.access);
    h.add("Last-Event-ID", first);
    return h;
  }());
  REQUIRE(c.open());
  auto gap = c.next(3s);
  REQUIRE(gap.has_value());
  CHECK(gap->event == "weft.gap");
  auto ev = json::parse(gap->data);
  CHECK(ev.at("type") == "weft.gap");
  CHECK(ev.at("data").at("lost").get<int>() > 0);
  CHECK(ev.at("data").contains("from"));
  CHECK(ev.at("data").contains("to"));
  // Then what is kept, in order, starting right after what was lost.
  auto next = c.next(3s);
  REQUIRE(next.has_value());
  CHECK(next->event != "weft.gap");
  auto pos = [](const std::string& id) { return std::stoull(id.substr(id.rfind('-') + 1)); };
  CHECK(pos(next->id) == pos(ev.at("data").at("to").get<std::string>()) + 1);
  // Another epoch: the stream was recreated.
  sse_client other(node.http_port(), "/v1/events?lastEventID=zzzz-3", bearer(root.access));
  REQUIRE(other.open());
  auto g = other.next(3s);
  REQUIRE(g.has_value());
  CHECK(g->event == "weft.gap");
  CHECK(json::parse(g->data).at("data").at("reason").get<std::string>().find("recreated") != std::string::npos);
}

TEST_CASE("events: heartbeats keep an idle stream open, SIGTERM ends streams cleanly and at once",
          "[system][events]") {
  weft_node node(node_options({{"sse", {{"heartbeat_ms", 200}}}}));
  auto root = login_root(node);
  sse_client c(node.http_port(), "/v1/events", bearer(root.access));
  REQUIRE(c.open());
  CHECK(c.comment(3s));
  CHECK(c.comment(3s));
  auto t0 = std::chrono::steady_clock::now();
  CHECK(node.stop() == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s); // the stream did not hold the drain
  CHECK(c.wait_end(2s));
  CHECK(c.clean_end());
}

TEST_CASE("events: a reader that stops reading is cut off once it is too far behind, the others "
          "go on",
          "[system][events]") {
  weft_node node(node_options({{"sse", {{"max_queue_bytes", 4096}}}}));
  auto root = login_root(node);
  sse_client stuck(node.http_port(), "/v1/events", bearer(root.access), 4096);
  REQUIRE(stuck.open());
  sse_client live(node.http_port(), "/v1/events?types=auth.apikey.created", bearer(root.access));
  REQUIRE(live.open());
  auto client = node.client(true);
  int made = 0;
  // Cheap events until the stuck reader is dropped (its unread bytes fill
  // the kernel's buffers, then the node's queue).
  std::string last_key;
  for (; made < 3000; ++made) {
    auto r = client.post("/v1/auth/api-keys", {{"name", "k" + std::to_string(made)}, {"role", "user"}},
                         bearer(root.access));
    REQUIRE(r.status == 201);
    last_key = r.json().at("id").get<std::string>();
    if (made % 100 == 99 && node.metrics_text().find("weft_sse_streams 1") != std::string::npos)
      break;
  }
  INFO(made << " keys made");
  // The live reader got the last one promptly.
  auto got = read_until(live, [&](auto& evs) {
    return !evs.empty() && data_of(evs.back()).value("key_id", "") == last_key;
  });
  REQUIRE_FALSE(got.empty());
  CHECK(data_of(got.back()).value("key_id", "") == last_key);
  // The stuck one, read now, ends without its last chunk: it was dropped.
  CHECK(stuck.wait_end(10s));
  CHECK_FALSE(stuck.clean_end());
}

TEST_CASE("events: 200 readers while writes go on each get every event once, in order",
          "[system][flow][events]") {
  weft_node node(node_options());
  auto root = login_root(node);
  constexpr int readers = 200;
  constexpr int writes = 30;
  std::vector<std::unique_ptr<sse_client>> clients;
  for (int i = 0; i < readers; ++i) {
    clients.push_back(std::make_unique<sse_client>(node.http_port(), "/v1/events?types=auth.user.created",
                                                   bearer(root.access)));
    REQUIRE(clients.back()->open());
  }
  std::vector<std::string> emails;
  for (int i = 0; i < writes; ++i)
    emails.push_back(unique_email("crowd"));
  std::atomic<int> created{0}; // (no Catch assertions off the test's thread)
  std::thread writer{[&] {
    for (auto& e : emails)
      if (node.post("/v1/auth/register", {{"email", e}, {"password", user_password}}).status == 201)
        ++created;
  }};
  const std::set<std::string> ours(emails.begin(), emails.end());
  std::vector<std::vector<std::string>> got(readers);
  for (int i = 0; i < readers; ++i) {
    auto events = read_until(*clients[i], [&](const std::vector<sse_event>& seen) {
      return emails_in(seen, ours).size() >= emails.size();
    }, 20s);
    got[i] = emails_in(events, ours);
  }
  writer.join();
  REQUIRE(created == writes);
  for (int i = 0; i < readers; ++i) {
    INFO("reader " << i);
    CHECK(got[i] == emails); // every event, once, in the order written
  }
}
