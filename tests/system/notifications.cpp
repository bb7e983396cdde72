// The notifications service end to end: a welcome on registration, a note
// to the creator of each API key, paging, marking read, and exactly-once
// application under faults. Its unread counter is incremented by the inbox
// for each notification and is not idempotent by itself, so a double
// application would show as unread > notifications. Tagged [flow]: run again
// on PostgreSQL and JetStream (durable-flow/).
#include "tests/system/notifications_common.hpp"

using namespace sys;

TEST_CASE("notifications: a welcome on registration, read one by one or all at once",
          "[system][flow][notifications]") {
  weft_node node(node_options());
  auto email = unique_email("note");
  auto user = register_user(node, email);
  auto id = user["id"].get<std::string>();
  auto tokens = login(node, email);

  auto n = wait_notes(node, tokens.access, 1);
  REQUIRE(n.items.size() == 1);
  CHECK(n.unread == 1);
  auto item = n.items[0];
  CHECK(item["kind"] == "welcome");
  CHECK(item["subject"] == id);
  CHECK(item["read"] == false);
  CHECK(item["title"] == "Welcome to Weft");
  CHECK(item["body"].get<std::string>().find(email) != std::string::npos);
  CHECK_FALSE(item["event_id"].get<std::string>().empty());

  auto auth = bearer(tokens.access);
  auto r = node.put("/v1/notifications/read", {{"ids", {item["id"]}}}, auth);
  REQUIRE(r.status == 200);
  CHECK(r.json() == json{{"unread", 0}});
  n = notes_of(node, tokens.access);
  CHECK(n.unread == 0);
  CHECK(n.items[0]["read"] == true);
  // Marking again changes nothing; the counter does not go below zero.
  r = node.put("/v1/notifications/read", {{"all", true}}, auth);
  REQUIRE(r.status == 200);
  CHECK(r.json()["unread"] == 0);
  // Ids of other users' notifications, or of none, change nothing either.
  r = node.put("/v1/notifications/read",
               {{"ids", {"not-a-uuid", "01900000-0000-7000-8000-000000000000"}}}, auth);
  REQUIRE(r.status == 200);
  CHECK(r.json()["unread"] == 0);
}

TEST_CASE("notifications: bad requests and other users' notifications",
          "[system][flow][notifications]") {
  weft_node node(node_options());
  auto email = unique_email("note-bad");
  register_user(node, email);
  auto tokens = login(node, email);
  auto auth = bearer(tokens.access);
  REQUIRE(wait_notes(node, tokens.access, 1).items.size() == 1);

  check_problem(node.get("/v1/notifications"), 401);
  check_problem(node.put("/v1/notifications/read", {{"all", true}}), 401);
  check_problem(node.put("/v1/notifications/read", json::object(), auth), 400);
  check_problem(node.put("/v1/notifications/read", {{"all", false}}, auth), 400);
  check_problem(node.put("/v1/notifications/read", {{"ids", json::array()}}, auth), 400);
  check_problem(node.put("/v1/notifications/read", {{"ids", {"a"}}, {"all", true}}, auth), 400);
  auto wrong = node.put("/v1/notifications/read", {{"ids", "a"}}, auth);
  check_problem(wrong, 400);
  CHECK(has_error_pointer(wrong, "/ids"));
  check_problem(node.get("/v1/notifications?limit=0", auth), 400);
  check_problem(node.get("/v1/notifications?cursor=garbage!", auth), 400);

  // Another user sees none of these, and cannot mark them.
  auto mine = notes_of(node, tokens.access);
  auto other = token_for("01900000-0000-7000-8000-0000000000aa");
  CHECK(notes_of(node, other).items.empty());
  auto r = node.put("/v1/notifications/read", {{"ids", {mine.items[0]["id"]}}}, bearer(other));
  REQUIRE(r.status == 200);
  CHECK(notes_of(node, tokens.access).unread == 1);
}

