// A schema's notifications.inapp binding on the binary (issue 10), [flow]:
// embedded and again on PostgreSQL + JetStream. A created entity notifies
// the people its recipient attribute names, through the notifications
// service; an address nobody has yet gets its notification when that person
// registers; the other triggers notify nobody.
#include "tests/system/common.hpp"

#include <algorithm>
#include <cctype>

using namespace sys;

namespace {

const char* events_schema = R"(erDiagram
Event {
    String title
    Array[String] attendeeEmails
    DateTime eventDate
    %% @service crud.rest.weft { plural: "meetings", writeRoles: ["admin", "user"] }
    %% @service notifications.inapp.weft { recipientField: "attendeeEmails", subjectTemplate: "{{title}} reminder", triggerOn: "create" }
}
)";

std::string upper(std::string s) {
  for (auto& ch : s)
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

/// The caller's in-app notifications (kind inapp), newest first, once at
/// least `n` are there (or 20 s); and the unread count then.
std::pair<json, int64_t> inapp_of(const weft_node& node, const http_headers& who, size_t n) {
  json found = json::array();
  int64_t unread = -1;
  http_response last;
  wait_until(
    [&] {
      auto r = node.get("/v1/notifications", who);
      last = r;
      if (r.status != 200)
        return false;
      found = json::array();
      auto page = r.json(); // kept: iterating a temporary's member would dangle
      for (const auto& item : page["items"])
        if (item["kind"] == "inapp")
          found.push_back(item);
      unread = page["unread"].get<int64_t>();
      return found.size() >= n;
    },
    std::chrono::seconds(20));
  INFO("GET /v1/notifications: " << last.status << " " << last.body);
  CHECK(found.size() >= n);
  return {found, unread};
}

} // namespace

TEST_CASE("entities: a collection whose path another route has (Event's /v1/events is the event "
          "stream's) stops the start, naming the route and what to change",
          "[system][entities]") {
  temp_dir dir;
  std::string schema = events_schema;
  schema.replace(schema.find("plural: \"meetings\", "), std::string{"plural: \"meetings\", "}.size(), "");
  write_text(dir / "app.mmd", schema);
  write_text(dir / "weft.json", json({{"http", {{"port", 0}}}, {"metrics", {{"port", 0}}},
                                      {"schema", {{"file", (dir / "app.mmd").string()}}}}).dump());
  auto run = run_weft(WEFT_BINARY, {"run", "--config", (dir / "weft.json").string()});
  INFO(run.out << run.err);
  CHECK(run.exit_code != 0);
  CHECK(run.err.find("GET /v1/events") != std::string::npos);
  CHECK(run.err.find("another plural") != std::string::npos);
}

TEST_CASE("entities: notifications.inapp notifies the attendees of a created event once each, "
          "an address not yet registered when it registers, and nobody on other triggers",
          "[system][flow][entities][notifications]") {
  temp_dir dir;
  write_text(dir / "app.mmd", events_schema);
  weft_node node(node_options({{"schema", {{"file", (dir / "app.mmd").string()}}}}));
  auto root = bearer(login_root(node).access);

  auto ann_email = unique_email("ann");
  register_user(node, ann_email);
  auto ann = bearer(login(node, ann_email).access);
  auto later_email = unique_email("later");

  // Ann named twice (once in capitals): one notification for her.
  auto created = node.post("/v1/meetings",
                           {{"title", "Standup"},
                            {"attendeeEmails", {ann_email, later_email, upper(ann_email)}},
                            {"eventDate", "2026-12-24T09:00:00.000Z"}},
                           root);
  INFO(created.status << " " << created.body);
  REQUIRE(created.status == 201);
  auto id = created.json()["id"].get<std::string>();

  auto [mine, unread] = inapp_of(node, ann, 1);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0]["title"] == "Standup reminder");
  CHECK(mine[0]["subject"] == id);
  CHECK(mine[0]["read"] == false);
  // The welcome and this. The welcome is another aggregate's event, applied
  // in its own order on a durable node: wait for both (the exact counts
  // after the second event below would show a double application).
  bool both = unread == 2 || wait_until(
    [&] { return node.get("/v1/notifications", ann).json()["unread"] == 2; },
    std::chrono::seconds(20));
  CHECK(both);

  // An update and a delete notify nobody (triggerOn: create); a second
  // event then does, and is the only other one Ann gets.
  CHECK(node.send("PATCH", "/v1/meetings/" + id, json{{"title", "Standup moved"}}.dump(),
                  "application/json", root).status == 200);
  auto second = node.post("/v1/meetings",
                          {{"title", "Retro"}, {"attendeeEmails", {ann_email}},
                           {"eventDate", "2026-12-25T09:00:00.000Z"}},
                          root);
  REQUIRE(second.status == 201);
  CHECK(node.del("/v1/meetings/" + second.json()["id"].get<std::string>(), root).status == 204);
  std::tie(mine, unread) = inapp_of(node, ann, 2);
  CHECK(mine.size() == 2);
  CHECK(mine[0]["title"] == "Retro reminder");
  // One request emitted per create, none for the rest (the trail keeps one
  // row per event id; double application would show in the counts above).
  bool settled = wait_until(
    [&] {
      auto r = node.get("/v1/audit?limit=500&type=notifications.inapp.requested", root);
      return r.status == 200 && r.json()["items"].size() >= 2;
    },
    std::chrono::seconds(20));
  CHECK(settled);
  CHECK(node.get("/v1/audit?limit=500&type=notifications.inapp.requested", root)
          .json()["items"].size() == 2);

  // The address nobody had: its notification waits, and is theirs once
  // they register (with their welcome).
  register_user(node, later_email);
  auto later = bearer(login(node, later_email).access);
  std::tie(mine, unread) = inapp_of(node, later, 1);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0]["title"] == "Standup reminder");
  bool welcomed = wait_until(
    [&] { return node.get("/v1/notifications", later).json()["unread"] == 2; },
    std::chrono::seconds(20));
  CHECK(welcomed);

  // The binding and the request's event type are described.
  auto services = node.get("/v1/services", root).json();
  std::string bindings;
  for (const auto& s : services["services"])
    if (s["name"] == "entities")
      bindings = s["bindings"].dump();
  CHECK(bindings.find("notifications.inapp") != std::string::npos);
  CHECK(node.get("/v1/asyncapi.json").body.find("notifications.inapp.requested") != std::string::npos);
}