TEST_CASE("notifications: a note to the creator of each API key, newest first, paged",
          "[system][flow][notifications]") {
  weft_node node(node_options());
  auto root = login_root(node);
  auto auth = bearer(root.access);
  std::vector<std::string> keys;
  for (int i = 0; i < 5; ++i) {
    auto r = node.post("/v1/auth/api-keys", {{"name", "nk-" + std::to_string(i)}, {"role", "user"}}, auth);
    REQUIRE(r.status == 201);
    keys.push_back(r.json()["id"].get<std::string>());
  }
  // Root has its own welcome (bootstrapped) and one note per key.
  auto n = wait_notes(node, root.access, 6);
  CHECK(n.welcome == 1);
  CHECK(n.api_key == 5);
  CHECK(n.unread == 6);
  for (auto& k : keys)
    CHECK(n.by_subject[k] == 1);
  // Newest first. (Which key's note is newest is not the keys' order: the
  // inbox handles the events of different keys concurrently.)
  for (size_t i = 1; i < n.items.size(); ++i)
    CHECK(n.items[i - 1]["id"].get<std::string>() > n.items[i]["id"].get<std::string>());
  int pages = 0;
  auto paged = get_all_pages(node, "/v1/notifications", auth, 2, &pages);
  CHECK(paged.size() == 6);
  CHECK(pages == 3);
  CHECK(paged == n.items);
}

TEST_CASE("notifications: each event applied once when its handler fails before and after writing",
          "[system][notifications][faults]") {
  // The first 3 deliveries fail before the handler runs, the next 4 after it
  // wrote (so the writes must roll back); the bus redelivers them.
  weft_node node(node_options(
    {{"bus", {{"backoff_ms", {5, 20}}, {"max_deliver", 20}}},
     {"faults",
      {{"rules",
        {{{"handler", "notifications"}, {"mode", "fail"}, {"first", 3}},
         {{"handler", "notifications"}, {"mode", "fail_after"}, {"first", 7}}}}}}}));
  auto root = login_root(node);
  auto auth = bearer(root.access);
  constexpr int n_keys = 20, n_users = 4;
  std::vector<std::string> keys;
  for (int i = 0; i < n_keys; ++i) {
    auto r = node.post("/v1/auth/api-keys", {{"name", "fk-" + std::to_string(i)}, {"role", "user"}}, auth);
    REQUIRE(r.status == 201);
    keys.push_back(r.json()["id"].get<std::string>());
  }
  std::vector<std::string> users;
  for (int i = 0; i < n_users; ++i)
    users.push_back(register_user(node, unique_email("fault"))["id"].get<std::string>());

  auto n = wait_notes(node, root.access, n_keys + 1);
  INFO("root: " << n.items.size() << " notifications, unread " << n.unread);
  CHECK(n.items.size() == n_keys + 1);
  CHECK(n.unread == static_cast<long long>(n.items.size()));
  for (auto& k : keys)
    CHECK(n.by_subject[k] == 1);
  for (auto& u : users) {
    auto un = wait_notes(node, token_for(u), 1);
    CHECK(un.items.size() == 1);
    CHECK(un.welcome == 1);
    CHECK(un.unread == 1);
  }
  // The faults happened: 7 failed deliveries, each redelivered.
  auto text = node.metrics_text();
  CHECK(metric_sum(text, "weft_inbox_failed_total", {{"consumer", "notifications"}}).value_or(0) >= 4);
  CHECK(metric_sum(text, "weft_events_redelivered_total", {{"consumer", "notifications"}}).value_or(0) >= 7);
  CHECK(metric_sum(text, "weft_events_dead_lettered_total", {{"consumer", "notifications"}}).value_or(0) == 0);
  CHECK(metric_sum(text, "weft_inbox_processed_total", {{"consumer", "notifications"}}).value_or(0)
        >= n_keys + n_users + 1);
}

TEST_CASE("notifications: its routes, events and consumer show in OpenAPI and /metrics",
          "[system][notifications][meta]") {
  weft_node node(node_options());
  auto doc = node.get("/v1/openapi.json").json();
  REQUIRE(doc["paths"].contains("/v1/notifications"));
  CHECK(doc["paths"]["/v1/notifications"]["get"]["x-weft-access"] == "authenticated");
  CHECK(doc["paths"]["/v1/notifications/read"]["put"]["requestBody"]["content"]["application/json"]
           ["schema"]["properties"]
             .contains("ids"));
  CHECK(doc["x-weft-events"]["notifications.notification.created"]["service"] == "notifications");
  auto version = node.get("/v1/utils/version").json();
  CHECK(contains(version["services"], "notifications"));
  register_user(node, unique_email("meta"));
  CHECK(wait_until(
    [&] {
      return metric_sum(node.metrics_text(), "weft_inbox_processed_total",
                        {{"consumer", "notifications"}})
               .value_or(0)
             >= 2; // root's welcome and this one's
    },
    10s));
}
